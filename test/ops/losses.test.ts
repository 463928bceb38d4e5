// Keras 2.3.1's binary cross-entropy (TF 1.15 / 2.0's two branches) on the GPU against the float64
// reference: from probabilities (the [eps, 1 - eps] clip, eps inside the logs, zero gradient where
// clipped) and from logits (no clip), the loss and its gradient w.r.t. the prediction, including
// outputs saturated in both directions; shape and target-gradient errors.
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { binaryCrossentropy, EPSILON } from '../../src/ops/losses.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { nextSeed, randomPair, read64, upload } from '../helpers/tensors.js';

useGpu();

const LOSS_TOL = { atol: 1e-6, rtol: 1e-5 };
// The gradient is one f32 expression per element (up to ~100/n near p = 0.01), no sum.
const GRAD_TOL = { atol: 1e-7, rtol: 1e-5 };

/** Hard 0/1 labels, or soft labels in [0, 1) (Keras accepts both). */
function targets(n: number, soft: boolean, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  return Float64Array.from({ length: n }, () => (soft ? Math.fround(rnd()) : rnd() < 0.5 ? 0 : 1));
}

/** Loss and gradient w.r.t. pred from the GPU; pred gets requiresGrad for the pass. */
async function run(y: Tensor, p: Tensor, fromLogits: boolean): Promise<{ loss: number; grad: Float64Array }> {
  p.requiresGrad = true;
  const loss = binaryCrossentropy(y, p, { fromLogits });
  expect(loss.shape).toEqual([]);
  const value = await loss.item();
  backward(loss);
  const grad = await read64(p.grad!);
  for (const t of [loss, p.grad!]) t.dispose();
  p.grad = null;
  return { loss: value, grad };
}

describe('from probabilities', () => {
  test.each([
    [[1], false],
    [[20], false],
    [[37], false],
    [[20, 1], true],
    [[37], true],
    [[4, 5], false],
  ] as [number[], boolean][])('shape %j soft labels %s: loss and gradient', async (shape, soft) => {
    const p = randomPair(shape, 0.01, 0.99);
    const ts = nextSeed();
    const yHost = targets(p.host.length, soft, ts);
    const y = upload(yHost, shape);
    const label = `seeds p ${p.seed} y ${ts} shape [${shape}] soft ${soft}`;
    const got = await run(y, p.t, false);
    expectClose([got.loss], [ref.bceTfProbs(p.host, yHost)], { ...LOSS_TOL, label: `${label} loss` });
    expectClose(got.grad, ref.bceTfProbsGrad(p.host, yHost), { ...GRAD_TOL, label: `${label} dp` });
    for (const t of [y, p.t]) t.dispose();
  });

  test('p exactly 0 and 1 are clipped: finite loss, zero gradient', async () => {
    const pHost = Float64Array.of(0, 1, 0, 1, 0.5, 1, 0);
    const yHost = Float64Array.of(0, 0, 1, 1, 1, 0.3, 0.7);
    const p = upload(pHost, [7]);
    const y = upload(yHost, [7]);
    const got = await run(y, p, false);
    expect(Number.isFinite(got.loss)).toBe(true);
    // The clip runs in f32 as in TF: 1 - 1e-7 is not an f32, it rounds to 1 - 2^-23, so p = 1
    // acts as 0.99999988; the reference's default bounds are these f32 numbers.
    expect(Math.fround(1 - Math.fround(EPSILON))).toBe(ref.TF_ONE_MINUS_EPS32);
    expectClose([got.loss], [ref.bceTfProbs(pHost, yHost)], { ...LOSS_TOL, label: 'clip loss' });
    expectClose(got.grad, ref.bceTfProbsGrad(pHost, yHost), { ...GRAD_TOL, label: 'clip dp' });
    expect(got.grad.filter((_, i) => i !== 4).every((g) => g === 0)).toBe(true);
    // The single case y = 0, p = 1: -log(2^-23 + eps) = 15.33 in TF's float32.
    const one = await run(upload(Float64Array.of(0), [1]), upload(Float64Array.of(1), [1]), false);
    expectClose([one.loss], [-Math.log(2 ** -23 + Math.fround(EPSILON))], { ...LOSS_TOL, label: 'y=0 p=1' });
    for (const t of [y, p]) t.dispose();
  });
});

