// Dense / matmul on the GPU against the float64 reference, forward and backward, for every GEMM
// core and awkward shapes (odd sizes, batch 1, non-multiples of the 64 and 16 tiles, split K).
import { afterEach, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { dense } from '../../src/ops/matmul.js';
import { gemmRaw } from '../../src/kernels/matmul.js';
import type { Activation } from '../../src/kernels/activation.js';
import { GEMM_VARIANTS } from '../../src/kernels/gemm.js';
import { hasSgShare, setConvVariant, setGemmVariant } from '../../src/kernels/plan_context.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64, upload } from '../helpers/tensors.js';

useGpu();
afterEach(() => {
  setGemmVariant(null);
  setConvVariant(null);
});

const TOL = { atol: 1e-4, rtol: 1e-3 };

const GEMM_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 37, 5],
  [7, 9, 75],
  [65, 3, 64],
  [37, 75, 129],
  [20, 2000, 7],
  [3, 8192, 5],
];

describe.each(GEMM_VARIANTS)('gemm core %s', (variant) => {
  test.each(GEMM_SHAPES)('matmul M=%i K=%i N=%i, all transposes', async (M, K, N) => {
    setGemmVariant(variant);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const a = randomPair(ta ? [K, M] : [M, K]);
      const b = randomPair(tb ? [N, K] : [K, N]);
      const y = gemmRaw(a.t, b.t, { transA: ta, transB: tb });
      const want = ref.matmul(a.host, b.host, M, K, N, ta, tb);
      const label = `${variant} seeds ${a.seed},${b.seed} M=${M} K=${K} N=${N} ta=${ta} tb=${tb}`;
      expectClose(await read64(y), want, { ...TOL, label });
      for (const t of [a.t, b.t, y]) t.dispose();
    }
  });

  const DENSE: [number, number, number, Activation][] = [
    [1, 5, 3, 'linear'],
    [4, 37, 9, 'relu'],
    [20, 75, 64, 'sigmoid'],
    [9, 600, 1, 'sigmoid'],
    [40, 2049, 65, 'relu'],
  ];
  test.each(DENSE)('dense M=%i in=%i units=%i %s: forward and backward', async (M, K, N, act) => {
    setGemmVariant(variant);
    const x = randomPair([M, K]);
    const w = randomPair([K, N], -0.5, 0.5);
    const b = randomPair([N], -0.5, 0.5);
    const r = randomPair([M, N]);
    const label = `${variant} seeds ${x.seed},${w.seed},${b.seed},${r.seed} dense ${M}x${K}->${N} ${act}`;
    for (const p of [x, w, b]) p.t.requiresGrad = true;
    const { y } = tidy(() => {
      const y = dense(x.t, w.t, b.t, act);
      backward(sum(mul(y, r.t)));
      return { y };
    });
    const yRef = ref.denseForward(x.host, w.host, b.host, M, K, N, act);
    const gpuY = await read64(y);
    expectClose(gpuY, yRef, { ...TOL, label: `${label} y` });
    // L = sum(y * r): dL/dy = r, then through the activation, evaluated at the GPU's (checked)
    // output: near relu's kink f32 and float64 may pick different sides.
    const dPre = ref.activationBackward(gpuY, r.host, act);
    const g = ref.denseBackward(x.host, w.host, dPre, M, K, N);
    expectClose(await read64(x.t.grad!), g.dx, { ...TOL, label: `${label} dx` });
    expectClose(await read64(w.t.grad!), g.dw, { ...TOL, label: `${label} dw` });
    expectClose(await read64(b.t.grad!), g.db, { ...TOL, label: `${label} db` });
    for (const t of [x.t, w.t, b.t, r.t, y, x.t.grad!, w.t.grad!, b.t.grad!]) t.dispose();
  });
});

// The texture-fed path (1x1-conv kernels): K, N multiples of 4 (K of 8 for X^T.dZ); M odd,
// 1, and not a multiple of the 8-row blocks; the head's 8192 -> 256 at batch 4. At most 4 rows
// X^T.dZ is the outer-product kernel's (dense_tex.ts): M 1 to 4, a last run of rows cut short
// (72 rows: 16 + 2 quads), an odd count of column vec4s (20 units).
const TEX_DENSE: [number, number, number, Activation][] = [
  [1, 8, 4, 'linear'],
  [7, 16, 12, 'relu'],
  [37, 72, 36, 'sigmoid'],
  [4, 8192, 256, 'relu'],
  [20, 12, 8, 'linear'],
  [3, 72, 20, 'relu'],
  [2, 1032, 8, 'linear'],
];
test.each(TEX_DENSE)('dense M=%i in=%i units=%i %s on the sg kernels', async (M, K, N, act) => {
  setConvVariant('sg');
  dispatcher().resetCounts();
  const x = randomPair([M, K]);
  const w = randomPair([K, N], -0.5, 0.5);
  const b = randomPair([N], -0.5, 0.5);
  const r = randomPair([M, N]);
  const label = `sg seeds ${x.seed},${w.seed},${b.seed},${r.seed} dense ${M}x${K}->${N} ${act}`;
  for (const p of [x, w, b]) p.t.requiresGrad = true;
  const y = tidy(() => {
    const y = dense(x.t, w.t, b.t, act);
    backward(sum(mul(y, r.t)));
    return y;
  });
  const yRef = ref.denseForward(x.host, w.host, b.host, M, K, N, act);
  const gpuY = await read64(y);
  expectClose(gpuY, yRef, { ...TOL, label: `${label} y` });
  const g = ref.denseBackward(x.host, w.host, ref.activationBackward(gpuY, r.host, act), M, K, N);
  expectClose(await read64(x.t.grad!), g.dx, { ...TOL, label: `${label} dx` });
  expectClose(await read64(w.t.grad!), g.dw, { ...TOL, label: `${label} dw` });
  expectClose(await read64(b.t.grad!), g.db, { ...TOL, label: `${label} db` });
  if (hasSgShare()) {
    expect(dispatcher().counts.get('conv2d_forward_sg')).toBe(1);
    expect(dispatcher().counts.get('conv2d_backward_input_sg')).toBe(1);
    const outer = K % 8 === 0 && M <= 4;
    expect(dispatcher().counts.get('conv2d_backward_weight_sg')).toBe(K % 8 === 0 && !outer ? 1 : undefined);
    expect(dispatcher().counts.get('dense_weight_outer')).toBe(outer ? 1 : undefined);
  }
  for (const t of [x.t, w.t, b.t, r.t, y, x.t.grad!, w.t.grad!, b.t.grad!]) t.dispose();
});

test('dense without bias and with a frozen kernel computes no kernel gradient', async () => {
  const x = randomPair([3, 4]);
  const w = randomPair([4, 2]);
  x.t.requiresGrad = true;
  const y = dense(x.t, w.t, null, 'linear');
  backward(sum(y));
  const want = ref.denseBackward(x.host, w.host, new Float64Array(6).fill(1), 3, 4, 2);
  expectClose(await read64(x.t.grad!), want.dx, TOL);
  if (w.t.grad) throw new Error('a tensor without requiresGrad got a gradient');
  upload(new Float64Array(1), [1]).dispose();
});
