// GPU test inputs: fresh seeded random data per run (the seed is printed in every failure
// label; DAWNFLOW_TEST_SEED=N replays a run), rounded to f32 so GPU and reference see the
// same numbers.
import { Tensor } from '../../src/tensor/tensor.js';
import { setting } from '../../src/util/settings.js';
import { f32, uniform } from './random.js';

export const BASE_SEED = setting('DAWNFLOW_TEST_SEED') ?? Math.floor(Math.random() * 1e6);

let counter = 0;

/** A new seed for each call, derived from the run's base seed. */
export function nextSeed(): number {
  return (BASE_SEED * 7919 + ++counter * 104729) >>> 0;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface Pair {
  host: Float64Array;
  t: Tensor;
  seed: number;
}

/** Random values in [lo, hi) as a float64 host copy and a GPU tensor with identical values. */
export function randomPair(shape: readonly number[], lo = -1, hi = 1, seed = nextSeed()): Pair {
  const host = f32(uniform(size(shape), lo, hi, seed));
  return { host, t: Tensor.fromArray(Float32Array.from(host), shape), seed };
}

export function upload(host: Float64Array, shape: readonly number[]): Tensor {
  return Tensor.fromArray(Float32Array.from(host), shape);
}

export async function read64(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}
