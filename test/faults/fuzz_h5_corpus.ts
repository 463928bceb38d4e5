// The HDF5 fuzzer's byte-level view of its base files: where each structure sits (object
// headers and their messages, the heaps, B-trees and the superblock), which bytes carry values
// (weights, attribute contents, the data types and layouts that decide how values are read),
// and mutations aimed at the fields a reader trusts: dimensions, sizes, addresses and counts.
// A mutation outside the value bytes that still loads must give back exactly the original.
import * as hdf5 from 'jsfive';
import { describeDataset, H5Bytes, MSG } from '../../src/io/h5_low.js';
import { flips, type Rand, type Mutation } from './fuzz_helpers.js';

/** A field or block worth aiming at. */
export interface Target {
  kind:
    | 'dataspace'
    | 'datatype'
    | 'layout'
    | 'attribute'
    | 'message'
    | 'header'
    | 'heap'
    | 'btree'
    | 'snod'
    | 'gcol'
    | 'superblock';
  at: number;
  size: number;
}

export interface Layout {
  targets: Target[];
  /** [start, end) ranges whose bytes are values or say how values are read. */
  values: [number, number][];
  /**
   * Dataspace messages: a change there may reshape a weight without changing its element
   * count ([1] and [] hold the same bytes), which no reader can tell; the values must stay.
   */
  shapes: [number, number][];
}

/** Messages that hold values or decide how they are read (the filters decompress chunks). */
const VALUE_MESSAGES = new Set([MSG.DATATYPE, MSG.LAYOUT, MSG.FILTERS, MSG.ATTRIBUTE]);
const KIND: Record<number, Target['kind']> = {
  [MSG.DATASPACE]: 'dataspace',
  [MSG.DATATYPE]: 'datatype',
  [MSG.LAYOUT]: 'layout',
  [MSG.ATTRIBUTE]: 'attribute',
};

/** Maps a sound file (jsfive reads it; every object reachable from the root). */
export function layoutOf(bytes: Uint8Array): Layout {
  const buffer = bytes.slice().buffer;
  const superblock: Target = { kind: 'superblock', at: 0, size: Math.min(96, bytes.length) };
  const out: Layout = { targets: [superblock], values: [], shapes: [] };
  const seen = new Set<number>();
  const visit = (obj: hdf5.Group | hdf5.Dataset): void => {
    const d = obj._dataobjects;
    if (seen.has(d.offset)) return;
    seen.add(d.offset);
    out.targets.push({ kind: 'header', at: d.offset, size: 16 });
    for (const m of d.msgs) addMessage(out, m);
    if (obj instanceof hdf5.Dataset) addData(out, new H5Bytes(buffer), d.msgs);
    else for (const k of obj.keys) visit(obj.get(k) as hdf5.Group | hdf5.Dataset);
  };
  visit(new hdf5.File(buffer, 'layout'));
  addSignatures(out, bytes);
  return out;
}

function addMessage(out: Layout, m: hdf5.HeaderMessage): void {
  const [type, at, size] = [m.get('type'), m.get('offset_to_message'), m.get('size')];
  out.targets.push({ kind: KIND[type] ?? 'message', at, size });
  // The message's own header counts too: retyped, an optional attribute (training_config)
  // silently becomes no attribute, as a NIL message would, which no reader can tell.
  if (VALUE_MESSAGES.has(type)) out.values.push([at - 8, at + size]);
  if (type === MSG.DATASPACE) out.shapes.push([at, at + size]);
}

function addData(out: Layout, b: H5Bytes, msgs: hdf5.HeaderMessage[]): void {
  const info = describeDataset(b, msgs);
  const s = info.storage;
  if (s.kind === 'contiguous') out.values.push([s.address, s.address + info.count * info.type.bytes]);
  // Chunk data sits wherever the chunk B-tree says; its bytes are unmapped, so no exact check.
}

// Blocks found by their signatures: local heaps, B-tree nodes, symbol-table nodes and global
// heap collections (where variable-length strings such as model_config live: values).
const SIGNATURES: [string, Target['kind']][] = [
  ['HEAP', 'heap'],
  ['TREE', 'btree'],
  ['SNOD', 'snod'],
  ['GCOL', 'gcol'],
];

function addSignatures(out: Layout, bytes: Uint8Array): void {
  const text = Buffer.from(bytes).toString('latin1');
  for (const [sig, kind] of SIGNATURES) {
    for (let at = text.indexOf(sig); at >= 0; at = text.indexOf(sig, at + 1)) {
      out.targets.push({ kind, at, size: 32 });
      if (kind === 'gcol') out.values.push([at, at + gcolSize(bytes, at)]);
    }
  }
}

function gcolSize(bytes: Uint8Array, at: number): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return at + 16 <= bytes.length ? Number(v.getBigUint64(at + 8, true)) : 16;
}

/** True when `a` and `b` have one length and every byte that differs is outside `ranges`. */
export function changedOnlyOutside(a: Uint8Array, b: Uint8Array, ranges: [number, number][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && ranges.some(([s, e]) => i >= s && i < e)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- aimed mutations

/** Values that break readers: zero, one, just past a limit, huge, all ones (undefined). */
const U64_VALUES = [0n, 1n, 2n ** 31n, 2n ** 32n + 5n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 63n, 2n ** 64n - 1n];
const U32_VALUES = [0, 1, 0xffff, 2 ** 31, 2 ** 32 - 1];
const U16_VALUES = [0, 1, 0xff, 0xffff];

function writeU64(out: Uint8Array, at: number, v: bigint): void {
  if (at >= 0 && at + 8 <= out.length) new DataView(out.buffer).setBigUint64(at, v, true);
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at + 4 <= out.length) new DataView(out.buffer).setUint32(at, v >>> 0, true);
}

function writeU16(out: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at + 2 <= out.length) new DataView(out.buffer).setUint16(at, v, true);
}

