// Image bytes -> 8-bit RGB, matching what Keras's load_img gets from PIL: Image.open(f) then
// .convert('RGB'). The format comes from the content, not the extension, as PIL does, because
// scraped datasets are full of PNGs named .jpg.
import { decodeBmp } from './decode_bmp.js';
import { decodeJpeg } from './decode_jpeg.js';
import { decodePng } from './decode_png.js';
import { decodePnm } from './decode_pnm.js';
import { dataError } from './errors.js';
import type { RgbImage } from './rgb_image.js';

/** Decodes a JPEG, PNG, BMP or PPM/PGM file; `name` is only used in error messages. */
export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  if (bytes.length === 0) throw dataError(name, 'empty file (0 bytes); re-copy or delete it');
  const format = sniffFormat(bytes);
  switch (format) {
    case 'jpeg':
      return decodeJpeg(bytes, name);
    case 'png':
      return decodePng(bytes, name);
    case 'bmp':
      return decodeBmp(bytes, name);
    case 'pnm':
      return decodePnm(bytes, name);
    case 'tiff':
      throw dataError(name, 'TIFF is not supported yet; convert to PNG');
    case 'gif':
    case 'webp':
      throw dataError(name, `is a ${format.toUpperCase()} file, which is not supported; convert to PNG`);
    default:
      throw dataError(
        name,
        `not an image (starts with ${hexStart(bytes)}); ` +
          'expected JPEG, PNG, BMP or PPM data: delete or replace the file',
      );
  }
}

export type ImageFormat = 'jpeg' | 'png' | 'bmp' | 'pnm' | 'tiff' | 'gif' | 'webp' | 'unknown';

/** The format from the first bytes (the signatures PIL's plugins accept). */
export function sniffFormat(b: Uint8Array): ImageFormat {
  const at = (i: number, ...v: number[]): boolean => v.every((x, k) => b[i + k] === x);
  if (at(0, 0xff, 0xd8)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36) return 'pnm'; // P1..P6
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  return 'unknown';
}

function hexStart(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
