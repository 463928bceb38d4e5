// JPEG through jpeg-js, steered to give what PIL (libjpeg) gives.
//
// * Colour space: jpeg-js guesses on its own (it converts YCbCr->RGB for every 3-component file
//   unless told otherwise, and refuses 4-component files without an Adobe marker), so we read
//   the markers and apply libjpeg's rules (jdapimin.c default_decompress_parms): 3 components
//   are YCbCr with a JFIF marker, else per the Adobe transform flag (0 = RGB), else RGB only for
//   component ids 'R','G','B'; 4 components are YCCK for Adobe transform != 0, else CMYK.
// * CMYK: PIL always assumes Adobe's inverted CMYK ("CMYK;I") and converts with
//   r = (255 - k') - (255 - k') * c' / 255 (rounded), c' and k' being the un-inverted inks.
//   jpeg-js makes the same assumption and the same product but truncates instead of rounding,
//   so CMYK/YCCK pixels can be 1 level darker than PIL's. Its public API never exposes the raw
//   samples, so this is as close as it gets; a plain (non-Adobe) CMYK file gets a synthetic
//   Adobe marker with transform 0, which is exactly how libjpeg reads it.
// * Known gap: jpeg-js upsamples subsampled chroma by pixel replication, libjpeg-turbo by
//   "fancy" triangular interpolation, so 4:2:0 photos differ from PIL by a few levels at colour
//   edges (mean ~0.7, max ~10 on the cats-vs-dogs photos).
import jpeg from 'jpeg-js';
import type { RgbImage } from './rgb_image.js';
import { libraryReason } from '../util/errors.js';
import { dataError } from './errors.js';

/**
 * Pixels a JPEG's bytes can describe at most. Every 8x8 block of the first component costs at
 * least one bit of entropy-coded data (a 1-bit Huffman code for its DC difference, even in a
 * progressive first scan), so a file holds at most 512 pixels per byte; twice that is allowed.
 * A header claiming more is damaged, and jpeg-js would allocate for it before noticing.
 */
const MAX_PIXELS_PER_BYTE = 1024;

/**
 * jpeg-js's own guards, scaled to the file so that what the header check cannot see (a frame
 * after the first scan) is bounded too: about 16 bytes of working memory per pixel the file can
 * hold, never more than 1 GiB.
 */
function limits(bytes: number): { maxResolutionInMP: number; maxMemoryUsageInMB: number } {
  const mb = 64 + Math.ceil((16 * MAX_PIXELS_PER_BYTE * bytes) / 2 ** 20);
  return { maxResolutionInMP: 100, maxMemoryUsageInMB: Math.min(1024, mb) };
}

export function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  if (!hasEndMarker(bytes)) {
    throw dataError(name, 'truncated JPEG (no end-of-image marker FF D9); ' +
      're-copy or delete the file');
  }
  const { header, size } = scanHeader(bytes);
  if (size) checkSize(size, bytes.length, name);
  const input =
    header?.components === 4 ? withAdobeMarker(bytes, header.adobeTransform ?? 0) : bytes;
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      colorTransform: header ? libjpegTransform(header) : undefined,
      ...limits(bytes.length),
    });
  } catch (e) {
    throw dataError(name, `corrupt, truncated or unsupported JPEG (${libraryReason('jpeg-js', e)}); ` +
      're-copy, convert or delete the file', e);
  }
  if (!(out.width > 0 && out.height > 0 && out.data.length === out.width * out.height * 3)) {
    throw dataError(name, `corrupt JPEG (decoded to ${out.width}x${out.height}); delete the file`);
  }
  return { width: out.width, height: out.height, data: out.data };
}

/**
 * Past 100 MP jpeg-js's own maxResolutionInMP refuses the file before allocating; below, a
 * header claiming more pixels than the file's bytes can hold is refused here.
 */
function checkSize(f: FrameSize, bytes: number, name: string): void {
  const pixels = f.width * f.height;
  if (pixels === 0 || (pixels <= 100e6 && pixels > MAX_PIXELS_PER_BYTE * bytes)) {
    throw dataError(name, `JPEG header claims ${f.width}x${f.height} pixels, which its ${bytes} ` +
      'bytes cannot hold: the file is damaged; re-copy or delete it');
  }
}

