// ImageDataGenerator random augmentation as in Keras 2.3 / keras-preprocessing 1.1, CPU side: the
// per-image parameter draws, the affine matrix, and a float64 reference of the warp that the GPU
// kernel (src/kernels/augment.ts) is tested against. See docs/keras-semantics.md section 6.
//
// The warp is scipy.ndimage.affine_transform(order=1, mode=fill_mode, cval) per channel, which
// maps every OUTPUT pixel (row, col) to an INPUT sampling point A·(row, col) + b. Its modes
// (SciPy >= 1.6 names; Keras passes the old names) behave as follows for order 1:
//   nearest   taps clamped to the edge: ... a a | a b c d | d d ...
//   reflect   half-sample symmetric, period 2n: ... b a | a b c d | d c ...
//   constant  a point outside [0, n-1] on either axis is cval, with no tolerance and no blending
//             across the edge (a point at -1e-12 is cval, one at n-1 exactly is the edge pixel)
//   wrap      the point is first folded with period n - 1 (not n): the first and last samples
//             overlap, so x[n-1] is never reached from outside; a negative multiple of n - 1
//             lands on n - 1, a positive one beyond n - 1 on 0. Taps past the end mirror.
import type { FillMode } from '../kernels/augment.js';
import type { Rng } from '../tensor/random.js';

export interface AugmentOptions {
  /** Degrees: theta ~ U(-r, r). */
  rotationRange?: number;
  /** Fraction of the width if < 1, else pixels (floats only): ty ~ U(-r, r) [* w]. */
  widthShiftRange?: number;
  /** Fraction of the height if < 1, else pixels (floats only): tx ~ U(-r, r) [* h]. */
  heightShiftRange?: number;
  /** Degrees (Keras >= 2.1.3; radians in the book's Keras 2.0.8). */
  shearRange?: number;
  /** z gives [1 - z, 1 + z]; zx (rows) and zy (columns) are drawn independently. */
  zoomRange?: number | [number, number];
  horizontalFlip?: boolean;
  verticalFlip?: boolean;
  fillMode?: FillMode;
  cval?: number;
}

export interface TransformParams {
  /** Rotation in degrees. */
  theta: number;
  /** Row shift in pixels (from heightShiftRange). */
  tx: number;
  /** Column shift in pixels (from widthShiftRange). */
  ty: number;
  /** Shear in degrees. */
  shear: number;
  zx: number;
  zy: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
}

/**
 * The chapter's generator as this project targets it (Keras 2.3): rotation_range=40,
 * width/height_shift_range=0.2, shear_range=2, zoom_range=0.2, horizontal_flip=True,
 * fill_mode='nearest'. Keras 2.3 reads shear_range in degrees, so 2 is a +-2 degree shear. (The
 * book's listing says 0.2, which its Keras 2.0.8 read as radians, about +-11.5 degrees.)
 */
export const CHAPTER_AUGMENTATION: Readonly<AugmentOptions> = Object.freeze({
  rotationRange: 40,
  widthShiftRange: 0.2,
  heightShiftRange: 0.2,
  shearRange: 2,
  zoomRange: 0.2,
  horizontalFlip: true,
  fillMode: 'nearest',
});

const FILL_MODES: readonly FillMode[] = ['nearest', 'constant', 'reflect', 'wrap'];

/** np.random.uniform(lo, hi): lo + (hi - lo) * random(). */
function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

// Keras: an int or list range draws from a discrete set (np.random.choice); a float draws
// U(-r, r), scaled by the image size when r < 1. JS cannot tell 2 from 2.0, so integers throw.
function shift(range: number | undefined, size: number, rng: Rng, name: string): number {
  if (range === undefined || range === 0) return 0;
  if (typeof range !== 'number' || Number.isInteger(range) || !Number.isFinite(range)) {
    throw new Error(
      `dawnflow: ${name}=${JSON.stringify(range)}: integer and list shift ranges ` +
        '(Keras draws those from a discrete set) are not supported; pass a float: a fraction < 1, ' +
        'or a non-integer number of pixels',
    );
  }
  const t = uniform(rng, -range, range);
  return range < 1 ? t * size : t;
}

function zoomBounds(z: number | [number, number] | undefined): [number, number] {
  if (z === undefined) return [1, 1];
  if (typeof z === 'number') return [1 - z, 1 + z];
  if (Array.isArray(z) && z.length === 2) return [z[0], z[1]];
  throw new Error(`dawnflow: zoomRange must be a number or [lo, hi], got ${JSON.stringify(z)}`);
}

