// Seeded randomness so that every failing case can be replayed from the seed in its label.

// mulberry32: a 32-bit state PRNG, plenty for test data; returns floats in [0, 1).
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// n values uniform in [lo, hi), the same sequence for the same seed.
export function uniform(n: number, lo: number, hi: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rnd();
  return out;
}

// Rounds every value to the nearest float32, so the f32 buffer sent to the GPU and the float64
// reference start from identical numbers and only the arithmetic differs.
export function f32(a: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.fround(a[i]);
  return out;
}
