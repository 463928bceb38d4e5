// Elementwise closeness with a failure message worth reading: label (seed, shape), worst
// difference, how many cells are off, and the first few of them.

// Difference of one pair: identical values (also equal infinities) count 0, NaN on either side
// counts Infinity, so a NaN can never hide behind a small maximum.
function diff(a: number, e: number): number {
  if (a === e) return 0;
  const d = Math.abs(a - e);
  return Number.isNaN(d) ? Infinity : d;
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let m = 0;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) m = Math.max(m, diff(actual[i], expected[i]));
  return m;
}

export interface CloseOptions {
  atol?: number;
  rtol?: number;
  label?: string;
}

// Passes when lengths match and |a - e| <= atol + rtol * |e| for every element.
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-4, label = '' }: CloseOptions = {},
): void {
  const tag = label ? `${label}: ` : '';
  if (actual.length !== expected.length) {
    throw new Error(`${tag}length ${actual.length} != expected ${expected.length}`);
  }
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    // An infinite difference never passes, even against an infinite tolerance (e = +-Inf).
    const d = diff(actual[i], expected[i]);
    if (d === 0 || (d !== Infinity && d <= atol + rtol * Math.abs(expected[i]))) continue;
    count++;
    if (bad.length < 5) bad.push(`[${i}] got ${actual[i]} want ${expected[i]}`);
  }
  if (count === 0) return;
  throw new Error(
    `${tag}${count}/${actual.length} mismatches (atol ${atol}, rtol ${rtol}), ` +
      `max abs diff ${maxAbsDiff(actual, expected)}; ${bad.join('; ')}`,
  );
}
