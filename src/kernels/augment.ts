// The ImageDataGenerator warp of a whole batch in one kernel (shaders/augment_warp.wgsl): uint8
// RGB pixels in, float32 [n, h, w, 3] = Keras's apply_transform (SciPy affine_transform, order 1,
// then flips) * rescale out. Parameters and matrices come from src/data/augment.ts; this kernel
// records no gradient (it feeds the model's input).
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';

/** How points outside the image are filled (Keras's fill_mode). */
export type FillMode = 'nearest' | 'constant' | 'reflect' | 'wrap';

export interface WarpOptions {
  fillMode: FillMode;
  cval: number;
  rescale: number;
}

export interface WarpTransform {
  matrix: number[];
  flipHorizontal: boolean;
  flipVertical: boolean;
}

interface WarpParams {
  pixels: number;
  h: number;
  w: number;
  words: number;
  fill: number;
  identity: boolean;
  o: WarpOptions;
}

const WG = 128;
const FILL_CODE: Record<FillMode, number> = { nearest: 0, constant: 1, reflect: 2, wrap: 3 };
/** Fixed-point scale of the exact part of each matrix entry (see the shader's header). */
const Q = 4096;
/** Bound on |sampling point| * Q so that the i32 sums cannot overflow. */
const I32_LIMIT = 2 ** 31 - 1;

export const augmentWarpKernel: KernelSpec<WarpParams> = {
  name: 'augment_warp',
  shader: 'augment_warp',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [
    ['pixels', 'u32'],
    ['h', 'u32'],
    ['w', 'u32'],
    ['last_word', 'u32'],
    ['rescale', 'f32'],
    ['cval', 'f32'],
  ],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ FILL: p.fill, IDENTITY: p.identity }),
  values: (p) => ({
    pixels: p.pixels,
    h: p.h,
    w: p.w,
    last_word: p.words - 1,
    rescale: p.o.rescale,
    cval: p.o.cval,
  }),
  dispatch: (p) => grid1d(p.pixels, WG),
  flops: (p) => (p.identity ? 3 : 30) * p.pixels,
};

/** Words of the packed uint8 buffer of an [n, h, w, 3] batch. */
export function pixelWords(shape: readonly number[]): number {
  return Math.max(1, Math.ceil(shape.reduce((a, b) => a * b, 1) / 4));
}

/** Packs NHWC RGB bytes 4 per u32 (byte k of word j = byte 4j + k), zero-padded, and uploads. */
export function uploadPixels(bytes: Uint8Array, shape: [number, number, number, number]): Tensor {
  checkShape(shape);
  const size = shape[0] * shape[1] * shape[2] * 3;
  if (bytes.length !== size) throw new Error(`dawnflow: uploadPixels: ${bytes.length} bytes for [${shape}]`);
  const words = pixelWords(shape);
  const padded = new Uint8Array(words * 4);
  padded.set(bytes);
  // Uint32Array reads the host's byte order; Node's platforms are all little-endian.
  return Tensor.fromArray(new Uint32Array(padded.buffer), [words], 'uint32');
}

function checkShape(shape: readonly number[]): void {
  if (shape.length !== 4 || shape[3] !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`dawnflow: augment: expected an [n, h, w, 3] batch shape, got [${shape}]`);
  }
}

// One axis row [a, b, d] of the matrix as exact Q12 integers and their f32 remainders.
function split(row: readonly number[], h: number, w: number): { hi: number[]; lo: number[] } {
  const hi = row.map((v) => Math.round(v * Q));
  const lo = row.map((v, k) => v - hi[k] / Q);
  const bound = Math.abs(hi[0]) * (h - 1) + Math.abs(hi[1]) * (w - 1) + Math.abs(hi[2]) + Q;
  if (!row.every(Number.isFinite) || bound > I32_LIMIT) {
    throw new Error(
      `dawnflow: augment: matrix row [${row}] reaches sampling points too far out ` +
        `for a ${h}x${w} image (|point| must stay below about 2^19 pixels)`,
    );
  }
  return { hi, lo };
}

/** 16 words per image: see the `prm` layout in shaders/augment_warp.wgsl. */
export function packWarpParams(transforms: readonly WarpTransform[], h: number, w: number): Uint32Array {
  const words = new Uint32Array(Math.max(1, transforms.length) * 16);
  const i32 = new Int32Array(words.buffer);
  const f32 = new Float32Array(words.buffer);
  transforms.forEach((t, i) => {
    if (t.matrix.length !== 6) {
      throw new Error(`dawnflow: augment: image ${i} matrix has ${t.matrix.length} entries, not 6`);
    }
    // vec4 0/1: input rows (hi, then lo); vec4 2/3: input columns. The flips ride in .w.
    for (const [axis, row] of [t.matrix.slice(0, 3), t.matrix.slice(3, 6)].entries()) {
      const { hi, lo } = split(row, h, w);
      const at = i * 16 + axis * 8;
      for (let k = 0; k < 3; k++) {
        i32[at + k] = hi[k];
        f32[at + 4 + k] = lo[k];
      }
    }
    words[i * 16 + 3] = t.flipHorizontal ? 1 : 0;
    words[i * 16 + 7] = t.flipVertical ? 1 : 0;
  });
  return words;
}

/**
 * The warped batch * rescale as float32 [n, h, w, 3]. `pixels` comes from uploadPixels;
 * transforms (one per image, matrices from transformMatrix) or null for all-identity, which
 * just converts bytes (f32(byte) * f32(rescale), exactly).
 */
export function augmentBatch(
  pixels: Tensor,
  shape: [number, number, number, number],
  transforms: readonly WarpTransform[] | null,
  o: WarpOptions,
): Tensor {
  checkShape(shape);
  const [n, h, w] = shape;
  if (pixels.dtype !== 'uint32' || pixels.size !== pixelWords(shape)) {
    throw new Error(
      `dawnflow: augment: pixels must be the uint32 tensor of uploadPixels for [${shape}], ` +
        `got ${pixels.describe()}`,
    );
  }
  if (transforms && transforms.length !== n) {
    throw new Error(`dawnflow: augment: ${transforms.length} transforms for a batch of ${n}`);
  }
  if (!(o.fillMode in FILL_CODE)) throw new Error(`dawnflow: augment: unknown fill mode ${o.fillMode}`);
  const prm = transforms ? packWarpParams(transforms, h, w) : new Uint32Array(16);
  const params = Tensor.fromArray(prm, [prm.length], 'uint32');
  const y = Tensor.empty([n, h, w, 3], 'float32', 'augment');
  const p: WarpParams = {
    pixels: n * h * w,
    h,
    w,
    words: pixels.size,
    fill: FILL_CODE[o.fillMode],
    identity: !transforms,
    o,
  };
  dispatcher().launch(augmentWarpKernel, p, [pixels.buffer, params.buffer, y.buffer]);
  params.dispose();
  return y;
}
