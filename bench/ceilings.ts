// The adapter's ceilings, measured once per bench run before anything else, on the same adapter:
//  - arithmetic: the register-only FMA kernel (src/kernels/ceiling.ts), validated against the
//    CPU first, sized to fill the adapter;
//  - memory: device copy bandwidth (copyBufferToBuffer, harness.ts), the best of 10 samples: on
//    a shared VM the best of 3 ranged 34-43 GB/s between runs, and a ceiling is the most the
//    adapter did, so the pool kernels' shares of it must not rise when the neighbours are busy;
//  - and, for reference only, the engine's own matmul on 1024^3 (the old yardstick).
// Every kernel, end-to-end and peer figure is then reported as a share of the first two.
import { currentGpu } from '../src/gpu/engine.js';
import {
  FMA_ACCUMULATORS,
  FMA_CHAIN,
  fmaCeiling,
  fmaCeilingFlops,
  fmaCeilingReference,
  type FmaCeilingParams,
} from '../src/kernels/ceiling.js';
import { copyBandwidth, timeCase, type BenchCase, type BenchResult, type TimingOptions } from './harness.js';
import { matmulCeilingCase } from './kernels/cases.js';
import { readAndDispose, sampleIndices } from './kernels/validate.js';

/** Samples of the copy ceiling (each 4 copies of 64 MiB, about 15 ms on lavapipe). */
const COPY_SAMPLES = 10;

export interface Ceilings {
  /** Best sample of the FMA kernel, GFLOP/s. */
  fmaGflops: number;
  fma: BenchResult;
  /** Device copy bandwidth, GB/s read+write. */
  copyGBs: number;
  /** The engine's matmul on n^3 (best sample): a reference, not a ceiling. */
  matmulGflops: number;
  matmul: BenchResult;
}

/**
 * Enough invocations to fill the adapter many times over (a software adapter runs a few dozen
 * lanes at once; a GPU tens of thousands) and enough rounds to dwarf the launch overhead.
 */
export function fmaCeilingParams(software: boolean): FmaCeilingParams {
  return software
    ? { invocations: 64 * 256, iters: 1024, m: 0.999, c: 0.001 }
    : { invocations: 1 << 20, iters: 1024, m: 0.999, c: 0.001 };
}

/**
 * Relative tolerance of the FMA check. A fused multiply-add rounds once where the CPU rounds
 * twice; each chain contracts by m = 0.999 a multiply-add, so rounding differences settle near
 * 6e-8 / (1 - m) = 6e-5 at worst. A wrong round count or operand is off by far more (m^(4 iters)
 * is 0.017 at 1,024 rounds of chains of 4, against 0.36 for one multiply-add a round).
 */
export const FMA_TOLERANCE = 1e-3;

/** got[i] against the CPU's value for sampled invocations; throws at the first miss. */
export function checkFmaOutputs(got: ArrayLike<number>, p: FmaCeilingParams, idx: number[]): string {
  let worst = 0;
  for (const i of idx) {
    const want = fmaCeilingReference(i, p);
    const d = Math.abs(got[i] - want);
    if (!(d <= FMA_TOLERANCE * Math.abs(want) + 1e-6))
      throw new Error(`validation failed at invocation ${i}: got ${got[i]}, CPU ${want}`);
    worst = Math.max(worst, d / Math.abs(want));
  }
  return `max relative |d| ${worst.toExponential(2)} over ${idx.length} sampled invocations`;
}

export function fmaCeilingCase(p: FmaCeilingParams): BenchCase {
  return {
    name: 'fma/ceiling',
    group: 'ceiling',
    shape: `${p.invocations} invocations x ${p.iters} rounds x ${FMA_ACCUMULATORS} vec4 x ${FMA_CHAIN} fma`,
    flops: fmaCeilingFlops(p),
    bytes: 4 * p.invocations,
    run: () => fmaCeiling(p).dispose(),
    validate: async () => {
      const got = await readAndDispose(fmaCeiling(p));
      return checkFmaOutputs(got, p, sampleIndices(got.length, 32, 7));
    },
    dispose: () => {},
  };
}

/** The best sample of a case (a ceiling is the best the adapter did), NaN when it failed. */
async function best(c: BenchCase, timing: TimingOptions): Promise<BenchResult> {
  const r = await timeCase(c, { ...timing, repeat: Math.max(3, timing.repeat) });
  c.dispose();
  return r;
}

export async function measureCeilings(
  timing: TimingOptions,
  log: (s: string) => void = console.log,
): Promise<Ceilings> {
  const software = currentGpu().info.software;
  const copyGBs = await copyBandwidth(COPY_SAMPLES);
  const fc = fmaCeilingCase(fmaCeilingParams(software));
  const fma = await best(fc, timing);
  const mc = matmulCeilingCase(1024, 900);
  const matmul = await best(mc, timing);
  const gflops = (r: BenchResult) => (r.error ? NaN : r.flops / (r.minMs * 1e6));
  const c = { fmaGflops: gflops(fma), fma, copyGBs, matmulGflops: gflops(matmul), matmul };
  for (const r of [fma, matmul]) if (r.error) log(`${r.name} FAILED: ${r.error}`);
  log(
    `ceilings: FMA ${c.fmaGflops.toFixed(1)} GFLOP/s (best of ${fma.samples.length}: ${fma.minMs.toFixed(2)} ms) [${fma.validated || 'not validated'}]; ` +
      `device copy ${copyGBs.toFixed(1)} GB/s (read+write, best of ${COPY_SAMPLES}); engine matmul 1024^3 ${c.matmulGflops.toFixed(2)} GFLOP/s (reference)`,
  );
  return c;
}

/** v as a share of the ceiling, undefined when either is missing. */
export function shareOf(v: number | undefined, ceiling: number | undefined): number | undefined {
  return v === undefined || ceiling === undefined || !Number.isFinite(v) || !(ceiling > 0) ? undefined : v / ceiling;
}