/** Checks the options once (fill mode, zoom form); randomTransform also checks shifts. */
export function validateAugment(o: AugmentOptions): void {
  if (o.fillMode !== undefined && !FILL_MODES.includes(o.fillMode)) {
    throw new Error(`dawnflow: fillMode must be one of ${FILL_MODES.join(', ')}, got ${o.fillMode}`);
  }
  zoomBounds(o.zoomRange);
}

/**
 * One image's parameters, drawn in keras-preprocessing 1.1 `get_random_transform` order: theta,
 * tx (height shift), ty (width shift), shear, zx, zy (only for non-zero ranges), then the
 * horizontal and vertical flip draws, which are ALWAYS consumed, even when flips are off.
 */
export function randomTransform(o: AugmentOptions, h: number, w: number, rng: Rng): TransformParams {
  validateAugment(o);
  const theta = o.rotationRange ? uniform(rng, -o.rotationRange, o.rotationRange) : 0;
  const tx = shift(o.heightShiftRange, h, rng, 'heightShiftRange');
  const ty = shift(o.widthShiftRange, w, rng, 'widthShiftRange');
  const shear = o.shearRange ? uniform(rng, -o.shearRange, o.shearRange) : 0;
  const [lo, hi] = zoomBounds(o.zoomRange);
  let zx = 1;
  let zy = 1;
  if (lo !== 1 || hi !== 1) {
    zx = uniform(rng, lo, hi);
    zy = uniform(rng, lo, hi);
  }
  const flipHorizontal = rng.next() < 0.5 && !!o.horizontalFlip;
  const flipVertical = rng.next() < 0.5 && !!o.verticalFlip;
  return { theta, tx, ty, shear, zx, zy, flipHorizontal, flipVertical };
}

/** True when the image comes out unchanged: no warp and no flip. */
export function isIdentity(p: TransformParams): boolean {
  return (
    p.theta === 0 &&
    p.tx === 0 &&
    p.ty === 0 &&
    p.shear === 0 &&
    p.zx === 1 &&
    p.zy === 1 &&
    !p.flipHorizontal &&
    !p.flipVertical
  );
}

type Mat3 = number[]; // row-major 3x3

// np.dot of two 3x3 matrices, summing k = 0, 1, 2 left to right.
function mul(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  }
  return out;
}

const deg2rad = (d: number): number => d * (Math.PI / 180);

/**
 * [a00, a01, b0, a10, a11, b1]: output (row, col) -> input (row, col) = A·(row, col) + b, i.e.
 * M' = O·R·T·S·Z·O⁻¹ with O the translation by (h/2 + 0.5, w/2 + 0.5) (Keras's centre, one pixel
 * past the true (h-1)/2). Only non-trivial factors are multiplied in, as Keras does; the
 * identity gives [1, 0, 0, 0, 1, 0] exactly.
 */
export function transformMatrix(p: TransformParams, h: number, w: number): number[] {
  let m: Mat3 | null = null;
  const then = (f: Mat3): void => {
    m = m ? mul(m, f) : f;
  };
  if (p.theta !== 0) {
    const t = deg2rad(p.theta);
    then([Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1]);
  }
  if (p.tx !== 0 || p.ty !== 0) then([1, 0, p.tx, 0, 1, p.ty, 0, 0, 1]);
  if (p.shear !== 0) {
    const s = deg2rad(p.shear);
    then([1, -Math.sin(s), 0, 0, Math.cos(s), 0, 0, 0, 1]);
  }
  if (p.zx !== 1 || p.zy !== 1) then([p.zx, 0, 0, 0, p.zy, 0, 0, 0, 1]);
  if (m === null) return [1, 0, 0, 0, 1, 0];
  const or = h / 2 + 0.5;
  const oc = w / 2 + 0.5;
  const t = mul(mul([1, 0, or, 0, 1, oc, 0, 0, 1], m), [1, 0, -or, 0, 1, -oc, 0, 0, 1]);
  return [t[0], t[1], t[2], t[3], t[4], t[5]];
}

// ---------------------------------------------------------------- float64 SciPy reference

