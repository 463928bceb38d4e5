// `dawnflow bench --suite kernels`: the adapter's ceilings first (bench/ceilings.ts: the FMA
// kernel's GFLOP/s and copy bandwidth, unless the run measured them already), then every kernel
// case at VGG16 / chapter shapes, validated then timed, each as a share of those ceilings.
// The workload of src/apps/workload.ts (or --batch, --size); --filter REGEX picks cases by name.
import { currentGpu, dispatcher } from '../src/gpu/engine.js';
import {
  emptyResult,
  GpuTimer,
  timeCase,
  type BenchCase,
  type BenchResult,
  type CaseFactory,
  type TimingOptions,
} from './harness.js';
import { mergeRounds } from './kernel_rounds.js';
import { kernelCases } from './kernels/cases.js';
import { measureCeilings, shareOf, type Ceilings } from './ceilings.js';
import { WORKLOAD_SIZE, workloadBatch } from '../src/apps/workload.js';

export interface KernelBenchOptions {
  batch?: number;
  size?: number;
  repeat?: number;
  warmup?: number;
  quick?: boolean;
  filter?: string;
  /** Wall time even where timestamp queries exist. */
  wallClock?: boolean;
  /** The run's ceilings, when measured already (else measured first). */
  ceilings?: Ceilings;
  /** Times over the whole suite, each case once per round (kernel_rounds.ts); default 1. */
  rounds?: number;
}

export interface KernelReport {
  batch: number;
  size: number;
  timing: TimingOptions & { method: string };
  filter: string | null;
  ceilings: Ceilings;
  pipelines: number;
  results: BenchResult[];
  wallS: number;
  /** Rounds over the suite, each case's figures of all their samples (absent: 1). */
  rounds?: number;
}

export function kernelDefaults(software: boolean, o: KernelBenchOptions): TimingOptions {
  const quick = o.quick ?? false;
  return {
    warmup: o.warmup ?? 1,
    // Lavapipe runs the big convs at ~2 GFLOP/s (a second or more each): a few reps only.
    repeat: o.repeat ?? (quick ? 1 : software ? 3 : 10),
    quick,
    targetMs: software ? 300 : 50,
    timestamps: !o.wallClock,
  };
}

/** The case names the suite would run (for --list and filter checks). */
export function kernelCaseNames(batch: number, size: number): string[] {
  return kernelCases(batch, size).map((c) => c.name);
}

export function fmtResult(r: BenchResult): string {
  if (r.error) return `${r.name.padEnd(32)} ${r.shape.padEnd(44)} FAILED: ${r.error}`;
  const pct = (v: number | undefined) => (v === undefined ? '   -' : `${(100 * v).toFixed(0).padStart(3)}%`);
  return (
    `${r.name.padEnd(32)} ${r.shape.padEnd(44)} median ${r.medianMs.toFixed(2).padStart(9)} ms  min ${r.minMs.toFixed(2).padStart(9)} ms` +
    `  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s (${pct(r.ofFmaPeak)} of FMA)  ${r.gbps.toFixed(2).padStart(7)} GB/s (${pct(r.ofCopyBandwidth)} of copy)`
  );
}

/** Makes, times and disposes one case; a failure at any point is the result's error. */
async function runOne(f: CaseFactory, timing: TimingOptions, method: string): Promise<BenchResult> {
  let c: BenchCase;
  try {
    c = f.make();
  } catch (e) {
    const none = { name: f.name, group: '', shape: '', flops: 0, bytes: 0 };
    return { ...emptyResult(none, method), error: `setup: ${(e as Error).message}` };
  }
  const r = await timeCase(c, timing);
  try {
    c.dispose();
  } catch {
    // A case that failed may have disposed part of itself already.
  }
  return r;
}

export async function runKernelBench(o: KernelBenchOptions): Promise<KernelReport> {
  const started = performance.now();
  const gpu = currentGpu();
  const batch = o.batch ?? workloadBatch(gpu.info.software);
  const size = o.size ?? WORKLOAD_SIZE;
  const timing = kernelDefaults(gpu.info.software, o);
  const method = timing.timestamps && GpuTimer.available() ? 'gpu-timestamps' : 'wall';
  let cases = kernelCases(batch, size);
  if (o.filter) {
    const re = new RegExp(o.filter);
    cases = cases.filter((c) => re.test(c.name));
    if (!cases.length)
      throw new Error(`--filter ${o.filter} matches no case; cases: ${kernelCaseNames(batch, size).join(', ')}`);
  }
  console.log(
    `adapter: ${gpu.info.description || gpu.info.device} (${gpu.info.software ? 'software' : 'hardware'}); ` +
      `batch ${batch} at ${size}x${size}; ${cases.length} cases; warm-up ${timing.warmup}, ${timing.repeat} reps; timing: ${method}`,
  );

  // The ceilings get at least 3 samples even with --quick: they scale every share below.
  const ceilings = o.ceilings ?? (await measureCeilings(timing));

  const withShares = (r: BenchResult): BenchResult =>
    r.error
      ? r
      : { ...r, ofFmaPeak: shareOf(r.gflops, ceilings.fmaGflops), ofCopyBandwidth: shareOf(r.gbps, ceilings.copyGBs) };
  const rounds = o.rounds ?? 1;
  const byCase: BenchResult[][] = cases.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`round ${round} of ${rounds}`);
    for (const [i, f] of cases.entries()) {
      const r = withShares(await runOne(f, timing, method));
      byCase[i].push(r);
      console.log(fmtResult(r) + (r.error ? '' : `  [${r.validated}]`));
    }
  }
  const results = byCase.map((r) => withShares(mergeRounds(r)));
  if (rounds > 1) {
    console.log(`over the ${rounds} rounds (every round's samples):`);
    for (const r of results) console.log(fmtResult(r));
  }
  const ok = results.filter((r) => !r.error);
  const conv = ok.filter((r) => r.group === 'conv');
  console.log(
    `${ok.length}/${results.length} cases ok` +
      (conv.length ? `; conv cases sum ${conv.reduce((s, r) => s + r.medianMs, 0).toFixed(0)} ms (median each)` : ''),
  );
  return {
    batch,
    size,
    timing: { ...timing, method },
    filter: o.filter ?? null,
    ceilings,
    pipelines: dispatcher().pipelines.size,
    results,
    wallS: (performance.now() - started) / 1000,
    ...(rounds > 1 ? { rounds } : {}),
  };
}
