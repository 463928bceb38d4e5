// Uncompressed Windows BMP (BI_RGB): 24-bit BGR, 32-bit BGRX and 1/4/8-bit palettes, bottom-up
// (positive height) or top-down (negative height), rows padded to 4 bytes, as PIL reads them
// (32-bit BI_RGB is "BGRX": the fourth byte is ignored, as in PIL). RLE and bit-field files are
// rare in datasets and refused with a clear message rather than decoded wrongly.
import type { RgbImage } from './rgb_image.js';
import { dataError } from './errors.js';

interface BmpInfo {
  width: number;
  height: number; // rows, always positive
  topDown: boolean;
  bits: number;
  dataOffset: number;
  stride: number;
  palette: Uint8Array | null; // RGB triples
}

export function decodeBmp(bytes: Uint8Array, name: string): RgbImage {
  const info = readBmpHeader(bytes, name);
  const { width, height, stride, dataOffset } = info;
  if (dataOffset + stride * height > bytes.length) {
    throw dataError(
      name,
      `truncated BMP (${bytes.length} bytes, pixel data needs ` +
        `${dataOffset + stride * height}); re-copy or delete the file`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const srcRow = info.topDown ? y : height - 1 - y;
    const row = bytes.subarray(dataOffset + srcRow * stride, dataOffset + (srcRow + 1) * stride);
    if (info.palette) paletteRow(row, info, out.subarray(y * width * 3), name);
    else directRow(row, info.bits / 8, width, out.subarray(y * width * 3));
  }
  return { width, height, data: out };
}

function readBmpHeader(b: Uint8Array, name: string): BmpInfo {
  if (b.length < 26) throw dataError(name, 'truncated BMP (no complete header); delete the file');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerSize = v.getUint32(14, true);
  const core = headerSize === 12; // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries
  if (!core && (headerSize < 40 || b.length < 14 + 40)) {
    throw dataError(name, `unsupported or truncated BMP header (size ${headerSize}); convert to PNG`);
  }
  const width = core ? v.getUint16(18, true) : v.getInt32(18, true);
  const rawHeight = core ? v.getUint16(20, true) : v.getInt32(22, true);
  const bits = v.getUint16(core ? 24 : 28, true);
  const compression = core ? 0 : v.getUint32(30, true);
  if (compression !== 0) {
    throw dataError(name, `compressed BMP (compression type ${compression}) is not supported yet; convert to PNG`);
  }
  if (![1, 4, 8, 24, 32].includes(bits)) {
    throw dataError(name, `${bits}-bit BMP is not supported yet; convert to PNG`);
  }
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width * height > 100e6) {
    throw dataError(name, `BMP has an unusable size ${width}x${rawHeight}; delete the file`);
  }
  const stride = Math.ceil((width * bits) / 32) * 4;
  const palette = bits <= 8 ? readPalette(b, v, 14 + headerSize, core, bits, name) : null;
  // An offset of 0 means "right after the palette", as PIL reads it.
  const paletteBytes = palette ? (palette.length / 3) * (core ? 3 : 4) : 0;
  const dataOffset = v.getUint32(10, true) || 14 + headerSize + paletteBytes;
  return { width, height, topDown: rawHeight < 0, bits, dataOffset, stride, palette };
}

function readPalette(b: Uint8Array, v: DataView, at: number, core: boolean, bits: number, name: string): Uint8Array {
  const used = core ? 0 : v.getUint32(46, true);
  const colors = used === 0 ? 1 << bits : used;
  const entry = core ? 3 : 4;
  if (colors > 1 << bits || at + colors * entry > b.length) {
    throw dataError(name, `corrupt BMP palette (${colors} colours); re-copy or delete the file`);
  }
  const rgb = new Uint8Array(colors * 3);
  for (let i = 0; i < colors; i++) {
    rgb[i * 3] = b[at + i * entry + 2];
    rgb[i * 3 + 1] = b[at + i * entry + 1];
    rgb[i * 3 + 2] = b[at + i * entry];
  }
  return rgb;
}

function directRow(row: Uint8Array, bytesPerPixel: number, width: number, out: Uint8Array): void {
  for (let x = 0; x < width; x++) {
    const p = x * bytesPerPixel;
    out[x * 3] = row[p + 2];
    out[x * 3 + 1] = row[p + 1];
    out[x * 3 + 2] = row[p];
  }
}

function paletteRow(row: Uint8Array, info: BmpInfo, out: Uint8Array, name: string): void {
  const { bits, width } = info;
  const palette = info.palette as Uint8Array;
  const mask = (1 << bits) - 1;
  for (let x = 0; x < width; x++) {
    const bit = x * bits;
    const index = (row[bit >> 3] >> (8 - bits - (bit & 7))) & mask;
    if (index * 3 >= palette.length) {
      throw dataError(name, `corrupt BMP (palette index ${index} of ${palette.length / 3}); delete the file`);
    }
    out.set(palette.subarray(index * 3, index * 3 + 3), x * 3);
  }
}
