// PNG through pngjs, converted to RGB the way PIL 9's PngImagePlugin + convert('RGB') does.
//
// pngjs is read with skipRescale so we see the stored samples; its defaults would differ from
// PIL twice: it rescales 16-bit samples as round(v * 255 / 65535) where PIL keeps the high byte,
// and it blanks tRNS-keyed pixels to (0, 0, 0, 0) where PIL keeps their colour (convert('RGB')
// drops transparency, it never composites). The per-type rules, all checked against PIL 9.4:
//   gray 1/2/4/8-bit   v * 255 / (2^depth - 1)   (PIL's "1", "L;2", "L;4", "L" unpackers)
//   gray 16-bit        min(v, 255)               (PIL opens it as mode "I"; I->RGB clips)
//   gray+alpha, RGB, RGBA 16-bit                 high byte, alpha dropped
//   palette            the palette's RGB, alpha dropped
import { deflateSync, inflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import type { RgbImage } from './rgb_image.js';
import { libraryReason } from '../util/errors.js';
import { dataError } from './errors.js';

// What PNG.sync.read really returns: the typings call `palette` a boolean and omit transColor.
interface PngRead {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  data: Uint8Array | Uint16Array;
  transColor?: number[];
}

const MAX_PIXELS = 100e6; // same bound as the JPEG path

/**
 * Image data past what the header needs is ignored (PIL stops reading once the image is full),
 * up to this much: more is a zlib bomb or a damaged file, refused as soon as inflating passes it.
 */
const MAX_EXTRA_BYTES = 1 << 20;

const FIX = 're-copy or delete the file';

export function decodePng(bytes: Uint8Array, name: string): RgbImage {
  const header = readIhdr(bytes, name);
  let buf = endAtIend(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  if (header) buf = fitImageData(buf, header, name);
  let png: PngRead;
  try {
    png = pngjs.PNG.sync.read(buf, { skipRescale: true, checkCRC: true }) as unknown as PngRead;
  } catch (e) {
    throw dataError(name, `corrupt or truncated PNG (${libraryReason('pngjs', e)}); ${FIX}`, e);
  }
  return toRgb(png);
}

interface Ihdr {
  width: number;
  height: number;
  depth: number;
  channels: number;
  interlaced: boolean;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * IHDR is always first; huge sizes are refused before anything is allocated. Null when the
 * header is one pngjs refuses anyway (unknown colour type), so its message explains it.
 */
function readIhdr(b: Uint8Array, name: string): Ihdr | null {
  if (b.length < 33) throw dataError(name, 'truncated PNG (no complete header); delete the file');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [width, height] = [view.getUint32(16), view.getUint32(20)];
  if (width === 0 || height === 0 || width * height > MAX_PIXELS) {
    throw dataError(
      name,
      `PNG header claims ${width}x${height} pixels, outside 1 to ` +
        `${MAX_PIXELS / 1e6} MP; the file is damaged or too large: ${FIX}`,
    );
  }
  const [depth, channels, interlace] = [b[24], CHANNELS[b[25]], b[28]];
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(depth) || interlace > 1) return null;
  return { width, height, depth, channels, interlaced: interlace === 1 };
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

/** Bytes of filtered scanlines the header needs (a filter byte per row of each pass). */
function rawSize(h: Ihdr): number {
  const rows = (w: number, n: number) => (w > 0 ? n * (1 + Math.ceil((w * h.channels * h.depth) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => {
    const w = Math.max(0, Math.ceil((h.width - x0) / dx));
    return sum + rows(w, Math.max(0, Math.ceil((h.height - y0) / dy)));
  }, 0);
}

/**
 * pngjs fills missing image data with zeros (a cut file decodes as a black band, where PIL says
 * "image file is truncated") and inflates without bound (interlaced files) or trips its own
 * assert (a zlib bomb). So the image data is inflated here first, bounded by what the header
 * needs: short data is refused, extra data is cut off, and pngjs gets exactly the right amount.
 */
function fitImageData(b: Buffer, h: Ihdr, name: string): Buffer {
  const idat = chunkList(b).filter((c) => c.type === 'IDAT');
  // pngjs "decodes" a file without image data into uninitialised memory: other data of this
  // process, and different on every call.
  if (idat.length === 0) throw dataError(name, `PNG without image data (no IDAT chunk); ${FIX}`);
  const need = rawSize(h);
  const raw = inflateBounded(Buffer.concat(idat.map((c) => c.data)), need + MAX_EXTRA_BYTES, name);
  if (raw.length < need) {
    throw dataError(
      name,
      `truncated PNG: its image data holds ${raw.length} of the ${need} bytes ` +
        `a ${h.width}x${h.height} image needs; ${FIX}`,
    );
  }
  return raw.length === need ? b : replaceIdat(b, idat, raw.subarray(0, need), name);
}

/** `b` with its IDAT chunks replaced by one holding `raw`, deflated again. */
function replaceIdat(b: Buffer, idat: Chunk[], raw: Buffer, name: string): Buffer {
  // The chunks are rewritten, so their CRCs are checked here instead of by pngjs.
  const crcOk = (c: Chunk) =>
    crc32(b.subarray(c.at + 4, c.at + 8 + c.data.length)) === b.readUInt32BE(c.at + 8 + c.data.length);
  if (!idat.every(crcOk)) throw dataError(name, `corrupt PNG (an IDAT chunk fails its CRC check); ${FIX}`);
  const last = idat[idat.length - 1];
  const fitted = chunkBytes('IDAT', deflateSync(raw, { level: 1 }));
  return Buffer.concat([b.subarray(0, idat[0].at), fitted, b.subarray(last.at + 12 + last.data.length)]);
}

function inflateBounded(data: Buffer, max: number, name: string): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: max });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw dataError(
        name,
        `PNG image data inflates to far more than its size needs (a zlib bomb or a damaged file); ${FIX}`,
        e,
      );
    }
    throw dataError(name, `corrupt or truncated PNG image data (${libraryReason('zlib', e)}); ${FIX}`, e);
  }
}

