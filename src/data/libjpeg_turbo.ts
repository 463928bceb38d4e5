// libjpeg-turbo's TurboJPEG API as compiled to WebAssembly by @cwasm/jpeg-turbo (libjpeg-turbo
// 2.0), driven through its raw exports. PIL decodes JPEGs with libjpeg-turbo too, with the same
// defaults (ISLOW integer IDCT, fancy upsampling), so the pixels are PIL's to the bit. The
// package's own wrapper is not used: it only returns RGBA, loses libjpeg's messages and leaves
// the instance broken after an error.
//
// * Synchronous: the module is compiled and instantiated with the synchronous WebAssembly API
//   (fine in Node at any size), so decoding stays a plain function call on every thread.
// * Errors: the build stubs setjmp (always 0) and imports longjmp, which libjpeg calls on a fatal
//   error; ours throws. That unwinds the wasm frames without running their epilogues (the shadow
//   stack pointer and the library's allocations leak), so an instance that threw is dropped and
//   the next call makes a fresh one (about 0.3 ms from the compiled module).
// * Messages: TurboJPEG formats libjpeg's message into a static buffer initialised to
//   "No error"; it is found once in the fresh memory and read after each call.
// * Memory: a wasm memory never shrinks, so an instance that grew past MAX_KEPT_BYTES (one huge
//   image) is dropped after its decode.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** TurboJPEG's pixel formats (TJPF_*) that we ask for. */
export const PixelFormat = { RGB: 0, CMYK: 11 } as const;
export type PixelFormat = (typeof PixelFormat)[keyof typeof PixelFormat];

/** TurboJPEG's colour spaces (TJCS_*), as libjpeg decided them from the markers. */
export const ColorSpace = { RGB: 0, YCbCr: 1, GRAY: 2, CMYK: 3, YCCK: 4 } as const;

export interface JpegInfo {
  width: number;
  height: number;
  /** A ColorSpace value; -1 when libjpeg found none it names (e.g. 2 components). */
  colorSpace: number;
}

export interface Decompressed extends JpegInfo {
  pixelFormat: PixelFormat;
  /** Row-major samples, 3 (RGB) or 4 (CMYK, as stored: Adobe-inverted) per pixel. */
  data: Uint8Array;
  /** libjpeg's first warning ("Corrupt JPEG data: ..."), or null. */
  warning: string | null;
}

/** libjpeg refused the data; `message` is libjpeg's own text. */
export class LibjpegError extends Error {}

/** What the caller decides between reading the header and allocating the output. */
export interface DecompressPlan {
  pixelFormat: PixelFormat;
}

const MAX_KEPT_BYTES = 256 * 2 ** 20;
const MSG_LENGTH = 200; // JMSG_LENGTH_MAX
const CHANNELS: Record<PixelFormat, number> = { 0: 3, 11: 4 };

// The few WebAssembly types used here (the project's lib settings have no WebAssembly typings).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmImports = Record<string, Record<string, (...a: number[]) => number>>;
interface WasmApi {
  Module: new (code: Uint8Array) => object;
  Instance: new (module: object, imports: WasmImports) => { exports: unknown };
}
const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  malloc(n: number): number;
  free(p: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    src: number,
    size: number,
    w: number,
    h: number,
    subsamp: number,
    colorSpace: number,
  ): number;
  tjDecompress2(
    handle: number,
    src: number,
    size: number,
    dst: number,
    w: number,
    pitch: number,
    h: number,
    pixelFormat: number,
    flags: number,
  ): number;
}

interface Instance {
  x: Exports;
  /** Address of TurboJPEG's static message buffer; 0 when it was not found. */
  errStr: number;
}

class LongJump extends Error {}

let compiled: object | null = null;
let live: Instance | null = null;

/**
 * Decodes one JPEG: reads its header, lets `plan` check the size and pick the output format
 * (it may throw to refuse), then decompresses. Throws LibjpegError when libjpeg refuses.
 */
export function decompress(bytes: Uint8Array, plan: (info: JpegInfo) => DecompressPlan): Decompressed {
  const inst = live ?? (live = instantiate());
  let failed = true;
  try {
    const out = run(inst, bytes, plan);
    failed = false;
    return out;
  } finally {
    if (failed || inst.x.memory.buffer.byteLength > MAX_KEPT_BYTES) live = null;
  }
}

