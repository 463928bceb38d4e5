// JPEG -> RGB exactly as PIL gives it: libjpeg-turbo itself (libjpeg_turbo.ts), with PIL's
// defaults and PIL's own steps around it.
//
// * Pixels: PIL 9.4 decodes with libjpeg-turbo (ISLOW integer IDCT, "fancy" triangular chroma
//   upsampling, libjpeg's YCbCr tables); so do we, with the same library, so every photo comes
//   out bit for bit (bench/jpeg_fidelity.ts: max difference 0 on the 4,000 cats-vs-dogs photos).
//   jpeg-js, used before, replicated chroma and used another IDCT: up to 35 levels off.
// * Colour space: libjpeg's own rules from the markers (JFIF, Adobe transform, component ids),
//   as in PIL. Grayscale comes out replicated to RGB, as PIL's convert('RGB') does.
// * CMYK/YCCK: PIL asks libjpeg for CMYK, always assumes Adobe's inverted inks ("CMYK;I") and
//   converts with its own integer formula; we ask for the same samples and apply that formula.
// * Truncation: PIL refuses a file that ends before the image does ("image file is truncated");
//   libjpeg would pad it with grey and warn "Premature end of JPEG file", so that warning is a
//   refusal here. Other libjpeg warnings (corrupt data it recovered from) are ignored, as PIL does.
import type { RgbImage } from './rgb_image.js';
import { dataError } from './errors.js';
import { hasEndMarker, largestFrame, type FrameSize } from './jpeg_markers.js';
import {
  ColorSpace,
  decompress,
  LibjpegError,
  PixelFormat,
  type Decompressed,
  type JpegInfo,
} from './libjpeg_turbo.js';

/**
 * Pixels a JPEG's bytes can describe at most. Every 8x8 block of the first component costs at
 * least one bit of Huffman-coded data (its DC difference, even in a progressive first scan), so
 * a file holds at most 512 pixels per byte; twice that is allowed. A header claiming more is
 * damaged, and libjpeg would allocate for it before noticing. (Arithmetic coding, which can pack
 * more, is not in this libjpeg-turbo build: such files are refused with libjpeg's message.)
 */
const MAX_PIXELS_PER_BYTE = 1024;

/** PIL's DecompressionBombError threshold: twice Image.MAX_IMAGE_PIXELS (89,478,485). */
const MAX_PIXELS = 2 * 89478485;

const FIX = 're-copy, convert or delete the file';

export function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  if (!hasEndMarker(bytes)) {
    throw dataError(name, 'truncated JPEG (no end-of-image marker FF D9); re-copy or delete the file');
  }
  const frame = largestFrame(bytes);
  if (frame) checkSize(frame, bytes.length, name);
  let out: Decompressed;
  try {
    out = decompress(bytes, (info) => plan(info, bytes.length, name));
  } catch (e) {
    if (!(e instanceof LibjpegError)) throw e;
    throw refusal(name, e);
  }
  if (out.warning?.startsWith('Premature end of JPEG file')) {
    throw dataError(name, `truncated JPEG (libjpeg-turbo: ${out.warning}); re-copy or delete the file`);
  }
  const data = out.pixelFormat === PixelFormat.CMYK ? cmykToRgb(out.data) : out.data;
  return { width: out.width, height: out.height, data };
}

function refusal(name: string, e: LibjpegError): Error {
  if (/arithmetic coding/i.test(e.message)) {
    return dataError(
      name,
      'arithmetic-coded JPEG, which the libjpeg-turbo build dawnflow uses cannot decode ' +
        '(PIL can); rewrite it with Huffman coding, e.g. `jpegtran -copy all -outfile new.jpg old.jpg`',
      e,
    );
  }
  return dataError(name, `corrupt or unsupported JPEG (libjpeg-turbo: ${e.message}); ${FIX}`, e);
}

function plan(info: JpegInfo, bytes: number, name: string): { pixelFormat: PixelFormat } {
  checkSize(info, bytes, name);
  const cmyk = info.colorSpace === ColorSpace.CMYK || info.colorSpace === ColorSpace.YCCK;
  return { pixelFormat: cmyk ? PixelFormat.CMYK : PixelFormat.RGB };
}

function checkSize(f: FrameSize, bytes: number, name: string): void {
  const pixels = f.width * f.height;
  if (pixels > MAX_PIXELS) {
    throw dataError(
      name,
      `JPEG header claims ${f.width}x${f.height} pixels, more than PIL opens ` +
        `(${MAX_PIXELS}, its decompression-bomb limit): the file is damaged or too large; ${FIX}`,
    );
  }
  if (pixels === 0 || pixels > MAX_PIXELS_PER_BYTE * bytes) {
    throw dataError(
      name,
      `JPEG header claims ${f.width}x${f.height} pixels, which its ${bytes} ` +
        'bytes cannot hold: the file is damaged; re-copy or delete it',
    );
  }
}

/**
 * Pillow's CMYK;I unpacking then cmyk2rgb: with the inks c = 255 - stored C and nk = stored K,
 * r = nk - MULDIV255(c, nk), MULDIV255 being its rounded (a * b) / 255.
 */
export function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const n = cmyk.length >> 2;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const k = cmyk[4 * p + 3];
    for (let c = 0; c < 3; c++) {
      const t = (255 - cmyk[4 * p + c]) * k + 128;
      out[3 * p + c] = k - (((t >> 8) + t) >> 8);
    }
  }
  return out;
}
