// The relu mask fused into the max pool after a relu layer (src/ops/relu_mask.ts): the pool's
// forward gives a window whose max is not positive no winner, and the conv's backward then skips
// its relu' pass. The gradients must equal, value for value, those of the same net with relu as a
// separate op (which the pool does not fuse): on the RGB patch path and the direct/Winograd path,
// windows that are wholly non-positive (a negative bias), odd sizes, a conv output used twice
// (its gradients summed: relu' is then applied), and overlapping windows (the general pool
// kernel, never fused).
import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import type { Activation } from '../../src/kernels/activation.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { add, mul, relu } from '../../src/ops/elementwise.js';
import { maxPool2d } from '../../src/ops/maxpool2d.js';
import { sum } from '../../src/ops/reduce.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tidy } from '../../src/tensor/scope.js';
import { openGpu } from '../helpers/gpu.js';
import { randomPair } from '../helpers/tensors.js';

await openGpu();

interface Case {
  x: number[];
  co: number;
  /** Overlapping 3x3 windows at stride 2: the general pool kernel, which does not fuse. */
  overlap: boolean;
  /** The conv output also feeds the loss directly. */
  twice: boolean;
}

const CASES: Case[] = [
  { x: [2, 11, 13, 3], co: 8, overlap: false, twice: false }, // RGB: the patch path
  { x: [2, 10, 12, 8], co: 8, overlap: false, twice: false },
  { x: [1, 9, 9, 4], co: 12, overlap: false, twice: false }, // the last row and column dropped
  { x: [2, 10, 12, 8], co: 8, overlap: false, twice: true },
  { x: [2, 10, 12, 8], co: 8, overlap: true, twice: false },
];

/** The loss's gradients w.r.t. x, w and b, and the relu' passes its backward ran. */
async function grads(c: Case, x: Tensor, w: Tensor, b: Tensor, r: Tensor, q: Tensor, fused: boolean) {
  for (const t of [x, w, b]) t.grad = null;
  let masks = 0;
  tidy(() => {
    const act: Activation = fused ? 'relu' : 'linear';
    const z = conv2d(x, w, b, { activation: act });
    const y = fused ? z : relu(z);
    const pooled = maxPool2d(y, c.overlap ? { poolSize: 3, strides: 2 } : { poolSize: 2 });
    const l = sum(mul(pooled, r));
    const loss = c.twice ? add(l, sum(mul(y, q))) : l;
    dispatcher().resetCounts();
    backward(loss);
    masks = dispatcher().counts.get('binary') ?? 0;
  });
  const out = await Promise.all([x, w, b].map(async (t) => Float32Array.from(await t.grad!.data())));
  for (const t of [x, w, b]) t.grad!.dispose();
  return { out, masks };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('relu fused into the max pool that follows', () => {
  test.each(CASES)('x=$x co=$co overlap=$overlap twice=$twice: the gradients of relu as an op', async (c) => {
    const x = randomPair(c.x);
    const w = randomPair([3, 3, c.x[3], c.co], -0.3, 0.3);
    // Half the channels' biases push whole windows below zero.
    const b = randomPair([c.co], -0.8, 0.2);
    const OH = c.x[1] - 2;
    const OW = c.x[2] - 2;
    const P = (n: number) => (c.overlap ? ((n - 3) >> 1) + 1 : n >> 1);
    const r = randomPair([c.x[0], P(OH), P(OW), c.co]);
    const q = randomPair([c.x[0], OH, OW, c.co]);
    for (const p of [x, w, b]) p.t.requiresGrad = true;
    const label = `seeds ${x.seed},${w.seed},${b.seed},${r.seed},${q.seed}`;
    const want = await grads(c, x.t, w.t, b.t, r.t, q.t, false);
    const got = await grads(c, x.t, w.t, b.t, r.t, q.t, true);
    ['dx', 'dw', 'db'].forEach((name, i) => {
      expect(maxDiff(got.out[i], want.out[i]), `${name} ${label}`).toBe(0);
    });
    // Some gradient flows, and some windows were dropped by the mask (both would hide a bug).
    expect(
      got.out[1].some((v) => v !== 0),
      label,
    ).toBe(true);
    // The op path runs relu' as a binary; the fused one only where the conv output's gradient is a sum.
    const fuses = !c.overlap && !c.twice;
    expect(want.masks - got.masks, label).toBe(fuses ? 1 : 0);
    for (const p of [x, w, b, r, q]) p.t.dispose();
  });
});
