// Consistency checks on the HDF5 structures jsfive walks without checking: it steps from message
// to message by their sizes and takes a symbol-table node's entry count at its word, letting a
// later entry with the same name replace an earlier one. A damaged byte there does not fail: an
// optional attribute vanishes, or a weight's name silently leads to another layer's data. Files
// written by HDF5 (h5py, Keras, h5wasm) always pass these checks. Format reference: the HDF5
// File Format Specification 3.0, sections cited per function.
import type { HeaderMessage } from 'jsfive';
import { type H5Bytes, H5Problem } from './h5_low.js';

const CONTINUATION = 0x10;
const SYMBOL_TABLE = 0x11;
/** B-trees of Keras files are one or two levels deep; far deeper is a loop or garbage. */
const MAX_TREE_DEPTH = 16;

function corrupt(what: string): H5Problem {
  return new H5Problem(what, 'corrupt');
}

/**
 * A version-1 object header (IV.A.1.a): its messages, each 8-byte aligned, tile the header's
 * blocks exactly (HDF5 fills every gap with a NIL message), continuation blocks included.
 */
export function checkObjectHeader(b: H5Bytes, offset: number): void {
  if (b.u8at(offset) !== 1) return; // version 2 headers ('OHDR') carry their own sizes
  const count = b.u16(offset + 2);
  const blocks: [number, number][] = [[offset + 16, b.u32(offset + 8)]];
  let [block, local] = [0, 0];
  for (let i = 0; i < count; i++) {
    if (local === blocks[block][1] && block + 1 < blocks.length) [block, local] = [block + 1, 0];
    const [start, size] = blocks[block];
    const length = b.u16(start + local + 2);
    if (length % 8 !== 0 || local + 8 + length > size) {
      throw corrupt(`an object header at byte ${offset} has a message that overruns its block`);
    }
    if (b.u16(start + local) === CONTINUATION) {
      blocks.push([b.u64(start + local + 8), b.u64(start + local + 16)]);
    }
    local += 8 + length;
  }
  if (block !== blocks.length - 1 || local !== blocks[block][1]) {
    throw corrupt(`the messages of an object header at byte ${offset} do not fill it`);
  }
}

/** The group's B-tree and symbol-table nodes (III.A.1, III.B), when it has a symbol table. */
export function checkSymbolTable(b: H5Bytes, msgs: HeaderMessage[]): void {
  const m = msgs.find((x) => x.get('type') === SYMBOL_TABLE);
  if (!m) return; // newer groups keep links in messages or a fractal heap instead
  const at = m.get('offset_to_message');
  const heap = localHeap(b, b.u64(at + 8));
  const walk: Walk = { b, heap, k: groupK(b), previous: null, seen: new Set() };
  treeNode(walk, b.u64(at), 0);
}

interface Walk {
  b: H5Bytes;
  heap: { start: number; size: number };
  /** Group leaf-node K and internal-node K from the superblock. */
  k: [number, number];
  /** The last link name, for the sort order. */
  previous: string | null;
  seen: Set<number>;
}

/** Superblock v0 holds the group K values (bytes 16 and 18); later versions use the defaults. */
function groupK(b: H5Bytes): [number, number] {
  return b.u8at(8) === 0 ? [b.u16(16), b.u16(18)] : [4, 16];
}

/** A local heap (III.D): where its data segment lies. */
function localHeap(b: H5Bytes, at: number): { start: number; size: number } {
  if (!signature(b, at, 'HEAP')) throw corrupt(`a group's name heap at byte ${at} is missing`);
  const [size, start] = [b.u64(at + 8), b.u64(at + 24)];
  b.need(start, size, 'a group name heap');
  return { start, size };
}

function signature(b: H5Bytes, at: number, sig: string): boolean {
  b.need(at, 4, 'a group structure');
  return String.fromCharCode(...b.u8.subarray(at, at + 4)) === sig;
}

/** A group B-tree node (type 0): at most 2K children, then the nodes below or the symbol nodes. */
function treeNode(w: Walk, at: number, depth: number): void {
  if (depth > MAX_TREE_DEPTH || w.seen.has(at)) throw corrupt(`a group B-tree loops (byte ${at})`);
  w.seen.add(at);
  if (!signature(w.b, at, 'TREE') || w.b.u8at(at + 4) !== 0) {
    throw corrupt(`a group B-tree node at byte ${at} is damaged`);
  }
  const [level, used] = [w.b.u8at(at + 5), w.b.u16(at + 6)];
  if (used > 2 * w.k[1]) throw corrupt(`a group B-tree node at byte ${at} claims ${used} children`);
  // After the 24-byte header: key 0, child 0, key 1, child 1, ..., key N (8 bytes each).
  for (let i = 0; i < used; i++) {
    const child = w.b.u64(at + 24 + 16 * i + 8);
    if (level > 0) treeNode(w, child, depth + 1);
    else symbolNode(w, child, linkName(w, w.b.u64(at + 24 + 16 * (i + 1))));
  }
}

/**
 * A symbol-table node (III.B): at most 2K entries of 40 bytes, names strictly increasing, the
 * last one the node's key in the B-tree (HDF5 keeps each node's largest name there). A count
 * cut short would otherwise drop the last links silently: an optional group such as
 * optimizer_weights would just be gone.
 */
