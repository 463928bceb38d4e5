// Softmax over the last axis on the GPU against a float64 softmax, forward and backward
// (including a large logit, where a naive exp overflows), and the accuracy op of training.
import { expect, test } from 'vitest';
import { softmax } from '../../src/ops/softmax.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { backward } from '../../src/autograd/tape.js';
import { binaryAccuracy } from '../../src/nn/metrics.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64 } from '../helpers/tensors.js';

useGpu();

function softmax64(x: Float64Array, c: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / c; r++) {
    const row = x.subarray(r * c, (r + 1) * c);
    const m = Math.max(...row);
    const e = Array.from(row, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => (y[r * c + i] = v / s));
  }
  return y;
}

test.each([[[1, 1]], [[3, 5]], [[7, 1000]], [[2, 3, 37]]])(
  'softmax %j: forward and backward vs float64',
  async (shape) => {
    const x = randomPair(shape, -3, 3);
    const r = randomPair(shape);
    x.t.requiresGrad = true;
    const c = shape[shape.length - 1];
    const y = softmax(x.t);
    backward(sum(mul(y, r.t)));
    const want = softmax64(x.host, c);
    expectClose(await read64(y), want, { atol: 1e-6, rtol: 1e-5, label: `seed ${x.seed} ${shape}` });
    // dL/dx = y * (r - sum(r * y)) per row.
    const dx = new Float64Array(want.length);
    for (let row = 0; row < want.length / c; row++) {
      let dot = 0;
      for (let i = 0; i < c; i++) dot += want[row * c + i] * r.host[row * c + i];
      for (let i = 0; i < c; i++) dx[row * c + i] = want[row * c + i] * (r.host[row * c + i] - dot);
    }
    expectClose(await read64(x.t.grad!), dx, { atol: 1e-6, rtol: 1e-4, label: `seed ${x.seed},${r.seed} ${shape} dx` });
  },
);

test('a logit of 90 does not overflow', async () => {
  const y = softmax(Tensor.fromArray([90, 0, -90], [1, 3]));
  expectClose(await read64(y), [1, Math.exp(-90), Math.exp(-180)], { atol: 1e-7, rtol: 1e-5 });
});

test('binary accuracy: round-half-even, so p = 0.5 counts as class 0', async () => {
  const y = Tensor.fromArray([0, 1, 0, 1, 1], [5, 1]);
  const p = Tensor.fromArray([0.5, 0.5, 0.49, 0.51, 0.99], [5, 1]);
  // round(p) = [0, 0, 0, 1, 1] against [0, 1, 0, 1, 1]: the second p = 0.5 misses class 1.
  expect(await binaryAccuracy(y, p).item()).toBeCloseTo(4 / 5, 6);
});
