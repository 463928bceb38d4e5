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
import pngjs from 'pngjs';
import type { RgbImage } from './decode.js';
import { dataError, describeThrown } from './errors.js';

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

export function decodePng(bytes: Uint8Array, name: string): RgbImage {
  checkHeaderSize(bytes, name);
  let png: PngRead;
  try {
    const buf = endAtIend(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    png = pngjs.PNG.sync.read(buf, { skipRescale: true, checkCRC: true }) as unknown as PngRead;
  } catch (e) {
    throw dataError(name, `corrupt or truncated PNG (pngjs: ${describeThrown(e)}); ` +
      're-copy or delete the file', e);
  }
  return toRgb(png);
}

// IHDR is always first; refusing huge sizes before pngjs allocates width * height * 4 bytes.
function checkHeaderSize(b: Uint8Array, name: string): void {
  if (b.length < 33) throw dataError(name, 'truncated PNG (no complete header); delete the file');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const w = view.getUint32(16);
  const h = view.getUint32(20);
  if (w * h > MAX_PIXELS) {
    throw dataError(name, `PNG of ${w}x${h} pixels is larger than the ` +
      `${MAX_PIXELS / 1e6} MP limit`);
  }
}

const IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * PIL ignores bytes after IEND and decodes files that lack IEND; pngjs rejects both
 * ("unrecognised content at end of stream", "read requests waiting on finished stream"). So the
 * chunk list is cut after IEND, or IEND is added when the last chunk ends exactly at the end of
 * the file. A file cut inside a chunk is left alone and still fails.
 */
function endAtIend(b: Buffer): Buffer {
  let at = 8;
  while (at + 12 <= b.length) {
    if (b.toString('latin1', at + 4, at + 8) === 'IEND') return b.subarray(0, at + 12);
    at += 12 + b.readUInt32BE(at);
  }
  return at === b.length ? Buffer.concat([b, IEND]) : b;
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