function run(inst: Instance, bytes: Uint8Array, plan: (info: JpegInfo) => DecompressPlan): Decompressed {
  const { x } = inst;
  const src = alloc(x, bytes.length);
  new Uint8Array(x.memory.buffer, src, bytes.length).set(bytes);
  const handle = x.tjInitDecompress();
  if (handle === 0) throw new LibjpegError('out of memory (cannot make a decompressor)');
  const info = header(inst, handle, src, bytes.length);
  const { pixelFormat } = plan(info);
  const stride = info.width * CHANNELS[pixelFormat];
  const dst = alloc(x, stride * info.height);
  clearMessage(inst);
  const rc = call(inst, () =>
    x.tjDecompress2(handle, src, bytes.length, dst, info.width, stride, info.height, pixelFormat, 0),
  );
  const said = message(inst);
  if (rc !== 0 && said?.startsWith('tj')) throw new LibjpegError(said);
  const data = new Uint8Array(x.memory.buffer, dst, stride * info.height).slice();
  x.free(dst);
  x.free(src);
  x.tjDestroy(handle);
  return { ...info, pixelFormat, data, warning: rc !== 0 ? (said ?? 'unknown warning') : null };
}

/**
 * The frame size and colour space. TurboJPEG 2.0 also returns -1 for sampling factors it has no
 * name for (after filling in the size); libjpeg decodes those fine, so only a throw or a missing
 * size is a failure.
 */
function header(inst: Instance, handle: number, src: number, size: number): JpegInfo {
  const { x } = inst;
  const meta = alloc(x, 16);
  new Int32Array(x.memory.buffer, meta, 4).fill(-1);
  clearMessage(inst);
  call(inst, () => x.tjDecompressHeader3(handle, src, size, meta, meta + 4, meta + 8, meta + 12));
  const [width, height, , colorSpace] = new Int32Array(x.memory.buffer, meta, 4);
  x.free(meta);
  if (!(width > 0 && height > 0)) {
    throw new LibjpegError(message(inst) ?? 'no image size in the header');
  }
  return { width, height, colorSpace };
}

/** Runs an export; libjpeg's longjmp (a fatal error) becomes a LibjpegError with its message. */
function call(inst: Instance, fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LongJump) throw new LibjpegError(message(inst) ?? 'unknown error');
    throw e;
  }
}

function alloc(x: Exports, n: number): number {
  const p = x.malloc(n);
  if (p === 0) throw new LibjpegError(`out of memory (cannot allocate ${n} bytes)`);
  return p;
}

function clearMessage(inst: Instance): void {
  if (inst.errStr) new Uint8Array(inst.x.memory.buffer)[inst.errStr] = 0;
}

/** The message TurboJPEG stored since clearMessage, or null. */
function message(inst: Instance): string | null {
  if (!inst.errStr) return null;
  const mem = new Uint8Array(inst.x.memory.buffer, inst.errStr, MSG_LENGTH);
  const end = mem.indexOf(0);
  const text = Buffer.from(mem.subarray(0, end < 0 ? MSG_LENGTH : end)).toString('latin1');
  return text === '' || text === 'No error' ? null : text;
}

function instantiate(): Instance {
  compiled ??= new WASM.Module(readFileSync(wasmPath()));
  const memory: { now?: WasmMemory } = {};
  const instance = new WASM.Instance(compiled, imports(memory));
  const x = instance.exports as unknown as Exports;
  memory.now = x.memory;
  return { x, errStr: findMessageBuffer(x.memory) };
}

function wasmPath(): string {
  return createRequire(import.meta.url).resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm');
}

/**
 * The static buffer is "No error" followed by zeros up to its 200 bytes; the same words as a
 * string constant are followed by other strings.
 */
function findMessageBuffer(memory: WasmMemory): number {
  const mem = Buffer.from(memory.buffer);
  const needle = Buffer.from('No error\0', 'latin1');
  for (let at = mem.indexOf(needle); at >= 0; at = mem.indexOf(needle, at + 1)) {
    if (mem.subarray(at + needle.length, at + MSG_LENGTH).every((b) => b === 0)) return at;
  }
  return 0;
}

/**
 * The build's imports: setjmp always returns 0 and longjmp throws (see the header). libjpeg's
 * getenv("JPEGMEM") sees an empty environment; the other WASI calls are for stdio and exit,
 * which TurboJPEG never reaches (it formats messages into memory): reaching one is an error.
 */
function imports(memory: { now?: WasmMemory }): WasmImports {
  const never = (name: string) => () => {
    throw new LibjpegError(`libjpeg-turbo called ${name}`);
  };
  return {
    env: {
      setjmp: () => 0,
      longjmp: () => {
        throw new LongJump('libjpeg error');
      },
    },
    wasi_snapshot_preview1: {
      environ_sizes_get: (count: number, size: number) => {
        const view = new DataView(memory.now!.buffer);
        view.setUint32(count, 0, true);
        view.setUint32(size, 0, true);
        return 0;
      },
      environ_get: never('environ_get'),
      proc_exit: never('proc_exit'),
      fd_close: never('fd_close'),
      fd_seek: never('fd_seek'),
      fd_write: never('fd_write'),
    },
  };
}
