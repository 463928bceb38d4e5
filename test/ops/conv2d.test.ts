// Conv2D on the GPU against the float64 reference: forward (bias, fused activation) and the three
// gradients, for both GEMM cores, each texture variant, the default plan's patch matrix, awkward shapes (batch 1, spatial 1/7/9/37/75, channels 3/5/64,
// stride 2, asymmetric 'same' padding, non-square kernels), plus the shape rule's errors.
import { afterEach, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import { GEMM_VARIANTS, type GemmVariant } from '../../src/kernels/gemm.js';
import {
  adapterFacts,
  hasSgShare,
  planSettings,
  setConvVariant,
  setGemmVariant,
} from '../../src/kernels/plan_context.js';
import { patchColumns } from '../../src/kernels/plan.js';
import { CONV_VARIANTS } from '../../src/kernels/plan_legal.js';
import { planTexWeight } from '../../src/kernels/plan_split.js';
import { fullTap } from '../../src/kernels/conv.js';
import type { ConvVariant } from '../../src/kernels/conv_types.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import type { Activation } from '../../src/kernels/activation.js';
import type { Padding } from '../../src/tensor/shape.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose, sumScale } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64 } from '../helpers/tensors.js';

useGpu();
afterEach(() => {
  setGemmVariant(null);
  setConvVariant(null);
});

// Long f32 sums (up to 576 taps, 5625 positions for dw): rtol 1e-3 as for matmul. Winograd
// F(4x4)'s error is about 10x larger (test/ops/winograd.test.ts).
const TOL = { atol: 2e-4, rtol: 1e-3 };
const TOL_WINO4 = { atol: 4e-4, rtol: 2e-3 };

interface Case {
  x: number[];
  k: [number, number];
  co: number;
  s: [number, number];
  pad: Padding;
  act: Activation;
}

/** A case written as the test names print it: 'NxHxWxC kHxW coN sHxW padding activation'. */
function conv(spec: string): Case {
  const [x, k, co, s, pad, act] = spec.split(' ');
  const dims = (t: string) =>
    t
      .replace(/^[a-z]+/, '')
      .split('x')
      .map(Number);
  const pair = (t: string) => dims(t) as [number, number];
  return { x: dims(x), k: pair(k), co: dims(co)[0], s: pair(s), pad: pad as Padding, act: act as Activation };
}

const CASES: Case[] = [
  '1x1x1x3 k1x1 co5 s1x1 valid linear',
  '2x7x7x3 k3x3 co5 s1x1 same relu',
  '1x9x9x5 k3x3 co64 s2x2 same linear',
  '2x9x7x5 k2x3 co3 s2x2 valid relu',
  '1x8x8x3 k5x5 co4 s2x2 same linear',
  '3x6x5x2 k4x4 co2 s3x1 same sigmoid',
  '1x37x37x3 k3x3 co64 s1x1 same relu',
].map(conv);
// VGG16's block2 shape at 150x150 input, batch 1: only on the tiled core (the naive one is slow).
const BIG = conv('1x75x75x64 k3x3 co64 s1x1 same relu');

async function check(c: Case, variant: GemmVariant | ConvVariant | 'default'): Promise<void> {
  if (variant === 'default') {
    // The adapter's own plan.
  } else if (variant === 'tiled' || variant === 'naive') {
    setGemmVariant(variant);
    setConvVariant('gemm');
  } else {
    setConvVariant(variant);
  }
  const [kh, kw] = c.k;
  const ci = c.x[3];
  const g = conv2dGeometry(c.x, [kh, kw, ci, c.co], { strides: c.s, padding: c.pad });
  const x = randomPair(c.x);
  const w = randomPair([kh, kw, ci, c.co], -0.3, 0.3);
  const b = randomPair([c.co], -0.3, 0.3);
  const r = randomPair([g.batch, g.OH, g.OW, g.CO]);
  const label =
    `${variant} seeds ${x.seed},${w.seed},${b.seed},${r.seed} x=[${c.x}] k=${kh}x${kw}` +
    ` co=${c.co} s=${c.s} ${c.pad} ${c.act}`;
  for (const p of [x, w, b]) p.t.requiresGrad = true;
  const y = tidy(() => {
    const y = conv2d(x.t, w.t, b.t, { strides: c.s, padding: c.pad, activation: c.act });
    backward(sum(mul(y, r.t)));
    return y;
  });
  const fwd = ref.conv2dForward(x.host, c.x, w.host, [kh, kw, ci, c.co], b.host, c.s, c.pad, c.act);
  expect(y.shape).toEqual(fwd.shape);
  const gpuY = await read64(y);
  const tol = variant === 'wino4' ? TOL_WINO4 : TOL;
  expectClose(gpuY, fwd.y, { ...tol, label: `${label} y` });
  // The activation's derivative at the forward actually computed: a pre-activation within f32
  // rounding of relu's kink can land on the other side of it than in float64 (about one in
  // 10^6 at 75x75x64: one dz element, then a 3x3 patch of dx, came out wrong in ~1 of 7 runs).
  const dz = ref.activationBackward(gpuY, r.host, c.act);
  const grads = ref.conv2dBackward(x.host, c.x, w.host, [kh, kw, ci, c.co], dz, c.s, c.pad);
  expectClose(await read64(x.t.grad!), grads.dx, { ...tol, label: `${label} dx` });
  // dw sums batch*OH*OW products: where they cancel, the error follows their magnitudes.
  const dwScale = sumScale(
    ref.conv2dBackward(x.host.map(Math.abs), c.x, w.host, [kh, kw, ci, c.co], dz.map(Math.abs), c.s, c.pad).dw,
  );
  expectClose(await read64(w.t.grad!), grads.dw, { ...tol, label: `${label} dw`, scale: dwScale });
  expectClose(await read64(b.t.grad!), grads.db, { ...TOL, label: `${label} db` });
  for (const t of [x.t, w.t, b.t, r.t, y, x.t.grad!, w.t.grad!, b.t.grad!]) t.dispose();
}

// Channels in multiples of 4 (8 for CI in the weight gradient) take the texture-fed kernels;
// other input channel counts are padded to 4 in the forward;
// M and CO/4 deliberately not multiples of the 8x8 blocks; CI=12 mixes sg and GEMM kernels.
const TEX_CASES: Case[] = [
  '1x1x1x4 k1x1 co4 s1x1 valid linear',
  '2x7x7x8 k3x3 co12 s1x1 same relu',
  '1x9x9x16 k3x3 co20 s2x2 same linear',
  '3x9x7x8 k2x3 co4 s2x1 valid sigmoid',
  '1x8x8x4 k5x5 co8 s2x2 same linear',
  '2x5x5x12 k3x3 co36 s1x1 same relu',
  '1x37x37x64 k3x3 co64 s1x1 same relu',
  // RGB-like inputs: the forward pads the channels to 4, the gradients take the GEMM kernels.
  '2x7x7x3 k3x3 co8 s1x1 same relu',
  '1x9x9x5 k3x3 co4 s2x2 valid linear',
  // RGB with a bias: its gradient comes out of the weight gradient's padded channel of ones
  // (conv2dBackwardWeightBias), at the centre tap ('same'), the first ('valid', 2 pixel chunks).
  '2x9x9x3 k3x3 co8 s2x2 same relu',
  '2x26x26x3 k3x3 co32 s1x1 valid relu',
].map(conv);

describe.each(CONV_VARIANTS.filter((v) => v !== 'gemm'))('conv2d, %s variant', (variant) => {
  test.each(TEX_CASES)('x=$x k=$k co=$co s=$s $pad $act', async (c) => {
    dispatcher().resetCounts();
    await check(c, variant);
    // The variant really ran (sg falls back to tex where the adapter has no sg share).
    // Winograd takes 3x3 stride-1 forwards and input gradients; its weight gradients (and forced
    // sg's) run on sg.
    const sg = hasSgShare();
    const winoShape = c.k[0] === 3 && c.k[1] === 3 && c.s[0] === 1 && c.s[1] === 1;
    const wino = (variant === 'wino' || variant === 'wino4') && sg && winoShape;
    const ran = variant !== 'tex' && sg ? 'sg' : 'tex';
    const counts = dispatcher().counts;
    expect(wino ? counts.get('conv2d_winograd_gemm') : counts.get(`conv2d_forward_${ran}`)).toBe(wino ? 2 : 1);
    const sgBackward = variant !== 'tex' && sg;
    // Other channel counts run padded (forward: x and w; backward-input: w, then a crop of dx;
    // weight gradient: x padded to 8, then a crop of dw).
    if (sgBackward) expect(counts.get('conv2d_backward_input_sg')).toBe(wino ? undefined : 1);
    if (sgBackward) expect(counts.get('conv2d_backward_weight_sg')).toBe(1);
    // The weight gradient by Winograd (8-channel rows) starts from the forward's transform of x,
    // kept for it: x's and dz's (the input gradient's) transforms, no third.
    if (wino && c.x[3] % 8 === 0) {
      expect(counts.get('conv2d_winograd_grad')).toBe(1);
      expect(counts.get('conv2d_winograd_input')).toBe(2);
    }
    const pads = (c.x[3] % 4 ? 2 : 0) + (sgBackward && c.x[3] % 4 ? 2 : 0) + (sgBackward && c.x[3] % 8 ? 2 : 0);
    expect(dispatcher().counts.get('pad_axis') ?? 0).toBe(pads);
  });
});

// Few input channels: on a software adapter with a share the default plan runs these as a 1x1
// conv of their patch matrix (plan.ts patchColumns), the bias in the patch weight and db out of
// the weight gradient; 5x5x3 (76 columns) and aligned channels do not. Odd filter counts put the
// patch product on the GEMM core.
const PATCH_CASES: Case[] = [
  '2x7x7x3 k3x3 co8 s1x1 same relu',
  '2x26x26x3 k3x3 co32 s1x1 valid relu',
  '1x9x9x3 k3x3 co4 s2x2 same sigmoid',
  '3x6x5x1 k2x3 co8 s2x1 valid linear',
  '1x9x9x5 k3x3 co12 s1x1 same relu',
  '1x9x9x3 k3x3 co5 s1x1 same relu',
  '1x8x8x3 k5x5 co4 s2x2 same linear',
  '1x7x7x8 k3x3 co8 s1x1 same relu',
].map(conv);

describe('conv2d on the default plan: few input channels through the patch matrix', () => {
  test.each(PATCH_CASES)('x=$x k=$k co=$co s=$s $pad $act', async (c) => {
    dispatcher().resetCounts();
    await check(c, 'default');
    const patches = patchColumns(conv2dGeometry(c.x, [...c.k, c.x[3], c.co], { strides: c.s, padding: c.pad }), {
      facts: adapterFacts(),
      settings: planSettings(),
    });
    const sgLavapipe = adapterFacts().software && hasSgShare();
    expect(patches !== null).toBe(sgLavapipe && c.x[3] % 4 !== 0 && c.k[0] * c.k[1] * c.x[3] < 64);
    expect(dispatcher().counts.get('conv2d_patches') ?? 0).toBe(patches === null ? 0 : 1);
  });
});

describe.each(GEMM_VARIANTS)('conv2d on the %s core', (variant) => {
  test.each(CASES)('x=$x k=$k co=$co s=$s $pad $act', async (c) => check(c, variant));
});

test('conv2d 3x3 64->64 on 75x75 (VGG16 block2 at 150x150), tiled core', async () => check(BIG, 'tiled'));
test('conv2d 3x3 64->64 on 75x75 (VGG16 block2 at 150x150), sg variant', async () => check(BIG, 'sg'));

test('conv2d shape rule: output sizes and clear errors', () => {
  expect(conv2dGeometry([4, 150, 150, 3], [3, 3, 3, 64], { padding: 'same' })).toMatchObject({
    OH: 150,
    OW: 150,
    PT: 1,
  });
  expect(conv2dGeometry([1, 5, 5, 1], [3, 3, 1, 1], { padding: 'same', strides: 2 })).toMatchObject({ OH: 3, PT: 1 });
  expect(conv2dGeometry([1, 4, 4, 1], [3, 3, 1, 1], { padding: 'same', strides: 2 })).toMatchObject({ OH: 2, PT: 0 });
  expect(() => conv2dGeometry([1, 5, 5, 3], [3, 3, 4, 8])).toThrow(/expects 4 channels/);
  expect(() => conv2dGeometry([1, 2, 2, 3], [3, 3, 3, 8])).toThrow(/does not fit/);
  expect(() => conv2dGeometry([5, 5, 3], [3, 3, 3, 8])).toThrow(/NHWC/);
});

test('the tap that sees x at every output pixel (where a channel of ones sums dz into db)', () => {
  const g = (x: number[], k: number, s: number, padding: Padding) =>
    conv2dGeometry(x, [k, k, x[3], 8], { strides: s, padding });
  expect(fullTap(g([4, 150, 150, 3], 3, 1, 'valid'))).toBe(0);
  expect(fullTap(g([4, 150, 150, 3], 3, 1, 'same'))).toBe(4); // the centre of 3x3
  expect(fullTap(g([1, 9, 9, 3], 3, 2, 'same'))).toBe(4);
  expect(fullTap(g([1, 8, 8, 3], 5, 1, 'same'))).toBe(12);
  // Padding larger than the kernel reaches past (not from Keras's rule): no such tap.
  expect(fullTap({ ...g([1, 4, 4, 3], 3, 1, 'same'), PT: 3, OH: 6 })).toBeNull();
});

test('weight-gradient split plan: ~1024-pixel chunks, partials within half a binding', () => {
  const g = conv2dGeometry([4, 150, 150, 64], [3, 3, 64, 64], { padding: 'same' });
  const p = planTexWeight(g, 1 << 30);
  expect(p.chunk % 8).toBe(0);
  expect(p.S * p.chunk).toBeGreaterThanOrEqual(90000);
  expect(p.chunk).toBeLessThanOrEqual(1032);
  // 576x64 partials are 147 KiB each: a 4 MiB binding holds 14 at half.
  expect(planTexWeight(g, 4 << 20).S).toBe(14);
  const small = conv2dGeometry([1, 3, 3, 512], [3, 3, 512, 512], { padding: 'same' });
  expect(planTexWeight(small, 1 << 30)).toMatchObject({ S: 1, chunk: 16 });
});