export interface JpegHeader {
  components: number;
  componentIds: number[];
  jfif: boolean;
  /** The Adobe APP14 transform flag, or null without an Adobe marker. */
  adobeTransform: number | null;
}

interface FrameSize {
  width: number;
  height: number;
}

/** The markers before the first scan that decide the colour space; null when malformed. */
export function readJpegHeader(b: Uint8Array): JpegHeader | null {
  return scanHeader(b).header;
}

/**
 * The colour-space markers and the largest frame size: several frames are refused by jpeg-js,
 * but only after it allocated for each.
 */
function scanHeader(b: Uint8Array): { header: JpegHeader | null; size: FrameSize | null } {
  let jfif = false;
  let adobeTransform: number | null = null;
  let sof: Pick<JpegHeader, 'components' | 'componentIds'> | null = null;
  let size: FrameSize | null = null;
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const m = b[i + 1];
    if (m === 0xff) { i += 1; continue; } // fill byte before a marker
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) { i += 2; continue; } // no length field
    if (m === 0xda || m === 0xd9) break; // start of scan / end of image
    const len = (b[i + 2] << 8) | b[i + 3];
    const seg = b.subarray(i + 4, i + 2 + len);
    // The minimum lengths are libjpeg's (APP0_DATA_LEN 14, APP14_DATA_LEN 12).
    if (m === 0xe0 && seg.length >= 14 && ascii(seg, 'JFIF\0')) jfif = true;
    if (m === 0xee && seg.length >= 12 && ascii(seg, 'Adobe')) adobeTransform = seg[11];
    if (isStartOfFrame(m) && seg.length >= 6) {
      sof = frameComponents(seg);
      size = larger(size, frameSize(seg));
    }
    i += 2 + len;
  }
  return { header: sof && { ...sof, jfif, adobeTransform }, size };
}

// jpeg-js's colorTransform option: whether the stored channels are YCbCr (or YCCK).
function libjpegTransform(h: JpegHeader): boolean | undefined {
  if (h.components === 4) return h.adobeTransform !== null && h.adobeTransform !== 0;
  if (h.components !== 3) return undefined;
  if (h.jfif) return true;
  if (h.adobeTransform !== null) return h.adobeTransform !== 0;
  const [a, b, c] = h.componentIds;
  return !(a === 0x52 && b === 0x47 && c === 0x42); // 'R', 'G', 'B'
}

// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
function isStartOfFrame(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function larger(a: FrameSize | null, b: FrameSize): FrameSize {
  return a && a.width * a.height >= b.width * b.height ? a : b;
}

// SOF: precision, height (2 bytes), width (2 bytes), component count, then 3 bytes each.
function frameSize(seg: Uint8Array): FrameSize {
  return { height: (seg[1] << 8) | seg[2], width: (seg[3] << 8) | seg[4] };
}

function frameComponents(seg: Uint8Array): Pick<JpegHeader, 'components' | 'componentIds'> {
  const components = seg[5];
  const componentIds: number[] = [];
  for (let k = 0; k < components && 6 + 3 * k < seg.length; k++) componentIds.push(seg[6 + 3 * k]);
  return { components, componentIds };
}

/**
 * jpeg-js reads a marker-level EOI before it accepts a file, but says "marker was not found"
 * or "unknown JPEG marker 0" for a cut file; checking first gives the user the real reason.
 * Bytes after EOI are allowed (PIL ignores them too), so the last FF D9 anywhere counts.
 */
function hasEndMarker(b: Uint8Array): boolean {
  for (let i = b.length - 2; i >= 2; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  }
  return false;
}

// Prepends an Adobe APP14 segment; a later Adobe marker in the file, if any, still wins in
// jpeg-js (it keeps the last one), so an existing flag is never overridden.
function withAdobeMarker(b: Uint8Array, transform: number): Uint8Array {
  // FF EE, length 14, 'Adobe', version 100, flags0 0, flags1 0, transform.
  const app14 = [0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, transform];
  const out = new Uint8Array(b.length + app14.length);
  out.set([0xff, 0xd8], 0);
  out.set(app14, 2);
  out.set(b.subarray(2), 2 + app14.length);
  return out;
}

function ascii(seg: Uint8Array, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (seg[k] !== text.charCodeAt(k)) return false;
  return true;
}
