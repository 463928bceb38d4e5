// The sum of a split GEMM's slices with its epilogue (src/kernels/gemm_split_sum.ts): against
// float64, and bit for bit against the three kernels it replaces (the slice sum, the bias add,
// the activation), which do the same additions in the same order. Awkward sizes: one slice row,
// N not a multiple of 4, more slices than rows.
import { describe, expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import type { Activation } from '../../src/kernels/activation.js';
import { binaryRaw, unaryRaw } from '../../src/kernels/elementwise.js';
import { splitSum } from '../../src/kernels/gemm_split_sum.js';
import { reduceMiddle } from '../../src/kernels/reduce.js';
import { reshapeOwned, type Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64 } from '../helpers/tensors.js';

useGpu();

const CASES: { S: number; M: number; N: number; bias: boolean; act: Activation }[] = [
  { S: 2, M: 4, N: 16, bias: true, act: 'relu' },
  { S: 5, M: 7, N: 13, bias: true, act: 'sigmoid' },
  { S: 13, M: 1, N: 1, bias: false, act: 'linear' },
  { S: 16, M: 3, N: 256, bias: true, act: 'linear' },
  { S: 29, M: 27, N: 8, bias: false, act: 'relu' },
];

const activate = (v: number, act: Activation) =>
  act === 'relu' ? Math.max(v, 0) : act === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v;

/** The three launches the split sum replaces: the slices summed, the bias added, the activation. */
function unfused(part: Tensor, c: (typeof CASES)[number], bias: Tensor | null): Tensor {
  let y = reshapeOwned(reduceMiddle(part, 1, c.S, c.M * c.N), [c.M, c.N]);
  if (bias) {
    const z = binaryRaw('add', y, bias);
    y.dispose();
    y = z;
  }
  if (c.act === 'linear') return y;
  const z = unaryRaw(c.act, y);
  y.dispose();
  return z;
}

describe('the split-K sum with the epilogue', () => {
  test.each(CASES)('S=$S M=$M N=$N bias=$bias $act: float64, and the unfused kernels bit for bit', async (c) => {
    const part = randomPair([c.S * c.M, c.N], -2, 2);
    const bias = c.bias ? randomPair([c.N], -1, 1) : null;
    const label = `seeds ${part.seed},${bias?.seed}`;
    dispatcher().resetCounts();
    const got = splitSum(part.t, c.S, c.M, c.N, bias?.t ?? null, c.act);
    expect(dispatcher().counts.get('gemm_split_sum'), label).toBe(1);
    expect(dispatcher().counts.size, label).toBe(1);
    const want = new Float64Array(c.M * c.N).map((_, i) => {
      let v = 0;
      for (let s = 0; s < c.S; s++) v += part.host[s * c.M * c.N + i];
      return activate(v + (bias ? bias.host[i % c.N] : 0), c.act);
    });
    const gotHost = await read64(got);
    expectClose(gotHost, want, { rtol: 1e-5, atol: 1e-5 * c.S, label });
    const old = unfused(part.t, c, bias?.t ?? null);
    expect(Buffer.from((await old.data()).buffer), label).toEqual(Buffer.from((await got.data()).buffer));
    for (const t of [part.t, bias?.t, got, old]) t?.dispose();
  });
});
