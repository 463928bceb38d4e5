// Byte-level HDF5 checks and decoders. jsfive trusts every size and count it reads, so a damaged
// file can make it loop for a long time or allocate gigabytes; the checks here bound each
// structure by the bytes that actually hold it before jsfive (or dawnflow) reads it. Dataset
// values are read here too (decoded in h5_values): a typed-array copy instead of jsfive's
// per-element JS array.
// Format reference: the HDF5 File Format Specification, version 3.0 (sections cited per function).
import type { HeaderMessage } from 'jsfive';
import { type H5Bytes, H5Problem, UNDEFINED } from './h5_bytes.js';
import { decodeValues, valueType, type Decoded, type ValueType } from './h5_values.js';

// The bytes and problem types live in h5_bytes (below h5_values); callers import them from here.
export { H5Bytes, H5Problem } from './h5_bytes.js';
export { dtypeName, type Decoded, type ValueType } from './h5_values.js';

/** Object-header message types used here (spec IV.A.2). */
export const MSG = {
  DATASPACE: 1,
  DATATYPE: 3,
  LAYOUT: 8,
  FILTERS: 11,
  ATTRIBUTE: 12,
  ATTRIBUTE_INFO: 21,
};

/** Datasets past this many elements are treated as corrupt (no Keras weight is near it). */
export const MAX_ELEMENTS = 2 ** 31;

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Signature, supported superblock (jsfive reads versions 0, 2 and 3 with 8-byte addresses) and
 * the end-of-file address against the real size: the cheapest way to recognise a cut download.
 */
export function checkSuperblock(b: H5Bytes): void {
  if (b.length < 8 || SIGNATURE.some((v, i) => b.u8[i] !== v)) {
    throw new H5Problem('not an HDF5 file (bad signature)', 'not-hdf5');
  }
  if (b.length < 9) throw new H5Problem('truncated inside the superblock', 'truncated');
  const version = b.u8[8];
  let sizes: [number, number];
  let base: number;
  let eof: number;
  if (version === 0) {
    b.need(0, 96, 'the superblock');
    sizes = [b.u8[13], b.u8[14]];
    [base, eof] = [b.u64(24), b.u64(40)];
  } else if (version === 2 || version === 3) {
    b.need(0, 48, 'the superblock');
    sizes = [b.u8[9], b.u8[10]];
    [base, eof] = [b.u64(12), b.u64(28)];
  } else {
    throw new H5Problem(`HDF5 superblock version ${version} is not supported`, 'unsupported');
  }
  if (sizes[0] !== 8 || sizes[1] !== 8) {
    const what = `HDF5 offsets/lengths of ${sizes[0]}/${sizes[1]} bytes are not supported`;
    throw new H5Problem(what, 'unsupported');
  }
  if (base !== 0) {
    throw new H5Problem('HDF5 files with a user block are not supported', 'unsupported');
  }
  if (eof === UNDEFINED || eof > b.length) {
    const what = `truncated: the superblock says ${eof} bytes, the file has ${b.length}`;
    throw new H5Problem(what, 'truncated');
  }
}

interface AttrLayout {
  name: string;
  datatype: number;
  dataspace: number;
  data: number;
  end: number;
}

// Attribute message (IV.A.2.m): versions 1 (fields padded to 8 bytes) and 3 (unpadded), the two
// jsfive reads.
function attrLayout(b: H5Bytes, msg: HeaderMessage): AttrLayout {
  const start = msg.get('offset_to_message');
  const end = start + msg.get('size');
  b.need(start, end - start, 'an attribute');
  const version = b.u8[start];
  if (version !== 1 && version !== 3) {
    throw new H5Problem(`attribute message version ${version} is not supported`, 'unsupported');
  }
  const pad = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
  const [nameSize, typeSize, spaceSize] = [b.u16(start + 2), b.u16(start + 4), b.u16(start + 6)];
  const nameAt = start + (version === 1 ? 8 : 9);
  const datatype = nameAt + pad(nameSize);
  const dataspace = datatype + pad(typeSize);
  const data = dataspace + pad(spaceSize);
  if (data > end) throw new H5Problem('an attribute header overruns its message', 'corrupt');
  const raw = b.u8.subarray(nameAt, nameAt + nameSize);
  const name = new TextDecoder().decode(raw).replace(/\0+$/, '');
  return { name, datatype, dataspace, data, end };
}

/**
 * Every attribute's values must fit inside its own message; variable-length strings must point at
 * a global heap collection (IV.B, III.E) that fits in the file. jsfive allocates and loops by the
 * counts it reads, so this runs before it parses a group's attributes.
 */
export function checkAttributes(b: H5Bytes, msgs: HeaderMessage[]): void {
  for (const msg of msgs) {
    if (msg.get('type') !== MSG.ATTRIBUTE) continue;
    const a = attrLayout(b, msg);
    const cls = b.u8at(a.datatype) & 0x0f;
    const elem = cls === 9 ? 16 : Math.max(1, b.u32(a.datatype + 4));
    const { count } = dataspace(b, a.dataspace);
    if (count * elem > a.end - a.data) {
      const what = `attribute '${a.name}' claims ${count} values of ${elem} bytes`;
      throw new H5Problem(what, 'corrupt');
    }
    if (cls === 9) for (let i = 0; i < count; i++) checkHeapRef(b, a.data + 16 * i, a.name);
  }
}

function checkHeapRef(b: H5Bytes, at: number, name: string): void {
  if (b.u32(at) === 0) return; // an empty string needs no heap object
  const heap = b.u64(at + 4);
  const bad = heap === UNDEFINED || heap + 16 > b.length || b.u32(heap) !== 0x4c4f4347; // 'GCOL'
  if (bad || b.u64(heap + 8) > b.length - heap) {
    throw new H5Problem(`attribute '${name}' points at a missing string heap`, 'corrupt');
  }
}

