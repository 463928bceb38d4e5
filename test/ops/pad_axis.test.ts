// Zero-padding and cropping of one axis against plain loops: every axis of a rank-4 tensor,
// odd sizes, padding by 1 and by many, cropping, a padded entry of ones, and bad sizes refused.
import { expect, test } from 'vitest';
import { padAxisRaw } from '../../src/kernels/pad_axis.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64 } from '../helpers/tensors.js';

useGpu();

function padRef(x: Float64Array, shape: number[], axis: number, size: number): Float64Array {
  const A = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const B = shape[axis];
  const C = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const y = new Float64Array(A * size * C);
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C && b < size; c++) y[(a * size + b) * C + c] = x[(a * B + b) * C + c];
    }
  }
  return y;
}

const CASES: [number[], number, number][] = [
  [[2, 5, 7, 3], 3, 4],
  [[3, 3, 3, 64], 2, 4],
  [[1, 1, 1, 1], 0, 3],
  [[4, 9, 1, 5], 1, 16],
  [[3, 3, 8, 64], 2, 3],
  [[2, 5, 5, 4], 3, 3],
];

test.each(CASES)('pad %j axis %i to %i', async (shape, axis, size) => {
  const x = randomPair(shape);
  const y = padAxisRaw(x.t, axis, size);
  const want = shape.slice();
  want[axis] = size;
  expect(y.shape).toEqual(want);
  expectClose(await read64(y), padRef(x.host, shape, axis, size), { atol: 0, rtol: 0, label: `seed ${x.seed}` });
  x.t.dispose();
  y.dispose();
});

test('a padded entry of ones (the RGB weight gradient sums dz into the bias gradient there)', async () => {
  const shape = [2, 5, 7, 3];
  const x = randomPair(shape);
  const y = padAxisRaw(x.t, 3, 8, 3);
  const want = padRef(x.host, shape, 3, 8);
  for (let i = 3; i < want.length; i += 8) want[i] = 1;
  expectClose(await read64(y), want, { atol: 0, rtol: 0, label: `seed ${x.seed}` });
  x.t.dispose();
  y.dispose();
});

test('pad refuses a size that is not a positive integer', () => {
  const x = randomPair([2, 3]);
  expect(() => padAxisRaw(x.t, 1, 0)).toThrow(/to 0 entries/);
  expect(() => padAxisRaw(x.t, 1, 2.5)).toThrow(/to 2.5 entries/);
  x.t.dispose();
});
