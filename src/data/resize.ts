// Pillow's Image.resize for 8-bit RGB, reproduced bit for bit (Pillow >= 4, checked against
// Pillow 9.4): NEAREST from libImaging/Geometry.c (ImagingScaleAffine) and BILINEAR from
// libImaging/Resample.c (precompute_coeffs + the 8-bit two-pass convolution).
import type { RgbImage } from './rgb_image.js';
import { dataError } from './errors.js';

/**
 * NEAREST. Output column x reads source column floor((x + 0.5) * srcW / dstW), pixel centres
 * as in Pillow >= 3.4, but computed the way Pillow does: start at scale / 2 and add the double
 * `scale` once per column, so ties that the running sum rounds across go the same way.
 */
export function resizeNearest(img: RgbImage, width: number, height: number): RgbImage {
  checkTarget(width, height);
  const cols = nearestIndex(img.width, width);
  const rows = nearestIndex(img.height, height);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const src = rows[y] * img.width * 3;
    for (let x = 0; x < width; x++) {
      const s = src + cols[x] * 3;
      const d = (y * width + x) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  }
  return { width, height, data: out };
}

export function nearestIndex(src: number, dst: number): Int32Array {
  const scale = src / dst;
  const idx = new Int32Array(dst);
  let pos = scale * 0.5;
  for (let i = 0; i < dst; i++) {
    idx[i] = Math.min(Math.trunc(pos), src - 1); // the clamp never binds; it keeps reads in bounds
    pos += scale;
  }
  return idx;
}

/**
 * BILINEAR as Pillow's resampler: a triangle filter whose support grows with the scale when
 * shrinking (so it averages like an antialiasing filter instead of sampling 2x2), normalised
 * weights quantised to 22-bit fixed point, a horizontal pass rounded to uint8, then a vertical
 * pass rounded to uint8. A pass whose size is unchanged is skipped, as in Pillow.
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  checkTarget(width, height);
  let cur = img;
  if (width !== img.width) cur = resamplePass(cur, width, true);
  if (height !== img.height) cur = resamplePass(cur, height, false);
  return cur === img ? { width, height, data: img.data.slice() } : cur;
}

const PRECISION_BITS = 22; // 32 - 8 - 2, as Pillow

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [first source index, tap count] per output index
  weights: Int32Array; // ksize fixed-point taps per output index
}

/** Pillow's precompute_coeffs for the bilinear filter (support 1) + normalize_coeffs_8bpc. */
export function bilinearCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support 1.0 * filterScale
  const inv = 1 / filterScale; // Pillow multiplies by the reciprocal; dividing rounds differently
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < count; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * inv);
      k[x] = t < 1 ? 1 - t : 0;
      sum += k[x];
    }
    for (let x = 0; x < count; x++) {
      const w = sum !== 0 ? k[x] / sum : k[x];
      weights[xx * ksize + x] = Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = count;
  }
  return { ksize, bounds, weights };
}

// One separable pass over every row (horizontal) or column (vertical).
function resamplePass(img: RgbImage, size: number, horizontal: boolean): RgbImage {
  const inSize = horizontal ? img.width : img.height;
  const { ksize, bounds, weights } = bilinearCoeffs(inSize, size);
  const width = horizontal ? size : img.width;
  const height = horizontal ? img.height : size;
  const out = new Uint8Array(width * height * 3);
  // Strides in bytes along the resampled axis and along the other one.
  const along = horizontal ? 3 : img.width * 3;
  const across = horizontal ? img.width * 3 : 3;
  const outAlong = horizontal ? 3 : width * 3;
  const outAcross = horizontal ? width * 3 : 3;
  const lines = horizontal ? img.height : img.width;
  for (let line = 0; line < lines; line++) {
    for (let o = 0; o < size; o++) {
      const first = bounds[o * 2];
      const count = bounds[o * 2 + 1];
      const base = line * across + first * along;
      for (let c = 0; c < 3; c++) {
        let ss = 1 << (PRECISION_BITS - 1); // +0.5 in Q22: round half up
        for (let t = 0; t < count; t++) {
          ss += img.data[base + t * along + c] * weights[o * ksize + t];
        }
        out[line * outAcross + o * outAlong + c] = clip8(ss >> PRECISION_BITS);
      }
    }
  }
  return { width, height, data: out };
}

function clip8(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}

function checkTarget(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw dataError('resize', `target size ${width}x${height} must be positive integers`);
  }
}
