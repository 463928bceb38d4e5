// The batch warp kernel against the float64 SciPy reference (warpReference, itself bit-exact to
// scipy 1.10.1 ndimage.affine_transform, see test/unit/augment.test.ts): random uint8 images of
// odd sizes, parameters drawn from the chapter's generator and from extreme ranges, every fill
// mode, cval 0 and 127, rescale 1/255. Identity batches must be bit-exact.
import { describe, expect, test } from 'vitest';
import {
  CHAPTER_AUGMENTATION,
  randomTransform,
  transformMatrix,
  warpReference,
  type AugmentOptions,
  type TransformParams,
} from '../../src/data/augment.js';
import { augmentBatch, uploadPixels, type FillMode, type WarpTransform } from '../../src/kernels/augment.js';
import { Rng } from '../../src/tensor/random.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { nextSeed, read64 } from '../helpers/tensors.js';

useGpu();

type Shape4 = [number, number, number, number];
const RESCALE = 1 / 255;
const MODES: FillMode[] = ['nearest', 'constant', 'reflect', 'wrap'];
const EXTREME: AugmentOptions = {
  rotationRange: 180,
  widthShiftRange: 0.9,
  heightShiftRange: 0.9,
  shearRange: 45,
  zoomRange: [0.25, 3],
  horizontalFlip: true,
  verticalFlip: true,
};
/** Distance (pixels) to a 'constant' / 'wrap' discontinuity within which either side is right. */
const EDGE_EPS = 1e-5;

function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

// Image i of the batch as float64 HxWx3.
function image(bytes: Uint8Array, i: number, h: number, w: number): Float64Array {
  return Float64Array.from(bytes.subarray(i * h * w * 3, (i + 1) * h * w * 3));
}

function toWarp(p: TransformParams, h: number, w: number): WarpTransform {
  return { matrix: transformMatrix(p, h, w), flipHorizontal: p.flipHorizontal, flipVertical: p.flipVertical };
}

// f32 rounding of a sampling point can put it on the other side of a jump of 'constant' (the
// edges 0 and n-1) or 'wrap' (every multiple of n-1); such output cells are left out.
function nearJump(x: number, n: number, mode: FillMode): boolean {
  if (mode === 'constant') return Math.abs(x) < EDGE_EPS || Math.abs(x - (n - 1)) < EDGE_EPS;
  if (mode !== 'wrap' || n === 1) return false;
  return Math.abs(x - (n - 1) * Math.round(x / (n - 1))) < EDGE_EPS;
}

function ambiguous(t: WarpTransform, h: number, w: number, mode: FillMode): Uint8Array {
  const m = t.matrix;
  const out = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const rr = t.flipVertical ? h - 1 - r : r;
      const cc = t.flipHorizontal ? w - 1 - c : c;
      const x = rr * m[0] + cc * m[1] + m[2];
      const y = rr * m[3] + cc * m[4] + m[5];
      out[r * w + c] = nearJump(x, h, mode) || nearJump(y, w, mode) ? 1 : 0;
    }
  }
  return out;
}

interface Case {
  shape: Shape4;
  bytes: Uint8Array;
  transforms: WarpTransform[];
  label: string;
}

function randomCase(shape: Shape4, mode: FillMode): Case {
  const [n, h, w] = shape;
  const pixelSeed = nextSeed();
  const paramSeed = nextSeed();
  const rng = new Rng(paramSeed);
  // Image 0 from the chapter's generator, the rest from extreme ranges.
  const transforms = Array.from({ length: n }, (_, i) =>
    toWarp(randomTransform(i === 0 ? CHAPTER_AUGMENTATION : EXTREME, h, w, rng), h, w),
  );
  const label = `${mode} [${shape}] pixel seed ${pixelSeed} param seed ${paramSeed}`;
  return { shape, bytes: randomBytes(n * h * w * 3, pixelSeed), transforms, label };
}

