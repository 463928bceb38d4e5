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
  /**
   * Per element, the magnitude rtol applies to where it exceeds |e|: for a long sum whose terms
   * cancel, f32's error follows the terms' magnitudes, not the result (sumScale).
   */
  scale?: ArrayLike<number>;
}

/**
 * The scale of a long sum for CloseOptions.scale: `fraction` of the sum of its terms' magnitudes
 * (from the float64 reference run on |inputs|).
 */
export function sumScale(absSums: ArrayLike<number>, fraction = 1e-3): Float64Array {
  return Float64Array.from(absSums, (v) => v * fraction);
}

// Passes when lengths match and |a - e| <= atol + rtol * max(|e|, scale) for every element.
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-4, label = '', scale }: CloseOptions = {},
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
    const magnitude = Math.max(Math.abs(expected[i]), scale?.[i] ?? 0);
    if (d === 0 || (d !== Infinity && d <= atol + rtol * magnitude)) continue;
    count++;
    if (bad.length < 5) bad.push(`[${i}] got ${actual[i]} want ${expected[i]}`);
  }
  if (count === 0) return;
  throw new Error(
    `${tag}${count}/${actual.length} mismatches (atol ${atol}, rtol ${rtol}), ` +
      `max abs diff ${maxAbsDiff(actual, expected)}; ${bad.join('; ')}`,
  );
}