function symbolNode(w: Walk, at: number, key: string): void {
  if (!signature(w.b, at, 'SNOD')) throw corrupt(`a group symbol node at byte ${at} is damaged`);
  const count = w.b.u16(at + 6);
  if (count > 2 * w.k[0]) throw corrupt(`a group symbol node at byte ${at} claims ${count} entries`);
  for (let i = 0; i < count; i++) {
    const name = linkName(w, w.b.u64(at + 8 + 40 * i));
    if (w.previous !== null && !(name > w.previous)) {
      throw corrupt(`a group lists '${clip(name)}' out of order or twice (a damaged symbol table)`);
    }
    w.previous = name;
  }
  if (count > 0 && w.previous !== key) {
    throw corrupt(
      `a group's symbol node ends at '${clip(w.previous ?? '')}', its B-tree key says ` +
        `'${clip(key)}' (a damaged symbol table)`,
    );
  }
}

/** A name from the file, short enough for a one-line message. */
function clip(name: string): string {
  return name.length > 40 ? `${name.slice(0, 37)}...` : name;
}

function linkName(w: Walk, offset: number): string {
  const { start, size } = w.heap;
  const end = w.b.u8.subarray(start, start + size).indexOf(0, offset);
  if (offset >= size || end < 0) throw corrupt('a link name lies outside its group heap');
  return Buffer.from(w.b.u8.subarray(start + offset, start + end)).toString('latin1');
}

/**
 * A chunked dataset's chunk B-tree (III.A.1, type 1): Keras writes every weight whole, so the
 * chunks must be exactly those covering the dataspace, each at a multiple of the chunk size
 * inside it. jsfive reads whatever the tree holds: a damaged dataspace or tree would give holes,
 * or silently drop the chunks that no longer fit.
 */
export function checkChunks(b: H5Bytes, layoutAt: number, shape: number[], filtered: boolean): void {
  const { address, chunk, element } = chunkLayout(b, layoutAt, shape.length);
  const want = shape.reduce((n, d, i) => n * Math.ceil(d / chunk[i]), 1);
  // An empty dataset has no chunk tree, or one that holds no chunk: a tree with chunks beside an
  // empty dataspace means the dataspace was damaged (HDF5 deletes chunks past a shrunk extent).
  if (want === 0 && address < 0) return;
  if (address < 0) throw corrupt('has no data written (an interrupted save?)'); // all ones
  const found = chunkTree(b, address, { shape, chunk, element, filtered, seen: new Set(), depth: 0 });
  if (found !== want) {
    throw corrupt(`holds ${found} chunks, its shape [${shape}] in chunks of [${chunk}] needs ${want}`);
  }
}

/**
 * Data layout message v1-v3 (IV.A.2.i), chunked class: B-tree address, chunk dimensions and,
 * as the last dimension, the element size.
 */
function chunkLayout(b: H5Bytes, at: number, rank: number): ChunkLayout {
  const version = b.u8at(at);
  if (version > 3) {
    throw new H5Problem(`chunked data layout version ${version} is not supported`, 'unsupported');
  }
  const rankPlus = b.u8at(at + 1 + (version < 3 ? 0 : 1));
  if (rankPlus !== rank + 1) throw corrupt('the chunk layout does not match the dataspace rank');
  const address = b.u64(at + (version < 3 ? 8 : 3));
  const first = at + (version < 3 ? 16 : 11);
  const chunk = Array.from({ length: rank }, (_, i) => b.u32(first + 4 * i));
  if (chunk.some((c) => c === 0)) throw corrupt('a chunk dimension is 0');
  return { address, chunk, element: b.u32(first + 4 * rank) };
}

interface ChunkLayout {
  address: number;
  chunk: number[];
  element: number;
}

interface ChunkWalk {
  shape: number[];
  chunk: number[];
  element: number;
  /** Filtered (compressed) chunks have any size; unfiltered ones are stored whole. */
  filtered: boolean;
  seen: Set<number>;
  depth: number;
}

function chunkTree(b: H5Bytes, at: number, w: ChunkWalk): number {
  if (w.depth > MAX_TREE_DEPTH || w.seen.has(at)) throw corrupt(`a chunk B-tree loops (byte ${at})`);
  w.seen.add(at);
  if (!signature(b, at, 'TREE') || b.u8at(at + 4) !== 1) {
    throw corrupt(`a chunk B-tree node at byte ${at} is damaged`);
  }
  const [level, used] = [b.u8at(at + 5), b.u16(at + 6)];
  const keySize = 8 + 8 * (w.shape.length + 1);
  let count = 0;
  for (let i = 0; i < used; i++) {
    const key = at + 24 + i * (keySize + 8);
    const child = b.u64(key + keySize);
    if (level > 0) count += chunkTree(b, child, { ...w, depth: w.depth + 1 });
    else count += chunkKey(b, key, child, w);
  }
  return count;
}

/**
 * One leaf key: stored size, filter mask, the chunk's offset in every dimension (and 0 for the
 * element dimension). A chunk whose filters were skipped (mask bits set) is stored unfiltered,
 * so it must have the full size, as must every chunk of an unfiltered dataset.
 */
function chunkKey(b: H5Bytes, key: number, address: number, w: ChunkWalk): number {
  const offsets = w.shape.map((_, i) => b.u64(key + 8 + 8 * i));
  const inside = offsets.every((o, i) => o < w.shape[i] && o % w.chunk[i] === 0);
  if (!inside || b.u64(key + 8 + 8 * w.shape.length) !== 0) {
    throw corrupt(`a chunk at [${offsets}] lies outside the shape [${w.shape}]`);
  }
  const [size, mask] = [b.u32(key), b.u32(key + 4)];
  b.need(address, size, 'a chunk');
  const whole = w.chunk.reduce((n, c) => n * c, w.element);
  if ((!w.filtered || mask !== 0) && size !== whole) {
    throw corrupt(`a chunk stores ${size} bytes where its unfiltered data needs ${whole}`);
  }
  return 1;
}