// ni_interpolation.c map_coordinate for a point outside [0, len - 1]; -1 means "use cval".
// 'mirror' (whole-sample symmetric) is what SciPy uses for the taps of 'constant' and 'wrap'.
function mapCoordinate(x: number, len: number, mode: FillMode | 'mirror'): number {
  if (x >= 0 && x <= len - 1) return x;
  if (mode === 'constant') return -1;
  if (mode === 'nearest') return x < 0 ? 0 : len - 1;
  if (len <= 1) return 0;
  return x < 0 ? mapBelow(x, len, mode) : mapAbove(x, len, mode);
}

function mapBelow(x: number, len: number, mode: 'reflect' | 'wrap' | 'mirror'): number {
  if (mode === 'mirror') {
    const s2 = 2 * len - 2;
    x = s2 * Math.trunc(-x / s2) + x;
    return x <= 1 - len ? x + s2 : -x;
  }
  if (mode === 'reflect') {
    const s2 = 2 * len;
    if (x < -s2) x = s2 * Math.trunc(-x / s2) + x;
    // SciPy's -1e-15 guard keeps -x - 1 from rounding to -1 (which would read as "cval").
    return x < -len ? x + s2 : (x > -1e-15 ? 1e-15 : -x) - 1;
  }
  const sz = len - 1;
  return x + sz * (Math.trunc(-x / sz) + 1);
}

function mapAbove(x: number, len: number, mode: 'reflect' | 'wrap' | 'mirror'): number {
  if (mode === 'wrap') return x - (len - 1) * Math.trunc(x / (len - 1));
  const s2 = mode === 'mirror' ? 2 * len - 2 : 2 * len;
  x -= s2 * Math.trunc(x / s2);
  if (x >= len) x = mode === 'mirror' ? s2 - x : s2 - x - 1;
  return x;
}

interface Taps {
  i0: number;
  i1: number;
  w0: number;
  w1: number;
}

// The two taps and weights along one axis (order 1), or null for cval. As in SciPy: 'nearest'
// skips the point mapping and clamps the taps; the others fold the point, then the taps.
function axisTaps(x: number, len: number, mode: FillMode): Taps | null {
  const cc = mode === 'nearest' ? x : mapCoordinate(x, len, mode);
  if (!(cc > -1) && mode !== 'nearest') return null;
  const start = Math.floor(cc);
  const w0 = 1 - (cc - start);
  const tapMode = mode === 'constant' || mode === 'wrap' ? 'mirror' : mode;
  const tap = (i: number): number => (i < 0 || i >= len ? Math.trunc(mapCoordinate(i, len, tapMode)) : i);
  return { i0: tap(start), i1: tap(start + 1), w0, w1: 1 - w0 };
}

/**
 * Keras's apply_transform for one HxWxC image (float64, values 0..255): per channel
 * scipy.ndimage.affine_transform(x, A, b, order=1, mode=fillMode, cval), then the horizontal
 * flip (columns reversed), then the vertical flip (rows reversed). Same float64 operations, in
 * the same order, as SciPy's C loop, so it agrees with SciPy to the last bit or so.
 */
export function warpReference(
  src: Float64Array,
  h: number,
  w: number,
  c: number,
  m: number[],
  p: { flipHorizontal: boolean; flipVertical: boolean },
  fillMode: FillMode,
  cval: number,
): Float64Array {
  if (src.length !== h * w * c) throw new Error(`dawnflow: warpReference: ${src.length} values for ${h}x${w}x${c}`);
  const out = new Float64Array(h * w * c);
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const rows = axisTaps(r * m[0] + col * m[1] + m[2], h, fillMode);
      const cols = rows && axisTaps(r * m[3] + col * m[4] + m[5], w, fillMode);
      const or = p.flipVertical ? h - 1 - r : r;
      const oc = p.flipHorizontal ? w - 1 - col : col;
      const at = (or * w + oc) * c;
      for (let ch = 0; ch < c; ch++) out[at + ch] = cols ? bilinear(src, w, c, ch, rows!, cols) : cval;
    }
  }
  return out;
}

// SciPy's footprint loop: last axis fastest, coeff = x * w_row * w_col, summed from 0.
function bilinear(src: Float64Array, w: number, c: number, ch: number, rt: Taps, ct: Taps): number {
  const px = (i: number, j: number): number => src[(i * w + j) * c + ch];
  let t = 0;
  t += px(rt.i0, ct.i0) * rt.w0 * ct.w0;
  t += px(rt.i0, ct.i1) * rt.w0 * ct.w1;
  t += px(rt.i1, ct.i0) * rt.w1 * ct.w0;
  t += px(rt.i1, ct.i1) * rt.w1 * ct.w1;
  return t;
}
