// The image fuzzer's corpus and its format-aware mutations. Base files are made at test time
// (jpeg-js and pngjs encoders, the hand-built PNG/BMP/PPM/JPEG writers of test/helpers) plus a
// few real photos when the shared data set is there. A mutation either may change the pixels
// (then only a clean load or a clean refusal is required) or is one a decoder must shrug off
// (bytes after the end marker, a comment, an ancillary chunk, IDAT split in pieces): then the
// pixels must come out exactly as from the original.
import fs from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { bmpBytes, chunk, flatJpeg, pngBytes, pnmBytes } from '../helpers/images.js';
import {
  clipTail,
  concat,
  duplicate,
  flips,
  insert,
  type Rand,
  remove,
  smear,
  truncate,
  type Mutation,
} from './fuzz_helpers.js';

export type Format = 'jpeg' | 'png' | 'bmp' | 'pnm';

export interface BaseImage {
  name: string;
  format: Format;
  bytes: Uint8Array;
}

/** How a mutated file must come out: `same` pixels, `refused`, or `any` clean outcome. */
export type Expect = 'same' | 'refused' | 'any';

export interface ImageMutation {
  kind: string;
  expect: Expect;
  apply: Mutation;
}

// ---------------------------------------------------------------- the corpus

function noise(r: Rand, n: number): number[] {
  return Array.from({ length: n }, () => r.int(256));
}

/** Smooth content with some noise, so JPEG blocks carry AC coefficients. */
function rgba(r: Rand, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 4);
  const [a, b] = [r.range(1, 9), r.range(1, 9)];
  for (let i = 0; i < w * h; i++) {
    const [x, y] = [i % w, Math.floor(i / w)];
    out[4 * i] = (x * a * 4) & 255;
    out[4 * i + 1] = (y * b * 4) & 255;
    out[4 * i + 2] = r.int(256);
    out[4 * i + 3] = 255;
  }
  return out;
}

function jpegs(r: Rand): BaseImage[] {
  const out: BaseImage[] = [];
  for (let k = 0; k < 6; k++) {
    const [w, h, q] = [r.range(1, 48), r.range(1, 48), r.pick([10, 50, 75, 90, 100])];
    const bytes = jpeg.encode({ width: w, height: h, data: rgba(r, w, h) }, q).data;
    out.push({ name: `jpeg-js-${w}x${h}-q${q}`, format: 'jpeg', bytes });
  }
  const flat = (ids: number[], extra: { jfif?: boolean; adobe?: number }) =>
    flatJpeg({
      blocksWide: 3,
      ids,
      blocks: [0, 1, 2].map(() => ids.map(() => r.int(256))),
      ...extra,
    });
  out.push({ name: 'flat-gray', format: 'jpeg', bytes: flat([1], {}) });
  out.push({ name: 'flat-rgb-adobe0', format: 'jpeg', bytes: flat([1, 2, 3], { adobe: 0 }) });
  out.push({ name: 'flat-cmyk', format: 'jpeg', bytes: flat([1, 2, 3, 4], {}) });
  out.push({ name: 'flat-ycck', format: 'jpeg', bytes: flat([1, 2, 3, 4], { adobe: 2 }) });
  return out;
}

function pngs(r: Rand): BaseImage[] {
  const out: BaseImage[] = [];
  for (const [colorType, inputHasAlpha, bitDepth] of [
    [6, true, 8],
    [2, false, 8],
    [0, false, 16],
    [4, true, 8],
    [6, true, 16],
  ] as const) {
    const [w, h] = [r.range(1, 40), r.range(1, 40)];
    const png = new pngjs.PNG({ width: w, height: h, colorType, inputHasAlpha, bitDepth });
    png.data = rgba(r, w, h);
    const bytes = pngjs.PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth });
    out.push({ name: `pngjs-type${colorType}-${bitDepth}bit-${w}x${h}`, format: 'png', bytes });
  }
  const [w, h] = [r.range(1, 20), r.range(1, 20)];
  for (const depth of [1, 2, 4, 8] as const) {
    const colors = 1 << Math.min(depth, 4);
    const spec = {
      width: w,
      height: h,
      colorType: 3 as const,
      depth,
      samples: Array.from({ length: w * h }, () => r.int(colors)),
      palette: noise(r, 3 * colors),
      trns: depth === 8 ? noise(r, 3) : undefined,
    };
    out.push({ name: `palette-${depth}bit`, format: 'png', bytes: pngBytes(spec) });
  }
  const gray = {
    width: w,
    height: h,
    colorType: 0 as const,
    depth: 2 as const,
    samples: Array.from({ length: w * h }, () => r.int(4)),
  };
  out.push({ name: 'gray-2bit', format: 'png', bytes: pngBytes(gray) });
  const [iw, ih] = [r.range(1, 19), r.range(1, 19)];
  out.push({
    name: `interlaced-${iw}x${ih}`,
    format: 'png',
    bytes: interlacedPng(iw, ih, Uint8Array.from(noise(r, iw * ih * 3))),
  });
  return out;
}