interface Chunk {
  type: string;
  /** Offset of the chunk's length field. */
  at: number;
  data: Buffer;
}

/** The complete chunks after the signature, up to IEND or the first one cut by the file's end. */
function chunkList(b: Buffer): Chunk[] {
  const out: Chunk[] = [];
  for (let at = 8; at + 12 <= b.length; ) {
    const len = b.readUInt32BE(at);
    if (at + 12 + len > b.length) break;
    const type = b.toString('latin1', at + 4, at + 8);
    out.push({ type, at, data: b.subarray(at + 8, at + 8 + len) });
    if (type === 'IEND') break;
    at += 12 + len;
  }
  return out;
}

function chunkBytes(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of bytes) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * PIL ignores bytes after IEND and decodes files that lack IEND; pngjs rejects both
 * ("unrecognised content at end of stream", "read requests waiting on finished stream"). So the
 * chunk list is cut after IEND, or IEND is added when the last chunk ends exactly at the end of
 * the file. A file cut inside a chunk is refused here, in words pngjs does not find.
 */
function endAtIend(b: Buffer, name: string): Buffer {
  let at = 8;
  while (at + 12 <= b.length) {
    if (b.toString('latin1', at + 4, at + 8) === 'IEND') return b.subarray(0, at + 12);
    at += 12 + b.readUInt32BE(at);
  }
  if (at === b.length) return Buffer.concat([b, IEND]);
  throw dataError(name, `truncated PNG (the file ends inside a chunk); ${FIX}`);
}

function toRgb(png: PngRead): RgbImage {
  const { width, height, data, colorType, depth } = png;
  const toByte = sampleToByte(colorType, depth);
  // pngjs zeroes all four channels of tRNS-keyed pixels; in gray/RGB files alpha is otherwise
  // always the maximum, so alpha 0 marks exactly those pixels and the key is their colour.
  const key = colorType === 0 || colorType === 2 ? png.transColor : undefined;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < out.length; p += 4, q += 3) {
    const keyed = key !== undefined && data[p + 3] === 0;
    for (let c = 0; c < 3; c++) {
      out[q + c] = toByte(keyed ? key[key.length === 1 ? 0 : c] : data[p + c]);
    }
  }
  return { width, height, data: out };
}

function sampleToByte(colorType: number, depth: number): (v: number) => number {
  if (colorType === 3 || depth === 8) return (v) => v; // pngjs already applied the palette
  if (depth === 16) return colorType === 0 ? (v) => Math.min(v, 255) : (v) => v >>> 8;
  const scale = 255 / ((1 << depth) - 1); // 255, 85 or 17: exact
  return (v) => v * scale;
}