describe('from logits', () => {
  test.each([
    [[1], false],
    [[20], true],
    [[37], false],
    [[6, 7], true],
  ] as [number[], boolean][])('shape %j soft labels %s: loss and gradient', async (shape, soft) => {
    const z = randomPair(shape, -6, 6);
    const ts = nextSeed();
    const yHost = targets(z.host.length, soft, ts);
    const y = upload(yHost, shape);
    const label = `seeds z ${z.seed} y ${ts} shape [${shape}] soft ${soft}`;
    const got = await run(y, z.t, true);
    expectClose([got.loss], [ref.bceFromLogits(z.host, yHost)], { ...LOSS_TOL, label: `${label} loss` });
    expectClose(got.grad, ref.bceFromLogitsGrad(z.host, yHost), { ...GRAD_TOL, label: `${label} dz` });
    for (const t of [y, z.t]) t.dispose();
  });

  test('|z| = 50 stays finite and exact (no overflow in exp)', async () => {
    const zHost = Float64Array.of(50, -50, 50, -50, 20, -20, 0);
    const yHost = Float64Array.of(1, 0, 0, 1, 0.5, 0.5, 1);
    const z = upload(zHost, [7]);
    const y = upload(yHost, [7]);
    const got = await run(y, z, true);
    expectClose([got.loss], [ref.bceFromLogits(zHost, yHost)], { ...LOSS_TOL, label: '|z|=50 loss' });
    expectClose(got.grad, ref.bceFromLogitsGrad(zHost, yHost), { ...GRAD_TOL, label: '|z|=50 dz' });
    for (const t of [y, z]) t.dispose();
  });
});

test('errors: shape mismatch, empty batch, gradient w.r.t. the target', () => {
  const p = randomPair([3]).t;
  const y3x1 = randomPair([3, 1]).t;
  expect(() => binaryCrossentropy(y3x1, p)).toThrow(/target \[3, 1\] and output \[3\] differ/);
  const e = upload(new Float64Array(0), [0]);
  expect(() => binaryCrossentropy(e, e)).toThrow(/empty batch/);
  const y = randomPair([3], 0, 1).t;
  y.requiresGrad = true;
  expect(() => backward(binaryCrossentropy(y, p))).toThrow(/no gradient w.r.t. the target/);
  for (const t of [p, y3x1, e, y]) t.dispose();
});

// Saturated sigmoid outputs, z = +-20, +-40, +-110 with either label, one element at a time so
// that a tiny loss is not hidden in a mean. In float32 the sigmoid of 20, 40 and 110 is 1 and of
// -110 is 0. The logits branch keeps every loss and gradient to float32 accuracy (sigmoid(40) - 1
// = -4.2e-18 included); the probability branch clips them all: flat loss, zero gradient.
describe('saturated outputs in both directions', () => {
  const cases = [20, -20, 40, -40, 110, -110].flatMap((z) => [
    [z, 0],
    [z, 1],
  ]);
  // Relative to float32; the absolute part only admits values below float32's normal range.
  const SAT_TOL = { atol: 1e-37, rtol: 2e-6 };

  test.each(cases)('z %d y %d: logits loss and gradient as sigmoid(z) - y', async (z, y) => {
    const [zh, yh] = [Float64Array.of(z), Float64Array.of(y)];
    const got = await run(upload(yh, [1, 1]), upload(zh, [1, 1]), true);
    expectClose([got.loss], [ref.bceFromLogits(zh, yh)], { ...SAT_TOL, label: `z ${z} y ${y} loss` });
    expectClose(got.grad, ref.bceFromLogitsGradExact(zh, yh), { ...SAT_TOL, label: `z ${z} y ${y} dz` });
  });

  test.each(cases)('z %d y %d: probabilities clipped, eps inside the logs, zero gradient', async (z, y) => {
    const ph = Float64Array.of(Math.fround(ref.activate(z, 'sigmoid')));
    const yh = Float64Array.of(y);
    const got = await run(upload(yh, [1]), upload(ph, [1]), false);
    // q + eps near 1 rounds in float32 (TF's too): p = 1, y = 1 costs 0 there, 1.9e-8 in float64.
    expectClose([got.loss], [ref.bceTfProbs(ph, yh)], { atol: 1e-7, rtol: 2e-6, label: `p ${ph[0]} y ${y} loss` });
    expect(got.grad[0]).toBe(0);
  });
});
