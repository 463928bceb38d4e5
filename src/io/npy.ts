// NumPy .npy files for float32 / int32 arrays, so features and labels can go to and from
// `np.load` / `np.save`. Writes format 1.0 exactly as NumPy does (header dict, spaces, '\n',
// data aligned to 64 bytes); reads 1.0, 2.0 and 3.0 headers.
import fs from 'node:fs';
import { writeAtomicWith } from '../util/atomic_write.js';
import { oneLine } from '../util/errors.js';

export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes `data` with `shape` (C order) to `path` atomically: a temporary file in the same
 * folder, fsync, then rename, so readers never see a half-written array.
 */
export function writeNpy(path: string, data: Float32Array | Int32Array, shape: number[]): void {
  checkShape(path, data, shape);
  const header = npyHeader(data instanceof Float32Array ? '<f4' : '<i4', shape);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeAtomically(path, [header, LITTLE_ENDIAN ? body : Buffer.from(body).swap32()]);
}

/**
 * The bytes before the data, as NumPy >= 1.24's np.save writes them: magic, version 1.0, the
 * header length, the dict with its keys sorted, spare spaces for the first axis to grow to 21
 * digits, then spaces and '\n' so the data starts at a multiple of 64 bytes.
 */
export function npyHeader(descr: string, shape: number[]): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  const pad = 64 - ((10 + dict.length + 1) % 64); // NumPy's formula: at least one space
  const text = `${dict + ' '.repeat(pad)}\n`;
  const out = Buffer.alloc(10 + text.length);
  out.set(MAGIC, 0);
  out[6] = 1; // version 1.0
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}

export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw npyError(path, `cannot read (${errorCode(e)}); check the path`, e);
  }
  const { descr, shape, dataStart } = parseHeader(path, bytes);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - dataStart !== count * 4) {
    const what = bytes.length - dataStart < count * 4 ? 'truncated' : 'has extra bytes';
    throw npyError(
      path,
      `${what}: shape (${shape.join(', ')}) needs ${count * 4} data bytes, ` +
        `found ${bytes.length - dataStart}; re-save the file`,
    );
  }
  // Copy into a fresh, aligned buffer (the data offset need not be a multiple of 4 in 2.0 files).
  const raw = Buffer.from(bytes.subarray(dataStart));
  if ((descr[0] === '<') !== LITTLE_ENDIAN) raw.swap32();
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  return descr.endsWith('f4')
    ? { dtype: 'float32', shape, data: new Float32Array(buf) }
    : { dtype: 'int32', shape, data: new Int32Array(buf) };
}

interface NpyHeader {
  descr: string;
  shape: number[];
  dataStart: number;
}

function parseHeader(path: string, b: Buffer): NpyHeader {
  if (b.length < 10 || !MAGIC.every((v, i) => b[i] === v)) {
    throw npyError(path, 'not a .npy file (no \\x93NUMPY magic); pass a file written by np.save');
  }
  const major = b[6];
  if (major < 1 || major > 3) {
    throw npyError(path, `unsupported .npy version ${major}.${b[7]}; re-save the file with np.save`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.length >= 12 ? b.readUInt32LE(8) : -1;
  const dataStart = 8 + lenBytes + headerLen;
  if (headerLen < 0 || dataStart > b.length) {
    throw npyError(path, 'truncated .npy header; re-copy the file or re-save it with np.save');
  }
  const text = b.toString(major === 3 ? 'utf8' : 'latin1', 8 + lenBytes, dataStart);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const dims = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || dims === undefined) {
    throw npyError(path, `malformed .npy header "${printable(text.trim(), 80)}"; re-save the file with np.save`);
  }
  if (!/^[<>][fi]4$/.test(descr)) {
    throw npyError(
      path,
      `dtype '${printable(descr, 20)}' is not supported; save float32 or int32 (a.astype('float32'))`,
    );
  }
  if (fortran === 'True') {
    throw npyError(path, 'Fortran-ordered arrays are not supported; save np.ascontiguousarray(a)');
  }
  return { descr, shape: parseShape(path, dims), dataStart };
}

function parseShape(path: string, dims: string): number[] {
  const parts = dims
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!parts.every((s) => /^[0-9]+L?$/.test(s))) {
    throw npyError(path, `malformed shape (${printable(dims, 40)}) in .npy header; re-save the file with np.save`);
  }
  return parts.map((s) => Number.parseInt(s, 10));
}

function checkShape(path: string, data: Float32Array | Int32Array, shape: number[]): void {
  if (!(data instanceof Float32Array || data instanceof Int32Array)) {
    throw npyError(path, 'data must be a Float32Array or an Int32Array');
  }
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw npyError(path, `bad shape [${shape.join(', ')}]; dimensions must be integers >= 0`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw npyError(path, `shape [${shape.join(', ')}] holds ${count} values ` + `but data has ${data.length}`);
  }
}

function writeAtomically(path: string, parts: Uint8Array[]): void {
  try {
    writeAtomicWith(
      path,
      (tmp) => {
        const fd = fs.openSync(tmp, 'wx');
        try {
          for (const p of parts) writeAll(fd, p);
        } finally {
          fs.closeSync(fd);
        }
      },
      { durable: true },
    );
  } catch (e) {
    throw npyError(path, `cannot write (${errorCode(e)}); check that the folder exists and is writable`, e);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(e);
}

function npyError(path: string, what: string, cause?: unknown): Error {
  return new Error(oneLine(`dawnflow: ${path}: ${what}`), { cause });
}

/** Text from the file for a message: printable ASCII only, and short. */
function printable(s: string, max: number): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}
