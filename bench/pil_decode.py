# The oracle of bench/jpeg_fidelity.ts: Keras's load_img decode, PIL.Image.open(f).convert('RGB'),
# for every path on stdin (one per line), in one process.
#   pil_decode.py          streams, per file: int32 width, uint32 height, then the RGB bytes;
#                          a file PIL refuses: int32 -1, uint32 n, then n bytes of its message.
#   pil_decode.py --time R decodes every file R times from memory (the file bytes read first,
#                          as the TypeScript side does) and prints {"passes": [seconds, ...]}.
import io
import json
import struct
import sys
import time

from PIL import Image


def rgb(data):
    return Image.open(io.BytesIO(data)).convert('RGB')


def stream(paths):
    out = sys.stdout.buffer
    for p in paths:
        try:
            with open(p, 'rb') as f:
                im = rgb(f.read())
            out.write(struct.pack('<iI', im.width, im.height))
            out.write(im.tobytes())
        except Exception as e:  # a refusal is a result too: the caller compares it
            msg = f'{type(e).__name__}: {e}'.encode('utf-8', 'replace')
            out.write(struct.pack('<iI', -1, len(msg)))
            out.write(msg)
    out.flush()


def timed(paths, repeat):
    blobs = []
    for p in paths:
        with open(p, 'rb') as f:
            blobs.append(f.read())
    passes = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for b in blobs:
            try:
                rgb(b)
            except Exception:
                pass
        passes.append(time.perf_counter() - t0)
    print(json.dumps({'passes': passes, 'pil': Image.__version__}))


if __name__ == '__main__':
    names = [line.rstrip('\n') for line in sys.stdin if line.strip()]
    if len(sys.argv) == 3 and sys.argv[1] == '--time':
        timed(names, int(sys.argv[2]))
    else:
        stream(names)
