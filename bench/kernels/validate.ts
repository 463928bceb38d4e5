// What every kernel case validates with: a seeded sample of output indices, each checked against
// a float64 value with a tolerance that follows float32 rounding.
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/tensor/random.js';

/** Outputs a case checks against float64. */
export const SAMPLES = 256;

/** `count` distinct-ish indices in [0, total), seeded. */
export function sampleIndices(total: number, count: number, seed: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  const r = new Rng(seed);
  return Array.from({ length: count }, () => Math.floor(r.next() * total));
}

/** A float64 value and the sum of |terms| that made it (the scale of its float32 rounding). */
export interface Want {
  value: number;
  absSum: number;
}

/**
 * got[i] against want(i) for sampled i. The tolerance follows float32 summation: 2e-5 of the
 * sum of |terms| (hundreds of times the usual rounding, far below an indexing error) + 1e-5.
 */
export function checkSamples(
  got: ArrayLike<number>,
  idx: number[],
  want: (i: number) => Want,
  what = 'sampled',
): string {
  let worst = 0;
  let worstRatio = 0;
  for (const i of idx) {
    const w = want(i);
    const d = Math.abs(got[i] - w.value);
    const tol = 2e-5 * w.absSum + 1e-5;
    if (!(d <= tol)) {
      const by = `|d| ${d.toExponential(2)} > tol ${tol.toExponential(2)}`;
      throw new Error(`validation failed at element ${i}: got ${got[i]}, float64 ${w.value} (${by})`);
    }
    worst = Math.max(worst, d);
    worstRatio = Math.max(worstRatio, d / tol);
  }
  const share = `${(100 * worstRatio).toFixed(0)}% of tol`;
  return `max |d| ${worst.toExponential(2)} (${share}) over ${idx.length} ${what} values`;
}

export async function readAndDispose(t: Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

/**
 * A case's `run` and `validate` when one launch `go` returns its output: run discards it, and
 * validate reads it and checks a seeded sample of its elements against `want`.
 */
export function sampledRun(
  go: () => Tensor,
  seed: number,
  want: (i: number) => Want,
): { run: () => void; validate: () => Promise<string> } {
  return {
    run: () => go().dispose(),
    validate: async () => {
      const got = await readAndDispose(go());
      return checkSamples(got, sampleIndices(got.length, SAMPLES, seed), want);
    },
  };
}
