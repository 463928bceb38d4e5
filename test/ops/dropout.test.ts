// Inverted dropout on the GPU: in training every output is 0 or x / (1 - rate), the kept fraction
// matches 1 - rate, the seed fixes the mask, and dx = dy * mask (vs ref.dropoutBackward with the
// keep pattern read back from the forward output); at inference, or with rate 0, x itself.
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { dropout } from '../../src/ops/dropout.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { nextSeed, randomPair, read64, upload } from '../helpers/tensors.js';

useGpu();

/** Values with |x| in [0.5, 2), random sign: never 0, so a 0 output always means dropped. */
function nonZero(n: number): { host: Float64Array; seed: number } {
  const p = randomPair([n], 0.5, 2);
  p.t.dispose();
  const host = p.host.map((v, i) => (i % 3 === 1 ? -v : v));
  return { host, seed: p.seed };
}

const keepOf = (y: Float64Array): Float64Array => y.map((v) => (v === 0 ? 0 : 1));

const N = 200_000;

describe.each([0.1, 0.5, 0.8])('rate %d, training', (rate) => {
  test(`${N} elements: outputs are 0 or x/(1-rate), kept fraction ~ 1-rate, dx = dy * mask`, async () => {
    const x = nonZero(N);
    const xt = upload(x.host, [N]);
    const r = randomPair([N]);
    const maskSeed = nextSeed();
    const label = `rate ${rate} seeds ${x.seed},${r.seed} mask seed ${maskSeed} n=${N}`;
    xt.requiresGrad = true;
    const y = tidy(() => {
      const y = dropout(xt, rate, { training: true, seed: maskSeed });
      backward(sum(mul(y, r.t)));
      return y;
    });
    expect(y.shape).toEqual([N]);
    const got = await read64(y);
    const keep = keepOf(got);
    // Kept cells must equal x / (1 - rate) to f32 rounding (one product by the f32 scale).
    expectClose(got, ref.dropoutForward(x.host, keep, rate), { atol: 0, rtol: 3e-7, label: `${label} y` });
    // Binomial: the std of the fraction is below 0.0012 here, so 0.01 is a > 8 sigma bound.
    const kept = keep.reduce((a, b) => a + b, 0) / N;
    expect(Math.abs(kept - (1 - rate)), `${label}: kept fraction ${kept}`).toBeLessThan(0.01);
    const dx = ref.dropoutBackward(r.host, keep, rate);
    expectClose(await read64(xt.grad!), dx, { atol: 0, rtol: 3e-7, label: `${label} dx` });
    for (const t of [xt, r.t, y, xt.grad!]) t.dispose();
  });
});

test('the same seed gives the same mask, another seed (or none) a different one', async () => {
  const x = nonZero(4096);
  const xt = upload(x.host, [4096]);
  const s = nextSeed();
  const label = `seed ${x.seed} mask seed ${s}`;
  const pattern = async (seed?: number): Promise<string> => {
    const y = dropout(xt, 0.5, { training: true, seed });
    const k = keepOf(await read64(y)).join('');
    y.dispose();
    return k;
  };
  const a = await pattern(s);
  expect(await pattern(s), label).toBe(a);
  expect(await pattern(s + 1), label).not.toBe(a);
  // Without a seed each call draws a fresh one from the global generator.
  expect(await pattern(), label).not.toBe(await pattern());
  xt.dispose();
});

test('training = false returns the input tensor itself, as does rate 0', () => {
  const x = randomPair([3, 5]).t;
  x.requiresGrad = true;
  expect(dropout(x, 0.5, { training: false })).toBe(x);
  expect(dropout(x, 0, { training: true })).toBe(x);
  expect(dropout(x, 0, { training: false, seed: 3 })).toBe(x);
  x.dispose();
});

test('rate outside [0, 1) throws, in training and at inference', () => {
  const x = randomPair([4]).t;
  for (const rate of [1, 1.5, -0.1, NaN]) {
    for (const training of [true, false]) {
      expect(() => dropout(x, rate, { training }), `rate ${rate}`).toThrow(/rate must be in \[0, 1\)/);
    }
  }
  x.dispose();
});

test('without a gradient to record, the mask is freed with the forward pass', () => {
  const x = randomPair([1000]).t;
  const before = dispatcher().pool.snapshot().bytesInUse;
  const y = dropout(x, 0.3, { training: true, seed: 1 });
  y.dispose();
  expect(dispatcher().pool.snapshot().bytesInUse).toBe(before);
  x.dispose();
});