// Adam7's passes: first column, first row, column step, row step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * An interlaced 8-bit RGB PNG (pngjs writes none): each Adam7 pass's rows, filter type 0,
 * deflated together. Its pixels are `rgb` (3 bytes each, row-major).
 */
export function interlacedPng(w: number, h: number, rgb: Uint8Array): Uint8Array {
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    if (x0 >= w || y0 >= h) continue;
    for (let y = y0; y < h; y += dy) {
      rows.push(0);
      for (let x = x0; x < w; x += dx) rows.push(...rgb.subarray(3 * (y * w + x), 3 * (y * w + x) + 3));
    }
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 2, 0, 0, 1], 8);
  const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  return concat(
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Uint8Array.from(rows))),
    pngChunk('IEND', new Uint8Array(0)),
  );
}

function bmps(r: Rand): BaseImage[] {
  const [w, h] = [r.range(1, 24), r.range(1, 24)];
  const rgb = () => Array.from({ length: w * h }, () => r.int(1 << 24));
  const pal = (bits: 1 | 4 | 8) => ({
    width: w,
    height: h,
    bits,
    palette: noise(r, 3 << bits),
    pixels: Array.from({ length: w * h }, () => r.int(1 << bits)),
  });
  return [
    { name: 'bmp-24', format: 'bmp', bytes: bmpBytes({ width: w, height: h, bits: 24, pixels: rgb() }) },
    {
      name: 'bmp-32-topdown',
      format: 'bmp',
      bytes: bmpBytes({ width: w, height: h, bits: 32, pixels: rgb(), topDown: true }),
    },
    { name: 'bmp-8', format: 'bmp', bytes: bmpBytes(pal(8)) },
    { name: 'bmp-1-core', format: 'bmp', bytes: bmpBytes({ ...pal(1), core: true }) },
  ];
}

function pnms(r: Rand): BaseImage[] {
  const [w, h] = [r.range(1, 16), r.range(1, 16)];
  const make = (magic: 'P2' | 'P3' | 'P5' | 'P6', maxval: number) => {
    const n = w * h * (magic === 'P3' || magic === 'P6' ? 3 : 1);
    const samples = Array.from({ length: n }, () => r.int(maxval + 1));
    return { name: `${magic}-max${maxval}`, format: 'pnm' as const, bytes: pnmBytes(magic, w, h, maxval, samples) };
  };
  return [make('P6', 255), make('P5', 65535), make('P3', 100), make('P2', 255)];
}

/** A few real photos, when the shared Cats vs Dogs folder is there. */
export function photos(root: string, count: number): BaseImage[] {
  const dir = join(root, 'test', 'cats');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .slice(0, count)
    .map((f) => ({
      name: `photo ${f}`,
      format: 'jpeg' as const,
      bytes: new Uint8Array(fs.readFileSync(join(dir, f))),
    }));
}

export function syntheticImages(r: Rand): BaseImage[] {
  // Plain Uint8Array copies: the mutations slice() their input, which on a Node Buffer is a
  // view (and pooled Buffers share memory), so a mutation would corrupt the base itself.
  return [...jpegs(r), ...pngs(r), ...bmps(r), ...pnms(r)].map((b) => ({ ...b, bytes: new Uint8Array(b.bytes) }));
}

// ---------------------------------------------------------------- generic mutations

const GENERIC: ImageMutation[] = [
  { kind: 'truncate', expect: 'any', apply: truncate },
  { kind: 'clip tail', expect: 'any', apply: clipTail },
  { kind: 'flip 1 byte', expect: 'any', apply: flips(1) },
  { kind: 'flip up to 16 bytes', expect: 'any', apply: flips(16) },
  { kind: 'smear', expect: 'any', apply: smear },
  { kind: 'insert bytes', expect: 'any', apply: insert },
  { kind: 'delete bytes', expect: 'any', apply: remove },
  { kind: 'duplicate range', expect: 'any', apply: duplicate },
  { kind: 'other signature', expect: 'refused', apply: otherSignature },
];

