// Validate-then-time harness. Each case checks its GPU result against the float64 reference
// first; then it is warmed up and timed: `inner` launches per submit, wall clock around a full
// sync, repeated `repeat` times. Reports median and min ms per launch, GFLOP/s and GB/s.
import { dispatcher } from '../src/gpu/engine.js';

export interface BenchCase {
  name: string;
  shape: string;
  flops: number;
  /** Minimum bytes moved by one launch (inputs read once, outputs written once). */
  bytes: number;
  /** Encodes one launch (its outputs may be disposed by the case itself). */
  run: () => void;
  /** Throws with the max error if the result is wrong. */
  validate: () => Promise<string>;
  dispose: () => void;
}

export interface BenchResult {
  name: string;
  shape: string;
  validated: string;
  medianMs: number;
  minMs: number;
  gflops: number;
  gbps: number;
  samples: number[];
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function timeCase(c: BenchCase, repeat: number): Promise<BenchResult> {
  const validated = await c.validate();
  const d = dispatcher();
  c.run();
  await d.sync();
  // Size the inner loop so one timed sample takes ~0.3 s or at least one launch.
  let t0 = performance.now();
  c.run();
  await d.sync();
  const once = performance.now() - t0;
  const inner = Math.max(1, Math.min(50, Math.round(300 / Math.max(once, 1e-3))));
  const samples: number[] = [];
  for (let r = 0; r < repeat; r++) {
    t0 = performance.now();
    for (let i = 0; i < inner; i++) c.run();
    await d.sync();
    samples.push((performance.now() - t0) / inner);
  }
  const med = median(samples);
  return {
    name: c.name, shape: c.shape, validated, medianMs: med, minMs: Math.min(...samples),
    gflops: c.flops / (med * 1e6), gbps: c.bytes / (med * 1e6), samples,
  };
}

/** Device copy bandwidth (a ceiling for memory-bound kernels): copyBufferToBuffer of 64 MiB. */
export async function copyBandwidth(): Promise<number> {
  const d = dispatcher();
  const bytes = 64 << 20;
  const a = d.acquire(bytes, 'bench-copy-src');
  const b = d.acquire(bytes, 'bench-copy-dst');
  d.copy(a, b, bytes);
  await d.sync();
  const samples: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) d.copy(a, b, bytes);
    await d.sync();
    samples.push((performance.now() - t0) / 4);
  }
  d.pool.release(a);
  d.pool.release(b);
  return (2 * bytes) / (median(samples) * 1e6);
}
