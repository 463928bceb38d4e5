// Hand-built image files with exactly known samples, for decoder tests: PNG of any colour type
// and bit depth (pngjs can only write 8/16-bit gray/RGB(A), no palettes, no tRNS), BMP, PPM,
// and tiny JPEGs made of flat 8x8 blocks in any colour space (jpeg-js only writes YCbCr).
import { deflateSync } from 'node:zlib';

// ---------------------------------------------------------------- PNG

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG chunk (length, type, data, CRC) with a correct CRC. */
export function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** Stored samples, row-major, channels interleaved (palette: indices). */
  samples: number[];
  /** RGB triples for colour type 3. */
  palette?: number[];
  /** The raw tRNS chunk payload. */
  trns?: number[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function pngBytes(s: PngSpec): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr.set([s.depth, s.colorType, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = [signature, chunk('IHDR', ihdr)];
  if (s.palette) parts.push(chunk('PLTE', Uint8Array.from(s.palette)));
  if (s.trns) parts.push(chunk('tRNS', Uint8Array.from(s.trns)));
  parts.push(chunk('IDAT', deflateSync(scanlines(s))), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

// Filter type 0 on every row; samples packed MSB-first, 16-bit big-endian.
function scanlines(s: PngSpec): Buffer {
  const perRow = s.width * CHANNELS[s.colorType];
  const rowBytes = Math.ceil((perRow * s.depth) / 8);
  const out = Buffer.alloc((rowBytes + 1) * s.height);
  for (let y = 0; y < s.height; y++) {
    const row = out.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    for (let i = 0; i < perRow; i++) {
      const v = s.samples[y * perRow + i];
      if (s.depth === 16) row.writeUInt16BE(v, i * 2);
      else if (s.depth === 8) row[i] = v;
      else row[(i * s.depth) >> 3] |= v << (8 - s.depth - ((i * s.depth) & 7));
    }
  }
  return out;
}

// ---------------------------------------------------------------- BMP

export interface BmpSpec {
  width: number;
  height: number;
  bits: 1 | 4 | 8 | 24 | 32;
  /** RGB per pixel (24/32-bit) or palette indices (1/4/8-bit), top row first. */
  pixels: number[];
  palette?: number[]; // RGB triples
  topDown?: boolean;
  /** OS/2 BITMAPCOREHEADER (12 bytes, 3-byte palette entries) instead of BITMAPINFOHEADER. */
  core?: boolean;
}

export function bmpBytes(s: BmpSpec): Buffer {
  const headerSize = s.core ? 12 : 40;
  const entry = s.core ? 3 : 4;
  const paletteBytes = ((s.palette?.length ?? 0) / 3) * entry;
  const stride = Math.ceil((s.width * s.bits) / 32) * 4;
  const offset = 14 + headerSize + paletteBytes;
  const out = Buffer.alloc(offset + stride * s.height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(headerSize, 14);
  if (s.core) {
    out.writeUInt16LE(s.width, 18);
    out.writeUInt16LE(s.height, 20);
    out.writeUInt16LE(1, 22);
    out.writeUInt16LE(s.bits, 24);
  } else {
    out.writeInt32LE(s.width, 18);
    out.writeInt32LE(s.topDown ? -s.height : s.height, 22);
    out.writeUInt16LE(1, 26);
    out.writeUInt16LE(s.bits, 28);
    out.writeUInt32LE((s.palette?.length ?? 0) / 3, 46);
  }
  const pal = s.palette ?? [];
  for (let i = 0; i < pal.length / 3; i++) {
    out.set([pal[i * 3 + 2], pal[i * 3 + 1], pal[i * 3]], 14 + headerSize + i * entry);
  }
  for (let y = 0; y < s.height; y++) {
    const fileRow = s.topDown ? y : s.height - 1 - y;
    writeBmpRow(out.subarray(offset + fileRow * stride), s, y);
  }
  return out;
}

function writeBmpRow(row: Buffer, s: BmpSpec, y: number): void {
  for (let x = 0; x < s.width; x++) {
    if (s.bits >= 24) {
      const p = (y * s.width + x) * 3;
      const at = x * (s.bits / 8);
      row.set([s.pixels[p + 2], s.pixels[p + 1], s.pixels[p]], at);
      if (s.bits === 32) row[at + 3] = 0x7f; // the X of BGRX: must be ignored
    } else {
      const bit = x * s.bits;
      row[bit >> 3] |= s.pixels[y * s.width + x] << (8 - s.bits - (bit & 7));
    }
  }
}

// ---------------------------------------------------------------- PPM / PGM

export function pnmBytes(
  magic: 'P2' | 'P3' | 'P5' | 'P6',
  w: number,
  h: number,
  maxval: number,
  samples: number[],
  header = `${magic}\n${w} ${h}\n${maxval}\n`,
): Buffer {
  if (magic === 'P2' || magic === 'P3') {
    return Buffer.from(`${header + samples.join(' ')}\n`, 'latin1');
  }
  const wide = maxval > 255;
  const data = Buffer.alloc(samples.length * (wide ? 2 : 1));
  samples.forEach((v, i) => (wide ? data.writeUInt16BE(v, i * 2) : (data[i] = v)));
  return Buffer.concat([Buffer.from(header, 'latin1'), data]);
}

// ---------------------------------------------------------------- JPEG

export interface FlatJpegSpec {
  /** Blocks across; the image is 8 * blocksWide x 8 pixels. */
  blocksWide: number;
  /** Component ids, one per component (1..4 components, all sampled 1x1). */
  ids: number[];
  /** Per block, the stored sample value of each component (0..255). */
  blocks: number[][];
  jfif?: boolean;
  /** Adobe APP14 transform flag; omitted = no Adobe marker. */
  adobe?: number;
}

/**
 * A baseline JPEG whose 8x8 blocks are flat: only DC coefficients, quantisation 1, so every
 * decoder reconstructs the stored samples exactly and only colour conversion is tested.
 */
export function flatJpeg(s: FlatJpegSpec): Buffer {
  const n = s.ids.length;
  const seg = (marker: number, body: number[]) => [
    0xff,
    marker,
    ((body.length + 2) >> 8) & 0xff,
    (body.length + 2) & 0xff,
    ...body,
  ];
  const bytes: number[] = [0xff, 0xd8];
  if (s.jfif) bytes.push(...seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  if (s.adobe !== undefined) {
    bytes.push(...seg(0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, s.adobe]));
  }
  bytes.push(...seg(0xdb, [0, ...new Array(64).fill(1)]));
  const sof = [8, 0, 8, (s.blocksWide * 8) >> 8, (s.blocksWide * 8) & 0xff, n];
  for (const id of s.ids) sof.push(id, 0x11, 0);
  bytes.push(...seg(0xc0, sof));
  // DC: categories 0..11 all get 4-bit codes equal to the category. AC: only EOB, code '0'.
  bytes.push(...seg(0xc4, [0x00, 0, 0, 0, 12, ...new Array(12).fill(0), ...range(12)]));
  bytes.push(...seg(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]));
  const sos = [n];
  for (const id of s.ids) sos.push(id, 0x00);
  bytes.push(...seg(0xda, [...sos, 0, 63, 0]), ...entropy(s), 0xff, 0xd9);
  return Buffer.from(bytes);
}

function entropy(s: FlatJpegSpec): number[] {
  const out: number[] = [];
  let acc = 0;
  let nbits = 0;
  const put = (value: number, len: number) => {
    for (let k = len - 1; k >= 0; k--) {
      acc = (acc << 1) | ((value >> k) & 1);
      if (++nbits === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0x00); // byte stuffing
        acc = 0;
        nbits = 0;
      }
    }
  };
  const pred = new Array(s.ids.length).fill(0);
  for (const block of s.blocks) {
    block.forEach((sample, c) => {
      const dc = 8 * (sample - 128); // a flat block of value v has DC = 8 (v - 128)
      const diff = dc - pred[c];
      pred[c] = dc;
      const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(cat, 4);
      if (cat > 0) put(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
      put(0, 1); // EOB
    });
  }
  if (nbits > 0) put((1 << (8 - nbits)) - 1, 8 - nbits); // pad with 1 bits
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