function otherSignature(b: Uint8Array, r: Rand): Uint8Array {
  const sig = r.pick([
    [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
    [0x49, 0x49, 0x2a, 0x00],
    [0x4d, 0x4d, 0x00, 0x2a],
    [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
    [0x3c, 0x68, 0x74, 0x6d],
    [0x50, 0x34],
    [0x50, 0x31, 0x0a],
  ]);
  const out = b.slice();
  out.set(sig.slice(0, out.length));
  return out;
}

/** Garbage after the end of the image: every decoder here (and PIL) ignores it. */
function appendGarbage(b: Uint8Array, r: Rand): Uint8Array {
  return concat(
    b,
    Uint8Array.from({ length: r.range(1, 300) }, () => r.int(256)),
  );
}

// ---------------------------------------------------------------- JPEG

interface Segment {
  marker: number;
  at: number;
  len: number;
}

/** Marker segments before the first scan: FF xx, then a 2-byte length that counts itself. */
function segments(b: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1];
    const len = (b[i + 2] << 8) | b[i + 3];
    out.push({ marker, at: i, len });
    if (marker === 0xda) break;
    i += 2 + len;
  }
  return out;
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(m);

function withSegment(
  pick: (s: Segment) => boolean,
  // biome-ignore lint/suspicious/noConfusingVoidType: most edits change `out` in place and return nothing
  edit: (out: Uint8Array, s: Segment, r: Rand) => Uint8Array | void,
): Mutation {
  return (b, r) => {
    const found = segments(b).filter(pick);
    if (found.length === 0) return flips(1)(b, r);
    const out = b.slice();
    return edit(out, r.pick(found), r) ?? out;
  };
}

const u16 = (out: Uint8Array, at: number, v: number) => {
  out[at] = (v >> 8) & 255;
  out[at + 1] = v & 255;
};

const ABSURD_SIZES = [
  [60000, 60000],
  [65535, 65535],
  [10000, 10000],
  [0, 0],
  [0, 16],
  [16, 0],
  [65535, 1],
  [1, 65535],
  [4000, 3000],
];

function segment(marker: number, body: Uint8Array): Uint8Array {
  const head = Uint8Array.of(0xff, marker, ((body.length + 2) >> 8) & 255, (body.length + 2) & 255);
  return concat(head, body);
}

function insertAfterSoi(b: Uint8Array, seg: Uint8Array): Uint8Array {
  return concat(b.subarray(0, 2), seg, b.subarray(2));
}

function randomBody(r: Rand, max: number, avoidMagic: boolean): Uint8Array {
  const body = Uint8Array.from({ length: r.range(0, max) }, () => r.int(256));
  if (avoidMagic && body.length) body[0] = 0x58; // 'X': not 'JFIF' or 'Adobe', so no meaning
  return body;
}

const JPEG: ImageMutation[] = [
  {
    kind: 'SOF absurd size',
    expect: 'any',
    apply: withSegment(
      (s) => isSof(s.marker),
      (o, s, r) => {
        const [w, h] = r.pick(ABSURD_SIZES);
        u16(o, s.at + 5, h);
        u16(o, s.at + 7, w);
      },
    ),
  },
  {
    kind: 'SOF component count',
    expect: 'any',
    apply: withSegment(
      (s) => isSof(s.marker),
      (o, s, r) => void (o[s.at + 9] = r.pick([0, 2, 4, 5, 255])),
    ),
  },
  {
    kind: 'SOF sampling/quant id',
    expect: 'any',
    apply: withSegment(
      (s) => isSof(s.marker),
      (o, s, r) => void (o[s.at + 11 + r.int(2) + 3 * r.int(3)] = r.pick([0, 0x44, 0xff, 0x41, 4, 9])),
    ),
  },
  {
    kind: 'SOF precision',
    expect: 'any',
    apply: withSegment(
      (s) => isSof(s.marker),
      (o, s, r) => void (o[s.at + 4] = r.pick([0, 1, 12, 16, 255])),
    ),
  },
  {
    kind: 'SOF marker kind',
    expect: 'any',
    apply: withSegment(
      (s) => isSof(s.marker),
      (o, s, r) => void (o[s.at + 1] = r.pick([0xc1, 0xc2, 0xc3, 0xc5, 0xc9, 0xcb, 0xcf])),
    ),
  },
  {
    kind: 'segment length',
    expect: 'any',
    apply: withSegment(
      () => true,
      (o, s, r) => u16(o, s.at + 2, r.pick([0, 1, 2, 0xffff, s.len + 1, s.len - 1, s.len + 100])),
    ),
  },
  {
    kind: 'segment dropped',
    expect: 'any',
    apply: (b, r) => {
      const s = r.pick(segments(b));
      return s ? concat(b.subarray(0, s.at), b.subarray(s.at + 2 + s.len)) : b.slice(1);
    },
  },
  {
    kind: 'DHT counts',
    expect: 'any',
    apply: withSegment(
      (s) => s.marker === 0xc4,
      (o, s, r) => void (o[s.at + 5 + r.int(16)] = r.pick([255, 200, 17, 0])),
    ),
  },
  {
    kind: 'DQT table id/precision',
    expect: 'any',
    apply: withSegment(
      (s) => s.marker === 0xdb,
      (o, s, r) => void (o[s.at + 4] = r.pick([0x04, 0x10, 0xff, 0x13])),
    ),
  },
  {
    kind: 'SOS selectors',
    expect: 'any',
    apply: withSegment(
      (s) => s.marker === 0xda,
      (o, s, r) => void (o[s.at + 4 + r.int(Math.max(1, s.len - 2))] = r.pick([0, 0xff, 0x44, 63, 9])),
    ),
  },
  {
    kind: 'restart interval',
    expect: 'any',
    apply: (b, r) => {
      const body = new Uint8Array(2);
      u16(body, 0, r.pick([0, 1, 2, 0xffff]));
      return insertAfterSoi(b, segment(0xdd, body));
    },
  },
  {
    kind: 'marker in scan',
    expect: 'any',
    apply: (b, r) => {
      const sos = segments(b).find((s) => s.marker === 0xda);
      const start = sos ? sos.at + 2 + sos.len : 2;
      const at = r.range(start, Math.max(start, b.length - 2));
      const marker = Uint8Array.of(0xff, r.pick([0xd0, 0xd9, 0xda, 0xc4, 0xd8, 0x00, 0xff]));
      return concat(b.subarray(0, at), marker, b.subarray(at));
    },
  },
  { kind: 'bytes after EOI', expect: 'same', apply: appendGarbage },
  {
    kind: 'comment segment',
    expect: 'same',
    apply: (b, r) => insertAfterSoi(b, segment(0xfe, randomBody(r, 200, false))),
  },
  {
    kind: 'APPn segment',
    expect: 'same',
    apply: (b, r) => insertAfterSoi(b, segment(r.pick([0xe1, 0xe2, 0xe5, 0xed, 0xef]), randomBody(r, 200, true))),
  },
];

// ---------------------------------------------------------------- PNG

interface Chunk {
  type: string;
  at: number;
  len: number;
}

function chunks(b: Uint8Array): Chunk[] {
  const out: Chunk[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 12 <= b.length; ) {
    const len = v.getUint32(at);
    out.push({ type: Buffer.from(b.subarray(at + 4, at + 8)).toString('latin1'), at, len });
    at += 12 + len;
  }
  return out;
}

/** A chunk with a correct CRC, so the mutation reaches the decoder instead of the CRC check. */
const pngChunk = (type: string, data: Uint8Array): Uint8Array => chunk(type, data);

/** Rewrites chunk `c` of `b` with new data (and a fresh CRC). */
function replaceChunk(b: Uint8Array, c: Chunk, data: Uint8Array, type = c.type): Uint8Array {
  return concat(b.subarray(0, c.at), pngChunk(type, data), b.subarray(c.at + 12 + c.len));
}

function chunkData(b: Uint8Array, c: Chunk): Uint8Array {
  return b.slice(c.at + 8, c.at + 8 + c.len);
}

function withChunk(type: string | null, edit: (b: Uint8Array, c: Chunk, r: Rand) => Uint8Array): Mutation {
  return (b, r) => {
    const found = chunks(b).filter((c) => type === null || c.type === type);
    return found.length ? edit(b, r.pick(found), r) : flips(1)(b, r);
  };
}

function ihdrField(b: Uint8Array, c: Chunk, r: Rand): Uint8Array {
  const d = chunkData(b, c);
  if (d.length < 13) return flips(1)(b, r); // an IHDR cut by an earlier mutation
  const v = new DataView(d.buffer);
  const field = r.int(6);
  if (field === 0) {
    const [w, h] = r.pick([
      [60000, 60000],
      [2 ** 31 - 1, 1],
      [0, 5],
      [5, 0],
      [100000, 1000],
      [1, 1],
      [10000, 10000],
      [2 ** 32 - 1, 2 ** 32 - 1],
    ]);
    v.setUint32(0, w);
    v.setUint32(4, h);
  } else if (field === 1) d[8] = r.pick([0, 3, 5, 7, 32, 255]);
  else if (field === 2) d[9] = r.pick([1, 5, 7, 255, 3, 0]);
  else d[9 + field - 2] = r.pick([1, 2, 255]);
  return replaceChunk(b, c, d);
}

/** All IDAT data, joined. */
function idatData(b: Uint8Array): { first: Chunk; last: Chunk; data: Uint8Array } | null {
  const list = chunks(b).filter((c) => c.type === 'IDAT');
  if (!list.length) return null;
  return { first: list[0], last: list[list.length - 1], data: concat(...list.map((c) => chunkData(b, c))) };
}

/** Replaces every IDAT with `parts` (each becomes one IDAT chunk). */
function withIdat(b: Uint8Array, parts: Uint8Array[]): Uint8Array {
  const found = idatData(b);
  if (!found) return b.slice();
  const end = found.last.at + 12 + found.last.len;
  return concat(b.subarray(0, found.first.at), ...parts.map((p) => pngChunk('IDAT', p)), b.subarray(end));
}

function splitIdat(b: Uint8Array, r: Rand): Uint8Array {
  const data = idatData(b)?.data ?? new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length; ) {
    const n = r.range(1, Math.max(1, data.length >> 1));
    parts.push(data.subarray(at, at + n));
    at += n;
  }
  return withIdat(b, parts);
}

