// Every pooling kind of src/kernels/pool.ts (POOLS) on the GPU against its float64 reference:
// forward and backward on awkward shapes, overlapping windows (stride < pool), 'same' padding,
// odd sizes, batch 1, C a multiple of 4 or not (the windowed kernels' vec4 and f32 paths). Then MaxPooling2D's tie and padding rules, the
// forward under noGrad, and the shape errors.
import { describe, expect, test } from 'vitest';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { maxPool2d, pool2d, pool2dGeometry } from '../../src/ops/maxpool2d.js';
import { POOLS, type PoolKind } from '../../src/kernels/pool.js';
import { windowed } from '../../src/kernels/pool_window.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import type { Padding } from '../../src/tensor/shape.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { nextSeed, randomPair, read64, size, upload } from '../helpers/tensors.js';
import { mulberry32 } from '../helpers/random.js';
import * as ref from '../../src/cpu/reference.js';
import { memory } from '../../src/gpu/engine.js';

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
  // Non-overlapping windows (the windowed kernels): vec4 with odd H and W, 'same' that pads
  // nothing, a 3x3 window, C = 6 (f32 path). Runs of two vectors per invocation where the
  // vectors pair up (C = 8, 24; C = 2, 6 on the f32 path), one where they do not (C = 4, 12, 5).
  { x: [1, 9, 7, 8], pool: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [3, 7, 9, 24], pool: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [2, 5, 3, 2], pool: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [2, 6, 8, 12], pool: [2, 2], s: [2, 2], pad: 'same' },
  { x: [1, 7, 10, 4], pool: [3, 3], s: [3, 3], pad: 'valid' },
  { x: [3, 5, 5, 6], pool: [2, 2], s: [2, 2], pad: 'valid' },
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

  test.each([{ C: 4 }, { C: 1 }] as const)(
    'windowed kernels (C=$C): ties go to the first cell in row-major order',
    async ({ C }) => {
      // Per 2x2 window (one channel each of 4): all equal; the second row ties; the right column ties; one winner.
      const win = [
        [3, 3, 3, 3],
        [1, 2, 5, 5],
        [0, 7, 0, 7],
        [1, 1, 9, 1],
      ];
      const host = new Float64Array(4 * 4 * C);
      for (let c = 0; c < C; c++) {
        win[c].forEach((v, k) => {
          host[(Math.floor(k / 2) * 4 + (k % 2)) * C + c] = v;
        });
      }
      const shape = [1, 4, 4, C];
      const x = upload(host, shape);
      x.requiresGrad = true;
      expect(windowed(pool2dGeometry(shape, { poolSize: 2 }))).toBe(true);
      const y = maxPool2d(x, { poolSize: 2 });
      backward(sum(y));
      const dx = ref.maxPool2dBackward(
        host,
        shape,
        Float64Array.from({ length: y.size }, () => 1),
        [2, 2],
        [2, 2],
        'valid',
      );
      expect(Array.from(await x.grad!.data())).toEqual(Array.from(dx));
      for (const t of [x, y, x.grad!]) t.dispose();
    },
  );

  test('under noGrad the forward writes y alone, the same y', async () => {
    for (const shape of [
      [2, 8, 6, 8],
      [1, 5, 5, 3],
      [1, 5, 5, 4],
    ]) {
      const host = distinct(shape, nextSeed());
      const x = upload(host, shape);
      const before = memory().bytesInUse;
      const y = noGrad(() => maxPool2d(x, { poolSize: 2, padding: 'same' }));
      // Only y's buffer stays: no argmax was kept.
      expect(memory().bytesInUse - before).toBeLessThanOrEqual(y.size * 4 * 1.25 + 256);
      const want = ref.maxPool2dForward(host, shape, [2, 2], [2, 2], 'same').y;
      expect(Array.from(await read64(y))).toEqual(Array.from(want));
      x.dispose();
      y.dispose();
    }
  });

  test('shape errors name the shapes', () => {
    expect(() => pool2dGeometry([1, 1, 1, 3], { poolSize: 2 })).toThrow(/does not fit/);
    expect(() => pool2dGeometry([4, 4, 3])).toThrow(/NHWC/);
  });
});
