// Dataset value types and their decoding. Keras writes float32 weights, an int64 `iterations` in
// optimizer_weights (Keras 2.2+), and h5py can hold float16/64, any integer and bool (an enum of
// int8); they are all decoded here into float32 for the engine, integers also exactly as
// float64, since float32 holds integers exactly only up to 2^24. Format reference: the HDF5 File
// Format Specification 3.0, datatype message IV.A.2.d.
import { type H5Bytes, H5Problem } from './h5_bytes.js';

/** How one stored value is laid out: its kind, size in bytes and byte order. */
export interface ValueType {
  kind: 'float' | 'int' | 'uint' | 'bool';
  bytes: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/** Decoded values: float32 for the engine, and the exact numbers of an integer or bool dataset. */
export interface Decoded {
  data: Float32Array;
  integers?: Float64Array;
}

const CLASS_NAMES = [
  'integer',
  'float',
  'time',
  'string',
  'bitfield',
  'opaque',
  'compound',
  'reference',
  'enum',
  'variable-length',
  'array',
];
const INTEGER = 0;
const FLOAT = 1;
const ENUM = 8;

const sized = (n: number): n is ValueType['bytes'] => n === 1 || n === 2 || n === 4 || n === 8;

/** The value type of a datatype message at `at`; a problem for strings, compounds and the like. */
export function valueType(b: H5Bytes, at: number): ValueType {
  const cls = b.u8at(at) & 0x0f;
  const t = cls === ENUM ? boolType(b, at) : numberType(b, at);
  if (t) return t;
  throw new H5Problem(`holds ${typeName(b, at)} values, not numbers`, 'unsupported');
}

// Fixed-point (class 0): bit 0 of the class bits is the byte order, bit 3 the sign. Floating
// point (class 1): bit 0 is the byte order; 2-, 4- and 8-byte IEEE floats only.
function numberType(b: H5Bytes, at: number): ValueType | null {
  const cls = b.u8at(at) & 0x0f;
  const flags = b.u8at(at + 1);
  const bytes = b.u32(at + 4);
  if (!sized(bytes)) return null;
  const littleEndian = (flags & 1) === 0;
  if (cls === FLOAT && bytes > 1) return { kind: 'float', bytes, littleEndian };
  if (cls === INTEGER) return { kind: flags & 8 ? 'int' : 'uint', bytes, littleEndian };
  return null;
}

// h5py stores NumPy's bool as an enum of two members (FALSE, TRUE) over a 1-byte integer, whose
// datatype follows the enum's 8-byte header; the member count is the low 16 class bits.
function boolType(b: H5Bytes, at: number): ValueType | null {
  const base = numberType(b, at + 8);
  const members = b.u16(at + 1);
  const ok = base?.kind !== 'float' && base?.bytes === 1 && b.u32(at + 4) === 1 && members === 2;
  return ok ? { kind: 'bool', bytes: 1, littleEndian: true } : null;
}

/** NumPy's name of a value type: 'float32', 'int64', 'uint8', 'bool'. */
export function dtypeName(t: ValueType): string {
  return t.kind === 'bool' ? 'bool' : `${t.kind}${8 * t.bytes}`;
}

/** Names any datatype for a message, e.g. 'int32', '128-bit float', 'string'. */
export function typeName(b: H5Bytes, at: number): string {
  const cls = b.u8at(at) & 0x0f;
  if (cls === ENUM && boolType(b, at)) return 'bool';
  const bytes = b.u32(at + 4);
  if (cls === INTEGER) return `${b.u8at(at + 1) & 8 ? 'int' : 'uint'}${bytes * 8}`;
  if (cls === FLOAT) return `${bytes * 8}-bit float`;
  return CLASS_NAMES[cls] ?? `class ${cls}`;
}

/** `n` values of type `t` at byte `at` (already bounds-checked by the caller). */
export function decodeValues(b: H5Bytes, at: number, n: number, t: ValueType): Decoded {
  if (t.kind === 'float') return { data: decodeFloats(b, at, n, t) };
  const read = integerReader(b.dv, t);
  const integers = new Float64Array(n);
  for (let i = 0; i < n; i++) integers[i] = read(at + i * t.bytes);
  return { data: Float32Array.from(integers), integers };
}

/** jsfive's decoding of a chunked dataset (numbers, or BigInts for 64-bit integers). */
export function fromJsValues(values: unknown[], t: ValueType): Decoded {
  const exact = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // A chunk that was never written reads as a hole: HDF5 would give the fill value, but Keras
    // writes every weight whole, so a hole means a damaged file (or a grown dataspace).
    if (v === undefined) throw new H5Problem('has parts that were never written', 'corrupt');
    if (typeof v === 'bigint') exact[i] = Number(v);
    else if (typeof v === 'number') exact[i] = v;
    else throw new H5Problem('holds non-numbers', 'corrupt');
  }
  const data = Float32Array.from(exact);
  return t.kind === 'float' ? { data } : { data, integers: exact };
}

function integerReader(dv: DataView, t: ValueType): (o: number) => number {
  const le = t.littleEndian;
  const signed = t.kind !== 'uint';
  if (t.bytes === 1) return signed ? (o) => dv.getInt8(o) : (o) => dv.getUint8(o);
  if (t.bytes === 2) return signed ? (o) => dv.getInt16(o, le) : (o) => dv.getUint16(o, le);
  if (t.bytes === 4) return signed ? (o) => dv.getInt32(o, le) : (o) => dv.getUint32(o, le);
  return signed ? (o) => Number(dv.getBigInt64(o, le)) : (o) => Number(dv.getBigUint64(o, le));
}

/**
 * Little-endian float32 at an aligned offset is a view of the file's bytes, not a copy: a model
 * file is mostly such data, and on the development VM a copy's fresh pages cost ~3 ms per MB (the
 * chapter's 122 MB checkpoint, read back to verify every save, copied all of it). The file's
 * buffer is private to this read, so nothing else writes through the view.
 */
function decodeFloats(b: H5Bytes, at: number, n: number, t: ValueType): Float32Array {
  if (t.bytes === 4 && t.littleEndian) {
    return at % 4 === 0 ? new Float32Array(b.buffer, at, n) : new Float32Array(b.buffer.slice(at, at + 4 * n));
  }
  const out = new Float32Array(n);
  const le = t.littleEndian;
  for (let i = 0; i < n; i++) {
    const o = at + i * t.bytes;
    if (t.bytes === 8) out[i] = b.dv.getFloat64(o, le);
    else if (t.bytes === 4) out[i] = b.dv.getFloat32(o, le);
    else out[i] = half(b.dv.getUint16(o, le));
  }
  return out;
}

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