function inflated(b: Uint8Array): Buffer | null {
  try {
    return inflateSync(idatData(b)?.data ?? new Uint8Array(0));
  } catch {
    return null;
  }
}

/** Image data that inflates to less than the header needs: PIL says "image file is truncated". */
function shortIdat(b: Uint8Array, r: Rand): Uint8Array {
  const raw = inflated(b);
  if (!raw || raw.length < 2) return b.slice(0, 20);
  return withIdat(b, [deflateSync(raw.subarray(0, r.int(raw.length)))]);
}

/** A zlib stream cut before its end. */
function cutZlib(b: Uint8Array, r: Rand): Uint8Array {
  const data = idatData(b)?.data ?? new Uint8Array(0);
  return withIdat(b, [data.subarray(0, r.int(Math.max(1, data.length - 4)))]);
}

let bomb: Uint8Array | null = null;

/** 64 MiB of zeros in about 64 KiB of deflate: far more than any corpus image needs. */
function zlibBomb(b: Uint8Array): Uint8Array {
  bomb ??= deflateSync(Buffer.alloc(64 << 20), { level: 9 });
  return withIdat(b, [bomb]);
}

/** Extra bytes after the image data (PIL stops reading when the image is full). */
function longIdat(b: Uint8Array, r: Rand): Uint8Array {
  const raw = inflated(b);
  if (!raw) return b.slice();
  return withIdat(b, [deflateSync(concat(raw, new Uint8Array(r.range(1, 64))))]);
}

