// Reshape and Flatten: shapes (with -1), Keras's NHWC flatten order (h*W + w)*C + c, gradients
// back in the original shape, and clear errors that leave the input intact.
import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { flatten, reshape } from '../../src/ops/reshape.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64, upload } from '../helpers/tensors.js';

useGpu();

const EXACT = { atol: 0, rtol: 0 };

describe('reshape', () => {
  test.each([
    [
      [2, 3, 4],
      [-1, 4],
      [6, 4],
    ],
    [
      [2, 3, 4],
      [4, -1],
      [4, 6],
    ],
    [[2, 3, 4], [-1], [24]],
    [
      [2, 3, 4],
      [2, -1, 2],
      [2, 6, 2],
    ],
    [[24], [2, 3, 4], [2, 3, 4]],
    [[1], [], []],
    [[], [1, 1, -1], [1, 1, 1]],
    [[37], [37, 1], [37, 1]],
  ] as [number[], number[], number[]][])('%j -> %j gives %j; gradient in the input shape', async (xs, to, want) => {
    const x = randomPair(xs);
    const r = randomPair(want);
    const label = `seeds ${x.seed},${r.seed} [${xs}] -> [${to}]`;
    x.t.requiresGrad = true;
    const y = tidy(() => {
      const y = reshape(x.t, to);
      backward(sum(mul(y, r.t)));
      return y;
    });
    expect(y.shape).toEqual(want);
    expectClose(await read64(y), x.host, { ...EXACT, label: `${label} y` });
    expect(x.t.grad!.shape).toEqual(xs);
    expectClose(await read64(x.t.grad!), r.host, { ...EXACT, label: `${label} dx` });
    for (const t of [x.t, r.t, y, x.t.grad!]) t.dispose();
  });

  test.each([
    [[2, 3], [4, 2], /cannot view/],
    [[2, 3], [-1, -1], /cannot reshape/],
    [[2, 3], [-1, 4], /cannot reshape/],
    [[2, 3], [0, -1], /cannot reshape/],
    [[2, 3], [-2, -3], /bad shape/],
    [[2, 3], [2.5, 2.4], /bad shape/],
  ] as [number[], number[], RegExp][])('%j -> %j throws and leaves x intact', async (xs, to, msg) => {
    const pool = dispatcher().pool;
    const before = pool.snapshot().bytesInUse;
    const x = randomPair(xs);
    expect(() => reshape(x.t, to)).toThrow(msg);
    expectClose(await read64(x.t), x.host, { ...EXACT, label: `seed ${x.seed}` });
    // A failed reshape must not hold a reference to x's storage: disposing x frees it.
    x.t.dispose();
    expect(pool.snapshot().bytesInUse).toBe(before);
  });
});

describe('flatten', () => {
  const SHAPES = [
    [2, 3, 4, 5],
    [1, 1, 1, 1],
    [3, 7, 5, 2],
  ];
  test.each(SHAPES)('NHWC [%i,%i,%i,%i]: flat index (h*W + w)*C + c', async (N, H, W, C) => {
    const x = randomPair([N, H, W, C]);
    const r = randomPair([N, H * W * C]);
    const label = `seeds ${x.seed},${r.seed} [${N},${H},${W},${C}]`;
    x.t.requiresGrad = true;
    const y = tidy(() => {
      const y = flatten(x.t);
      backward(sum(mul(y, r.t)));
      return y;
    });
    expect(y.shape).toEqual([N, H * W * C]);
    // Built from the NHWC multi-index, not from the flat buffer, so the order is what is checked.
    const want = new Float64Array(N * H * W * C);
    const dx = new Float64Array(N * H * W * C);
    for (let n = 0; n < N; n++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          for (let c = 0; c < C; c++) {
            const src = ((n * H + h) * W + w) * C + c;
            const dst = n * H * W * C + (h * W + w) * C + c;
            want[dst] = x.host[src];
            dx[src] = r.host[dst];
          }
        }
    expectClose(await read64(y), want, { ...EXACT, label: `${label} y` });
    expect(x.t.grad!.shape).toEqual([N, H, W, C]);
    expectClose(await read64(x.t.grad!), dx, { ...EXACT, label: `${label} dx` });
    for (const t of [x.t, r.t, y, x.t.grad!]) t.dispose();
  });

  test('a 1-D batch flattens to [N, 1]; a scalar has no batch axis', () => {
    const v = upload(Float64Array.of(1, 2, 3), [3]);
    expect(flatten(v).shape).toEqual([3, 1]);
    const s = upload(Float64Array.of(1), []);
    expect(() => flatten(s)).toThrow(/needs a batch axis/);
  });
});