/** True when the object keeps (some) attributes in dense storage, which jsfive cannot read. */
export function hasDenseAttributes(msgs: HeaderMessage[]): boolean {
  return msgs.some((m) => m.get('type') === MSG.ATTRIBUTE_INFO);
}

/**
 * Byte offsets of the padding fields of fixed-length string attributes stored as null-terminated.
 * h5wasm can only write those (or space-padded UTF-8); h5py and Keras write null-padded ASCII,
 * so the writer flips these to null-padded: the stored bytes are the same, only the type differs.
 */
export function nullTermStringTypes(b: H5Bytes, msgs: HeaderMessage[]): number[] {
  const out: number[] = [];
  for (const msg of msgs) {
    if (msg.get('type') !== MSG.ATTRIBUTE) continue;
    const { datatype } = attrLayout(b, msg);
    // Datatype message (IV.A.2.d): class in the low nibble of byte 0; for strings the low nibble
    // of byte 1 is the padding type (0 null-terminated, 1 null-padded, 2 space-padded).
    const isString = (b.u8at(datatype) & 0x0f) === 3;
    if (isString && (b.u8at(datatype + 1) & 0x0f) === 0) out.push(datatype + 1);
  }
  return out;
}

type Storage =
  | { kind: 'contiguous'; address: number; size: number | null }
  | { kind: 'compact'; offset: number; size: number }
  | { kind: 'chunked' };

export interface DatasetInfo {
  shape: number[];
  count: number;
  type: ValueType;
  storage: Storage;
}

function find(msgs: HeaderMessage[], type: number, what: string): HeaderMessage {
  const m = msgs.find((x) => x.get('type') === type);
  if (!m) throw new H5Problem(`the dataset has no ${what} message`, 'corrupt');
  return m;
}

/** Shape, value type and storage of a dataset; throws for non-numeric types and absurd shapes. */
export function describeDataset(b: H5Bytes, msgs: HeaderMessage[]): DatasetInfo {
  const space = dataspace(b, find(msgs, MSG.DATASPACE, 'dataspace').get('offset_to_message'));
  const type = valueType(b, find(msgs, MSG.DATATYPE, 'datatype').get('offset_to_message'));
  const storage = layout(b, find(msgs, MSG.LAYOUT, 'data layout').get('offset_to_message'));
  return { ...space, type, storage };
}

// Dataspace message (IV.A.2.b): version 1 has an 8-byte header, version 2 a 4-byte one whose
// last byte is the kind (0 scalar, 1 simple, 2 null); then one 8-byte size per dimension.
function dataspace(b: H5Bytes, at: number): { shape: number[]; count: number } {
  const version = b.u8at(at);
  const ndims = b.u8at(at + 1);
  if ((version !== 1 && version !== 2) || ndims > 32) {
    throw new H5Problem(`bad dataspace (version ${version}, ${ndims} dimensions)`, 'corrupt');
  }
  if (version === 2 && b.u8at(at + 3) === 2) return { shape: [0], count: 0 };
  const first = at + (version === 1 ? 8 : 4);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = b.u64(first + 8 * i);
    if (d === UNDEFINED) throw new H5Problem('a dimension is undefined', 'corrupt');
    shape.push(d);
    count *= d;
  }
  if (count > MAX_ELEMENTS) {
    throw new H5Problem(`shape [${shape}] has ${count} elements, over the 2^31 limit`, 'corrupt');
  }
  return { shape, count };
}

// Data layout message (IV.A.2.i): versions 1-2 (class at byte 2, address after 8 bytes) and 3-4
// (class at byte 1; contiguous: address + size; compact: 2-byte size + data).
function layout(b: H5Bytes, at: number): Storage {
  const version = b.u8at(at);
  if (version === 1 || version === 2) {
    const cls = b.u8at(at + 2);
    if (cls === 1) return { kind: 'contiguous', address: b.u64(at + 8), size: null };
    if (cls === 2) return { kind: 'chunked' };
    if (cls === 0) {
      const ndims = b.u8at(at + 1);
      const sizeAt = at + 8 + 4 * ndims;
      return { kind: 'compact', offset: sizeAt + 4, size: b.u32(sizeAt) };
    }
  } else if (version === 3 || version === 4) {
    const cls = b.u8at(at + 1);
    if (cls === 1) return { kind: 'contiguous', address: b.u64(at + 2), size: b.u64(at + 10) };
    if (cls === 2) return { kind: 'chunked' };
    if (cls === 0) return { kind: 'compact', offset: at + 4, size: b.u16(at + 2) };
  }
  throw new H5Problem(`data layout (version ${version}) is not supported`, 'unsupported');
}

/** The values of a contiguous or compact dataset. */
export function readStored(b: H5Bytes, d: DatasetInfo): Decoded {
  const need = d.count * d.type.bytes;
  const s = d.storage;
  if (s.kind === 'chunked') throw new Error('readStored: chunked datasets are read through jsfive');
  // HDF5 gives contiguous and compact data exactly count x element size bytes: any other size
  // means the shape (or type) no longer describes the stored values.
  const stored = s.size;
  if (stored !== null && stored !== need) {
    throw new H5Problem(`stores ${stored} bytes, its shape [${d.shape}] needs ${need}`, 'corrupt');
  }
  if (d.count === 0) return decodeValues(b, 0, 0, d.type);
  if (s.kind === 'contiguous' && s.address === UNDEFINED) {
    throw new H5Problem('has no data written (an interrupted save?)', 'corrupt');
  }
  const at = s.kind === 'contiguous' ? s.address : s.offset;
  b.need(at, need, 'the data');
  return decodeValues(b, at, d.count, d.type);
}