function insertChunk(b: Uint8Array, type: string, r: Rand): Uint8Array {
  const list = chunks(b);
  const ihdr = list.find((c) => c.type === 'IHDR');
  const at = ihdr ? ihdr.at + 12 + ihdr.len : 8;
  return concat(b.subarray(0, at), pngChunk(type, randomBody(r, 100, false)), b.subarray(at));
}

const PNG: ImageMutation[] = [
  { kind: 'IHDR field', expect: 'any', apply: withChunk('IHDR', ihdrField) },
  {
    kind: 'chunk length',
    expect: 'any',
    apply: withChunk(null, (b, c, r) => {
      const out = b.slice();
      const lengths = [0, 2 ** 31 - 1, 2 ** 32 - 1, c.len + 1, c.len + 5000];
      new DataView(out.buffer).setUint32(c.at, r.pick(lengths));
      return out;
    }),
  },
  {
    kind: 'chunk CRC',
    expect: 'any',
    apply: withChunk(null, (b, c) => {
      const out = b.slice();
      out[c.at + 8 + c.len] ^= 0x5a;
      return out;
    }),
  },
  {
    kind: 'chunk dropped',
    expect: 'any',
    apply: withChunk(null, (b, c) => concat(b.subarray(0, c.at), b.subarray(c.at + 12 + c.len))),
  },
  {
    kind: 'IDAT flips (CRC fixed)',
    expect: 'any',
    apply: withChunk('IDAT', (b, c, r) => replaceChunk(b, c, flips(4)(chunkData(b, c), r))),
  },
  {
    kind: 'PLTE/tRNS length',
    expect: 'any',
    apply: (b, r) => {
      const c = chunks(b).find((x) => x.type === 'PLTE' || x.type === 'tRNS');
      return c ? replaceChunk(b, c, randomBody(r, 800, false)) : insertChunk(b, 'tRNS', r);
    },
  },
  { kind: 'image data short', expect: 'refused', apply: shortIdat },
  { kind: 'zlib stream cut', expect: 'refused', apply: cutZlib },
  { kind: 'zlib bomb', expect: 'any', apply: zlibBomb },
  { kind: 'image data long', expect: 'same', apply: longIdat },
  { kind: 'IDAT split', expect: 'same', apply: splitIdat },
  { kind: 'ancillary chunk', expect: 'same', apply: (b, r) => insertChunk(b, r.pick(['tEXt', 'abCd', 'zzZz']), r) },
  { kind: 'critical unknown chunk', expect: 'any', apply: (b, r) => insertChunk(b, 'ABCD', r) },
  { kind: 'bytes after IEND', expect: 'same', apply: appendGarbage },
];

