// Every pooling kind of src/kernels/pool.ts (POOLS) on the GPU against its float64 reference:
// forward and backward on awkward shapes, overlapping windows (stride < pool), 'same' padding,
// odd sizes, batch 1. Then MaxPooling2D's tie and padding rules and the shape errors.
import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { maxPool2d, pool2d, pool2dGeometry } from '../../src/ops/maxpool2d.js';
import { POOLS, type PoolKind } from '../../src/kernels/pool.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import type { Padding } from '../../src/tensor/shape.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { nextSeed, randomPair, read64, size, upload } from '../helpers/tensors.js';
import { mulberry32 } from '../helpers/random.js';

useGpu();

/** Distinct values (a shuffled grid, 0.01 apart) so every window has one clear maximum. */
function distinct(shape: number[], seed: number): Float64Array {
  const n = size(shape);
  const v = Float64Array.from({ length: n }, (_, i) => (i - n / 2) * 0.01);
  const rnd = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v.map((x) => Math.fround(x));
}

interface Case {
  x: number[];
  pool: [number, number];
  s: [number, number];
  pad: Padding;
}
const CASES: Case[] = [
  { x: [1, 150, 150, 3], pool: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [2, 75, 75, 5], pool: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [1, 9, 7, 64], pool: [3, 3], s: [2, 2], pad: 'same' },
  { x: [3, 6, 7, 3], pool: [2, 2], s: [1, 1], pad: 'same' },
  { x: [1, 1, 1, 5], pool: [1, 1], s: [1, 1], pad: 'valid' },
  { x: [2, 37, 37, 3], pool: [3, 2], s: [2, 1], pad: 'valid' },
  { x: [1, 3, 3, 1], pool: [2, 2], s: [2, 2], pad: 'same' },
];

describe.each(Object.keys(POOLS) as PoolKind[])('%s pooling', (kind) => {
  const rec = POOLS[kind];
  test.each(CASES)('x=$x pool=$pool s=$s $pad', async (c) => {
    const seed = nextSeed();
    const host = distinct(c.x, seed);
    const x = upload(host, c.x);
    x.requiresGrad = true;
    const g = pool2dGeometry(c.x, { poolSize: c.pool, strides: c.s, padding: c.pad });
    const r = randomPair([g.batch, g.OH, g.OW, g.C]);
    const label = `${kind} seeds ${seed},${r.seed} x=[${c.x}] pool=${c.pool} s=${c.s} ${c.pad}`;
    const y = tidy(() => {
      const y = pool2d(kind, x, { poolSize: c.pool, strides: c.s, padding: c.pad });
      backward(sum(mul(y, r.t)));
      return y;
    });
    const want = rec.ref.forward(host, c.x, c.pool, c.s, c.pad);
    expect(y.shape).toEqual(want.shape);
    // Exact for max pooling; a kind that sums its window rounds at the scale of the inputs (up to
    // a few hundred here), far below the 0.01 between distinct values that an indexing error shows.
    const scale = host.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expectClose(await read64(y), want.y, { atol: 1e-6 * scale, rtol: 1e-6, label: `${label} y` });
    const dx = rec.ref.backward(host, c.x, r.host, c.pool, c.s, c.pad);
    expectClose(await read64(x.grad!), dx, { atol: 1e-6, rtol: 1e-6, label: `${label} dx` });
    for (const t of [x, r.t, y, x.grad!]) t.dispose();
  });
});

describe('maxPool2d', () => {
  test('ties go to the first cell of the window, padding never wins', async () => {
    const x = upload(Float64Array.from([-5, -5, -5, -5, -1, -2, -3, -4, -9]), [1, 3, 3, 1]);
    x.requiresGrad = true;
    const y = maxPool2d(x, { poolSize: 2, padding: 'same' });
    expect(Array.from(await y.data())).toEqual([-1, -2, -3, -9]);
    backward(sum(y));
    expect(Array.from(await x.grad!.data())).toEqual([0, 0, 0, 0, 1, 1, 1, 0, 1]);
  });

  test('shape errors name the shapes', () => {
    expect(() => pool2dGeometry([1, 1, 1, 3], { poolSize: 2 })).toThrow(/does not fit/);
    expect(() => pool2dGeometry([4, 4, 3])).toThrow(/NHWC/);
  });
});
