// Sum and mean on the GPU against the float64 reference: all axes and axis subsets (adjacent,
// non-adjacent, negative, unsorted, keepDims), long reductions that take the multi-pass chunked
// path, the gradients of both, and sumTo (the adjoint of broadcasting).
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { mul } from '../../src/ops/elementwise.js';
import { mean, sum } from '../../src/ops/reduce.js';
import { sumTo } from '../../src/kernels/reduce.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64, size } from '../helpers/tensors.js';

useGpu();

// Up to a few hundred f32 terms per output cell.
const TOL = { atol: 1e-5, rtol: 1e-5 };

const normalise = (axes: number[] | undefined, rank: number): number[] =>
  axes === undefined ? [...Array(rank).keys()] : axes.map((a) => (a < 0 ? a + rank : a));

/** x's shape with every reduced axis set to 1. */
const keptShape = (shape: number[], axes: number[]): number[] => shape.map((d, i) => (axes.includes(i) ? 1 : d));

/** r of the kept shape copied back out to `shape` (adding zeros is exact). */
function spread(r: Float64Array, kept: number[], shape: number[]): Float64Array {
  return ref.broadcastBinary('add', new Float64Array(size(shape)), shape, r, kept).y;
}

const CASES: [number[], number[] | undefined][] = [
  [[2, 3, 4], undefined],
  [[2, 3, 4], [0]],
  [[2, 3, 4], [1]],
  [[2, 3, 4], [2]],
  [
    [2, 3, 4],
    [0, 1],
  ],
  [
    [2, 3, 4],
    [1, 2],
  ],
  [
    [2, 3, 4],
    [0, 2],
  ],
  [[2, 3, 4], [-1]],
  [
    [2, 3, 4],
    [-3, -1],
  ],
  [
    [2, 3, 4],
    [2, 0],
  ],
  [
    [2, 3, 4],
    [0, 1, 2],
  ],
  [
    [3, 4, 5, 6],
    [0, 2],
  ],
  [
    [3, 4, 5, 6],
    [1, 3],
  ],
  [
    [3, 4, 5, 6],
    [0, 1, 3],
  ],
  [[3, 4, 5, 6], [-2]],
  [
    [3, 4, 5, 6],
    [1, 2],
  ],
  [[5, 1, 7], [1]],
  [
    [5, 1, 7],
    [0, 2],
  ],
  [[37], undefined],
  [[1], [0]],
  [[9, 300], [1]],
  [[300, 9], [0]],
];

describe.each([
  ['sum', sum, ref.sum],
  ['mean', mean, ref.mean],
] as const)('%s', (name, op, refOp) => {
  test.each(
    CASES.flatMap(
      ([s, a]) =>
        [
          [s, a, false],
          [s, a, true],
        ] as const,
    ),
  )('x=%j axes=%j keepDims=%s: forward and gradient', async (shape, axes, keepDims) => {
    const x = randomPair(shape);
    const list = normalise(axes, shape.length);
    const kept = keptShape(shape, list);
    const want = refOp(x.host, shape, axes);
    const outShape = keepDims ? kept : want.shape;
    const r = randomPair(outShape);
    const label = `${name} seeds ${x.seed},${r.seed} x=[${shape}] axes=${axes} keepDims=${keepDims}`;
    x.t.requiresGrad = true;
    const y = tidy(() => {
      const y = op(x.t, axes, keepDims);
      backward(sum(mul(y, r.t)));
      return y;
    });
    expect(y.shape).toEqual(outShape);
    expectClose(await read64(y), want.y, { ...TOL, label: `${label} y` });
    // L = sum(y * r): every x cell gets the r of the cell it was reduced into (/count for mean).
    const count = size(shape) / size(want.shape);
    const dx = spread(r.host, kept, shape).map((v) => (name === 'mean' ? v / count : v));
    expectClose(await read64(x.t.grad!), dx, { ...TOL, label: `${label} dx` });
    for (const t of [x.t, r.t, y, x.t.grad!]) t.dispose();
  });
});

