// The kernel suite's rounds (bench/kernel_rounds.ts): a case's figures over every round's
// samples, its failure kept, and the wall-time fallback of one round applied to all.
import { expect, test } from 'vitest';
import type { BenchResult } from '../../bench/harness.js';
import { mergeRounds } from '../../bench/kernel_rounds.js';

const round = (samples: number[], extra: Partial<BenchResult> = {}): BenchResult => ({
  name: 'block1_pool/forward',
  group: 'pool',
  shape: 's',
  validated: 'ok',
  timing: 'gpu-timestamps',
  medianMs: NaN,
  minMs: Math.min(...samples),
  gflops: NaN,
  gbps: NaN,
  inner: 1,
  samples,
  wallSamples: samples.map((v) => v + 1),
  flops: 2e6,
  bytes: 4e6,
  ...extra,
});

test('one result of every round: all samples, their median and minimum, rates from the median', () => {
  const m = mergeRounds([round([5, 9, 7]), round([2, 4, 3])]);
  expect(m.samples).toEqual([5, 9, 7, 2, 4, 3]);
  expect(m.medianMs).toBe(4.5);
  expect(m.minMs).toBe(2);
  expect(m.gflops).toBeCloseTo(2e6 / (4.5 * 1e6), 12);
  expect(m.gbps).toBeCloseTo(4e6 / (4.5 * 1e6), 12);
  expect(m.wallSamples).toEqual([6, 10, 8, 3, 5, 4]);
});

test('a failed round fails the case; one round is returned as it is', () => {
  const bad = round([1], { error: 'validation failed at element 3' });
  expect(mergeRounds([round([2]), bad]).error).toBe('validation failed at element 3');
  const one = round([2, 3]);
  expect(mergeRounds([one])).toBe(one);
});

test('a round that fell back to wall time: wall time throughout, and said so', () => {
  const wall = 'wall (the case submits while encoding)';
  const m = mergeRounds([round([1, 2]), round([6, 8], { timing: wall, wallSamples: [6, 8] })]);
  expect(m.timing).toBe(wall);
  expect(m.samples).toEqual([2, 3, 6, 8]);
  expect(m.minMs).toBe(2);
  expect(m.medianMs).toBe(4.5);
});