// ---------------------------------------------------------------- BMP and PPM

/** BITMAPINFOHEADER fields: offset, size in bytes, values worth trying. */
const BMP_FIELDS: [number, 2 | 4, number[]][] = [
  [18, 4, [60000, -1, 0, 2 ** 31 - 1, 100000]],
  [22, 4, [60000, -60000, 0, -(2 ** 31), 100000]],
  [10, 4, [0, 2 ** 31 - 1, 54, 1 << 20]],
  [14, 4, [0, 12, 39, 108, 124, 2 ** 31 - 1]],
  [28, 2, [0, 2, 16, 64, 65535]],
  [30, 4, [1, 2, 3, 4, 6]],
  [46, 4, [2 ** 31 - 1, 257, 300, 0]],
];

function bmpField(b: Uint8Array, r: Rand): Uint8Array {
  const [at, size, values] = r.pick(BMP_FIELDS);
  const out = b.slice();
  if (at + size > out.length) return out;
  const v = new DataView(out.buffer);
  if (size === 2) v.setUint16(at, r.pick(values), true);
  else v.setInt32(at, r.pick(values), true);
  return out;
}

const BMP: ImageMutation[] = [
  { kind: 'BMP header field', expect: 'any', apply: bmpField },
  { kind: 'bytes after pixels', expect: 'same', apply: appendGarbage },
];

/** A PPM with one header token replaced. */
function pnmToken(b: Uint8Array, r: Rand): Uint8Array {
  const text = Buffer.from(b).toString('latin1');
  const m = /^(P\d)(\s+)(\d+)(\s+)(\d+)(\s+)(\d+)(\s)/.exec(text);
  if (!m) return flips(1)(b, r);
  const tokens = [m[3], m[5], m[7]];
  tokens[r.int(3)] = r.pick(['0', '-1', '99999999999', '60000', '65536', 'abc', '', '1e3', '#']);
  const head = `${m[1]}${m[2]}${tokens[0]}${m[4]}${tokens[1]}${m[6]}${tokens[2]}${m[8]}`;
  return concat(Buffer.from(head, 'latin1'), b.subarray(m[0].length));
}

const PNM: ImageMutation[] = [
  { kind: 'PPM header token', expect: 'any', apply: pnmToken },
  {
    kind: 'bytes after samples',
    expect: 'same',
    apply: (b, r) => {
      // Plain (P2/P3) files are text: garbage there would be read as more tokens, not ignored.
      const plain = b[1] === 0x32 || b[1] === 0x33;
      return plain ? concat(b, Buffer.from(' 1 2 3\n# x\n')) : appendGarbage(b, r);
    },
  },
];

export const MUTATIONS: Record<Format, ImageMutation[]> = {
  jpeg: [...GENERIC, ...JPEG],
  png: [...GENERIC, ...PNG],
  bmp: [...GENERIC, ...BMP],
  pnm: [...GENERIC, ...PNM],
};