// Values in [0, 1) so the long sums are well conditioned and rtol alone is meaningful; chunks of
// 256 bound each serial f32 sum, and 1e-4 leaves room for the three levels of rounding.
describe('long reductions (multi-pass chunked path)', () => {
  const LONG = { atol: 0, rtol: 1e-4 };

  test.each([
    [[200_003], undefined, 3],
    [[2, 100_003], [1], 3],
    [[100_003, 2], [0], 3],
    [[70_001, 3], undefined, 3],
  ] as [number[], number[] | undefined, number][])(
    'x=%j axes=%j: sum and mean in %i passes',
    async (shape, axes, passes) => {
      const x = randomPair(shape, 0, 1);
      const label = `seed ${x.seed} x=[${shape}] axes=${axes}`;
      dispatcher().resetCounts();
      const s = sum(x.t, axes);
      // 200,003 rows -> 782 chunk sums -> 4 -> 1: three launches of the reduce kernel.
      expect(dispatcher().counts.get('reduce_sum')).toBe(passes);
      const m = mean(x.t, axes);
      expectClose(await read64(s), ref.sum(x.host, shape, axes).y, { ...LONG, label: `${label} sum` });
      expectClose(await read64(m), ref.mean(x.host, shape, axes).y, { ...LONG, label: `${label} mean` });
      for (const t of [x.t, s, m]) t.dispose();
    },
  );

  test('gradient of a long mean is 1/n everywhere', async () => {
    const n = 200_003;
    const x = randomPair([n]);
    x.t.requiresGrad = true;
    backward(mean(x.t));
    const want = new Float64Array(n).fill(1 / n);
    expectClose(await read64(x.t.grad!), want, { atol: 0, rtol: 1e-6, label: `seed ${x.seed}` });
    x.t.grad!.dispose();
    x.t.dispose();
  });
});

describe('sumTo', () => {
  test.each([
    [
      [2, 3, 4],
      [3, 1],
    ],
    [[2, 3, 4], [4]],
    [[2, 3, 4], []],
    [
      [2, 3, 4],
      [2, 1, 4],
    ],
    [
      [2, 3, 4],
      [1, 3, 1],
    ],
    [
      [2, 3, 4],
      [2, 3, 4],
    ],
    [
      [5, 1, 7],
      [1, 7],
    ],
    [
      [4, 75, 3],
      [75, 1],
    ],
    [[37], [1]],
  ] as [number[], number[]][])('%j -> %j', async (gs, shape) => {
    const g = randomPair(gs);
    const y = sumTo(g.t, shape);
    expect(y.shape).toEqual(shape);
    const label = `seed ${g.seed} [${gs}] -> [${shape}]`;
    expectClose(await read64(y), ref.sumTo(g.host, gs, shape), { ...TOL, label });
    g.t.dispose();
    y.dispose();
  });
});

test('reducing no axis (sum(x, []), a rank-0 x, sumTo the same shape) copies and leaks nothing', async () => {
  const pool = dispatcher().pool;
  const x = randomPair([2, 3]);
  const s = randomPair([]);
  const before = pool.snapshot().bytesInUse;
  const outs = [sum(x.t, []), mean(x.t, [], true), sumTo(x.t, [2, 3]), sum(s.t), mean(s.t)];
  expect(outs.map((t) => t.shape)).toEqual([[2, 3], [2, 3], [2, 3], [], []]);
  const exact = { atol: 0, rtol: 0, label: `seeds ${x.seed},${s.seed}` };
  for (const t of outs.slice(0, 3)) expectClose(await read64(t), x.host, exact);
  for (const t of outs.slice(3)) expectClose(await read64(t), s.host, exact);
  for (const t of outs) t.dispose();
  expect(pool.snapshot().bytesInUse).toBe(before);
  x.t.dispose();
  s.t.dispose();
});

test('bad axes and impossible sumTo throw', () => {
  const x = randomPair([2, 3]).t;
  expect(() => sum(x, [2])).toThrow(/axis 2 out of range for rank 2/);
  expect(() => mean(x, [-3])).toThrow(/out of range/);
  expect(() => sumTo(x, [4, 2, 3])).toThrow(/cannot sum/);
  x.dispose();
});