// GPU vs reference * rescale, with the ambiguous cells of every image zeroed on both sides.
async function check(k: Case, mode: FillMode, cval: number): Promise<void> {
  const [n, h, w] = k.shape;
  const px = uploadPixels(k.bytes, k.shape);
  const y = augmentBatch(px, k.shape, k.transforms, { fillMode: mode, cval, rescale: RESCALE });
  expect(y.shape).toEqual(k.shape);
  const got = await read64(y);
  px.dispose();
  y.dispose();
  const want = new Float64Array(got.length);
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    const t = k.transforms[i];
    const ref = warpReference(image(k.bytes, i, h, w), h, w, 3, t.matrix, t, mode, cval);
    const skip = ambiguous(t, h, w, mode);
    for (let j = 0; j < h * w * 3; j++) {
      const at = i * h * w * 3 + j;
      want[at] = ref[j] * RESCALE;
      if (skip[Math.floor(j / 3)]) {
        want[at] = got[at] = 0;
        skipped++;
      }
    }
  }
  expect(skipped, `${k.label}: cells near a jump`).toBeLessThan(got.length * 0.01);
  expectClose(got, want, { atol: 1e-4, rtol: 0, label: `${k.label} cval ${cval} (${skipped} cells skipped)` });
}

const SHAPES: Shape4[] = [
  [3, 7, 5, 3],
  [3, 37, 29, 3],
  [3, 150, 150, 3],
];

describe.each(MODES)('fill mode %s', (mode) => {
  test.each(SHAPES)('chapter + extreme transforms, batch [%i, %i, %i, %i], cval 0 and 127', async (...s) => {
    const k = randomCase(s as Shape4, mode);
    for (const cval of [0, 127]) await check(k, mode, cval);
  });
});

test('integer and half-integer shifts hit the edges and the wrap seams exactly (no cells skipped)', async () => {
  for (const [h, w] of [
    [7, 5],
    [6, 9],
  ]) {
    const shifts = [
      [-(h - 1), 0],
      [0, -(w - 1)],
      [h - 1, w - 1],
      [-2 * (h - 1), 3 * (w - 1)],
      [-h, w],
      [0.5, -0.5],
      [h - 1.5, -(w - 0.5)],
      [2 * (h - 1) + 0.25, -2 * (w - 1) - 0.25],
      [0, 0],
    ];
    const transforms = shifts.map(([a, b], i) => ({
      matrix: [1, 0, a, 0, 1, b],
      flipHorizontal: i % 2 === 1,
      flipVertical: i % 3 === 1,
    }));
    const shape: Shape4 = [transforms.length, h, w, 3];
    const seed = nextSeed();
    const bytes = randomBytes(shape[0] * h * w * 3, seed);
    const k: Case = { shape, bytes, transforms, label: `shifts ${h}x${w} seed ${seed}` };
    for (const mode of MODES) {
      const px = uploadPixels(k.bytes, shape);
      const y = augmentBatch(px, shape, transforms, { fillMode: mode, cval: 127, rescale: RESCALE });
      const got = await read64(y);
      px.dispose();
      y.dispose();
      const want = new Float64Array(got.length);
      transforms.forEach((t, i) => {
        const ref = warpReference(image(k.bytes, i, h, w), h, w, 3, t.matrix, t, mode, 127);
        ref.forEach((v, j) => (want[i * h * w * 3 + j] = v * RESCALE));
      });
      expectClose(got, want, { atol: 1e-6, rtol: 0, label: `${k.label} ${mode}` });
    }
  }
});

// f32(byte) * f32(1/255), rounded once, as the GPU computes it.
const exactScaled = (b: number): number => Math.fround(b * Math.fround(RESCALE));

const IDENTITY_SHAPES: Shape4[] = [
  [3, 150, 150, 3],
  [2, 7, 5, 3],
  [1, 1, 1, 3],
];

