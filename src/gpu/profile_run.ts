// Profiling a workload: runs its steps under a KernelProfiler (profiler.ts) and builds the report
// that `dawnflow profile` writes (profile.json, and profile.html through
// src/report/timeline_html.ts): every dispatch with its layer, phase, kernel, grid and time, the
// per-kernel and per-layer totals, and the dispatcher's wait figures.
import { currentGpu, dispatcher, kernelTarget } from './engine.js';
import { kernelTargetNote } from './kernel_target.js';
import type { WaitStats } from './gpu_wait.js';
import {
  KernelProfiler,
  totals,
  type DispatchRow,
  type KernelTotal,
  type LayerTotal,
  type StepProfile,
  type TimingMethod,
} from './profiler.js';

export interface ProfileReport {
  version: 1;
  workload: string;
  created: string;
  settings: Record<string, unknown>;
  adapter: Record<string, unknown>;
  /** 'mixed' when some steps fell back to replay. */
  method: TimingMethod | 'mixed';
  methodNote: string;
  notes: string[];
  steps: {
    step: number;
    method: TimingMethod;
    note: string | null;
    wallMs: number;
    gpuMs: number;
    dispatches: number;
    cpuMs: number;
  }[];
  dispatches: DispatchRow[];
  kernels: KernelTotal[];
  layers: LayerTotal[];
  topKernels: KernelTotal[];
  /** The dispatcher's sleep-instead-of-spin figures for the whole run (gpu_wait.ts). */
  waits: WaitStats;
}

export interface ProfileRunOptions {
  workload: string;
  /** One step of the workload; it awaits its own results. */
  step: () => Promise<void>;
  steps: number;
  warmup?: number;
  method?: 'auto' | TimingMethod;
  outsideLabel?: string;
  settings?: Record<string, unknown>;
  notes?: string[];
}

/** Runs `warmup` unprofiled steps, then profiles `steps` steps, and builds the report. */
export async function profileRun(o: ProfileRunOptions): Promise<ProfileReport> {
  const d = dispatcher();
  for (let i = 0; i < (o.warmup ?? 1); i++) await o.step();
  await d.sync();
  const profiler = new KernelProfiler(d, { method: o.method, outsideLabel: o.outsideLabel });
  const steps: StepProfile[] = [];
  const cpu: number[] = [];
  try {
    for (let i = 0; i < o.steps; i++) {
      const c0 = process.cpuUsage();
      profiler.start();
      try {
        await o.step();
      } catch (e) {
        profiler.abort();
        throw e;
      }
      steps.push(await profiler.stop());
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  } finally {
    profiler.dispose();
  }
  const rows = steps.flatMap((s) => s.rows);
  const t = totals(rows);
  const methods = new Set(steps.map((s) => s.method));
  const method = methods.size === 1 ? [...methods][0] : 'mixed';
  const gpu = currentGpu();
  return {
    version: 1,
    workload: o.workload,
    created: new Date().toISOString(),
    settings: o.settings ?? {},
    adapter: { ...gpu.info, features: gpu.features },
    method,
    methodNote:
      method === 'timestamp-query'
        ? profiler.methodReason
        : (steps.find((s) => s.method === 'replay')?.note ?? profiler.methodReason),
    notes: [
      ...(o.notes ?? []),
      ...[kernelTargetNote(kernelTarget(), gpu.info.software)].filter((n): n is string => !!n),
      ...new Set(steps.map((s) => s.note).filter((n): n is string => !!n)),
    ],
    steps: steps.map((s, i) => ({
      step: s.step,
      method: s.method,
      note: s.note,
      wallMs: s.wallMs,
      gpuMs: s.gpuMs,
      dispatches: s.rows.length,
      cpuMs: cpu[i] ?? 0,
    })),
    dispatches: rows,
    kernels: t.kernels,
    layers: t.layers,
    topKernels: t.kernels.slice(0, 10),
    waits: { ...d.waits.stats },
  };
}

/** The short text summary: the step times and the top `n` kernels by GPU time. */
export function profileSummary(r: ProfileReport, n = 5): string[] {
  const lines = [`timing: ${r.method} (${r.methodNote})`];
  for (const s of r.steps) {
    lines.push(
      `step ${s.step}: ${s.dispatches} dispatches, ${s.gpuMs.toFixed(1)} ms of GPU time in ${s.wallMs.toFixed(1)} ms wall`,
    );
  }
  for (const note of r.notes) lines.push(`note: ${note}`);
  lines.push(`top ${Math.min(n, r.kernels.length)} kernels by GPU time:`);
  const w = Math.max(...r.kernels.slice(0, n).map((k) => k.kernel.length), 6);
  for (const k of r.kernels.slice(0, n)) {
    lines.push(
      `  ${k.kernel.padEnd(w)} ${String(k.dispatches).padStart(4)}x ${k.ms.toFixed(1).padStart(9)} ms ` +
        `${(100 * k.share).toFixed(1).padStart(5)}%  ${k.gflops === null ? '     -' : k.gflops.toFixed(2).padStart(6)} GFLOP/s`,
    );
  }
  return lines;
}