function writeU8(out: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at < out.length) out[at] = v;
}

/** Dataspace (IV.A.2.b): version, rank, then 8-byte dimensions after a 4 or 8-byte header. */
function dataspace(out: Uint8Array, t: Target, r: Rand): void {
  const first = t.at + (out[t.at] === 1 ? 8 : 4);
  const which = r.int(4);
  if (which === 0) writeU8(out, t.at + 1, r.pick([0, 1, 5, 32, 33, 255]));
  else if (which === 1) writeU8(out, t.at, r.pick([0, 3, 255]));
  else writeU64(out, first + 8 * r.int(Math.max(1, out[t.at + 1])), r.pick(U64_VALUES));
}

/** Datatype (IV.A.2.d): class and version in byte 0, bit fields, 4-byte element size. */
function datatype(out: Uint8Array, t: Target, r: Rand): void {
  const which = r.int(3);
  if (which === 0) writeU8(out, t.at, (out[t.at] & 0xf0) | r.pick([0, 2, 3, 6, 7, 9, 10, 15]));
  else if (which === 1) writeU8(out, t.at + 1, out[t.at + 1] ^ r.pick([1, 8, 0x40, 0xff]));
  else writeU32(out, t.at + 4, r.pick([0, 1, 3, 16, 2 ** 31, 2 ** 32 - 1]));
}

/** Data layout (IV.A.2.i) v3: class at byte 1, then address and size (or compact size). */
function layout(out: Uint8Array, t: Target, r: Rand): void {
  const which = r.int(4);
  if (which === 0) writeU8(out, t.at + 1, r.pick([0, 2, 3, 9]));
  else if (which === 1) writeU8(out, t.at, r.pick([1, 2, 5, 0]));
  else writeU64(out, t.at + 2 + 8 * (which - 2), r.pick([...U64_VALUES, BigInt(out.length - 4)]));
}

/** Attribute (IV.A.2.m): name, datatype and dataspace sizes, then those parts. */
function attribute(out: Uint8Array, t: Target, r: Rand): void {
  const which = r.int(4);
  if (which < 3) writeU16(out, t.at + 2 + 2 * which, r.pick(U16_VALUES));
  else flips(4)(out.subarray(t.at, t.at + t.size), r).forEach((v, i) => (out[t.at + i] = v));
}

/** An object header's prefix (v1: message count, reference count, header size). */
function header(out: Uint8Array, t: Target, r: Rand): void {
  const which = r.int(3);
  if (which === 0) writeU16(out, t.at + 2, r.pick(U16_VALUES));
  else if (which === 1) writeU32(out, t.at + 8, r.pick(U32_VALUES));
  else writeU8(out, t.at, r.pick([0, 2, 3, 255]));
}

/** A message's own 8-byte header (v1): type, size, flags. */
function messageHeader(out: Uint8Array, t: Target, r: Rand): void {
  const at = t.at - 8;
  const which = r.int(3);
  if (which === 0) writeU16(out, at, r.pick([0, 1, 3, 8, 12, 16, 0x11, 0xff]));
  else if (which === 1) writeU16(out, at + 2, r.pick(U16_VALUES));
  else writeU8(out, at + 4, r.pick([1, 2, 8, 0xff]));
}

/** Counts and addresses in heaps, B-trees, symbol nodes and global heap collections. */
function block(out: Uint8Array, t: Target, r: Rand): void {
  const which = r.int(3);
  if (which === 0) writeU16(out, t.at + 6, r.pick(U16_VALUES));
  else if (which === 1) writeU64(out, t.at + 8 + 8 * r.int(3), r.pick(U64_VALUES));
  else writeU8(out, t.at + 4 + r.int(4), r.pick([0, 1, 2, 255]));
}

/** Superblock v0: versions, sizes, addresses (base, free space, end of file, driver, root). */
function superblock(out: Uint8Array, _t: Target, r: Rand): void {
  const which = r.int(3);
  if (which === 0) writeU8(out, 8 + r.int(8), r.pick([0, 1, 2, 4, 16, 255]));
  else if (which === 1) writeU64(out, 24 + 8 * r.int(4), r.pick(U64_VALUES));
  else writeU64(out, 64 + 8 * r.int(4), r.pick([...U64_VALUES, BigInt(r.int(out.length))]));
}

const AIMED: Record<Target['kind'], (out: Uint8Array, t: Target, r: Rand) => void> = {
  dataspace,
  datatype,
  layout,
  attribute,
  header,
  message: messageHeader,
  heap: block,
  btree: block,
  snod: block,
  gcol: block,
  superblock,
};

/** A mutation aimed at a random structure of kind `kind` (any kind when null). */
export function aimed(l: Layout, kind: Target['kind'] | null): Mutation {
  return (b, r) => {
    const list = l.targets.filter((t) => kind === null || t.kind === kind);
    if (list.length === 0) return flips(1)(b, r);
    const out = b.slice();
    const t = r.pick(list);
    AIMED[t.kind](out, t, r);
    return out;
  };
}

/** A truncation that also patches the superblock's end-of-file address to match. */
export const truncatePatched: Mutation = (b, r) => {
  const out = b.slice(0, r.range(96, Math.max(96, b.length - 1)));
  if (out[8] === 0) writeU64(out, 40, BigInt(out.length));
  else writeU64(out, 28, BigInt(out.length));
  return out;
};