test.each(IDENTITY_SHAPES)('identity batch [%i, %i, %i, %i] is bit-exact: byte * 1/255 in f32', async (...s) => {
  const shape = s as Shape4;
  const seed = nextSeed();
  const bytes = randomBytes(shape[0] * shape[1] * shape[2] * 3, seed);
  const px = uploadPixels(bytes, shape);
  const want = Float64Array.from(bytes, exactScaled);
  const fast = augmentBatch(px, shape, null, { fillMode: 'constant', cval: 9, rescale: RESCALE });
  expectClose(await read64(fast), want, { atol: 0, rtol: 0, label: `fast path [${shape}] seed ${seed}` });
  // The general kernel with identity matrices lands on whole pixels with weight 1: also exact.
  const ident = Array.from({ length: shape[0] }, () => ({
    matrix: [1, 0, 0, 0, 1, 0],
    flipHorizontal: false,
    flipVertical: false,
  }));
  for (const mode of MODES) {
    const y = augmentBatch(px, shape, ident, { fillMode: mode, cval: 9, rescale: RESCALE });
    expectClose(await read64(y), want, { atol: 0, rtol: 0, label: `warp path ${mode} [${shape}] seed ${seed}` });
    y.dispose();
  }
  for (const t of [px, fast]) t.dispose();
});

test('flips alone reverse columns / rows exactly', async () => {
  const shape: Shape4 = [2, 4, 5, 3];
  const seed = nextSeed();
  const bytes = randomBytes(2 * 4 * 5 * 3, seed);
  const px = uploadPixels(bytes, shape);
  const flips = [
    { matrix: [1, 0, 0, 0, 1, 0], flipHorizontal: true, flipVertical: false },
    { matrix: [1, 0, 0, 0, 1, 0], flipHorizontal: false, flipVertical: true },
  ];
  const y = augmentBatch(px, shape, flips, { fillMode: 'nearest', cval: 0, rescale: 1 });
  const got = await read64(y);
  const want = new Float64Array(got.length);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 5; c++) {
      for (let ch = 0; ch < 3; ch++) {
        want[(r * 5 + c) * 3 + ch] = bytes[(r * 5 + 4 - c) * 3 + ch];
        want[60 + (r * 5 + c) * 3 + ch] = bytes[60 + ((3 - r) * 5 + c) * 3 + ch];
      }
    }
  }
  expectClose(got, want, { atol: 0, rtol: 0, label: `flips seed ${seed}` });
  for (const t of [px, y]) t.dispose();
});

test('uploadPixels packs 4 bytes per word, little-endian, zero-padded', async () => {
  const bytes = Uint8Array.from({ length: 15 }, (_, i) => i + 1);
  const px = uploadPixels(bytes, [1, 1, 5, 3]);
  expect(px.dtype).toBe('uint32');
  expect(Array.from(await px.data())).toEqual([0x04030201, 0x08070605, 0x0c0b0a09, 0x000f0e0d]);
  px.dispose();
});

test('bad shapes, counts, pixel tensors and far-out matrices throw', () => {
  const px = uploadPixels(new Uint8Array(2 * 3 * 4 * 3), [2, 3, 4, 3]);
  const o = { fillMode: 'nearest' as const, cval: 0, rescale: 1 };
  const id = { matrix: [1, 0, 0, 0, 1, 0], flipHorizontal: false, flipVertical: false };
  expect(() => uploadPixels(new Uint8Array(5), [1, 1, 2, 3])).toThrow(/6 bytes|5 bytes/);
  expect(() => augmentBatch(px, [2, 3, 4, 1], null, o)).toThrow(/\[n, h, w, 3\]/);
  expect(() => augmentBatch(px, [2, 3, 5, 3], null, o)).toThrow(/uploadPixels/);
  expect(() => augmentBatch(px, [2, 3, 4, 3], [id], o)).toThrow(/1 transforms for a batch of 2/);
  const far = { ...id, matrix: [1e6, 0, 0, 0, 1, 0] };
  expect(() => augmentBatch(px, [2, 3, 4, 3], [id, far], o)).toThrow(/too far out/);
  px.dispose();
});
