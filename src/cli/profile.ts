// `dawnflow profile transfer|fine-tune|features`: the kernel timeline of the chapter's training
// steps. Builds the workload's model (random VGG16 weights unless --weights), runs one warm-up
// step (pipelines and the driver's shader compiles, optimizer slots), then profiles --steps steps:
// every dispatch with its layer, phase, kernel, grid, time, GFLOP/s and share. Writes
// profile.json and a self-contained profile.html to --out and prints the top kernels.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/engine.js';
import { chapterModel, freezeBase, unfreezeFrom } from '../apps/chapter.js';
import { vgg16 } from '../apps/vgg16.js';
import type { DeviceOptions } from '../gpu/device.js';
import { currentGpu, dispatcher, withEngine } from '../gpu/engine.js';
import { inPhase, inScope } from '../gpu/profile_scope.js';
import { KernelProfiler, totals, type DispatchRow, type KernelTotal, type LayerTotal, type StepProfile, type TimingMethod } from '../gpu/profiler.js';
import type { WaitStats } from '../gpu/gpu_wait.js';
import { setWgslDumpDir } from '../gpu/shader_source.js';
import { DEFAULT_WEIGHTS } from '../io/known_files.js';
import { Container } from '../nn/container.js';
import type { Variable } from '../nn/layer.js';
import { Adam } from '../nn/optimizers/adam.js';
import type { Optimizer } from '../nn/optimizers/optimizer.js';
import { trainOnBatch } from '../nn/training.js';
import { renderTimelineHtml } from '../report/timeline_html.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { UsageError, type FlagSpec } from './args.js';
import { IMAGENET, imagenetWeights, WEIGHTS_FIX } from './weights_flag.js';

export const WORKLOADS = ['transfer', 'fine-tune', 'features'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const PROFILE_FLAGS: FlagSpec = {
  adapter: 'string', backend: 'string', steps: 'count', out: 'string', batch: 'count', size: 'size',
  'dump-wgsl': 'string', weights: 'string', method: 'string',
};

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
  steps: { step: number; method: TimingMethod; note: string | null; wallMs: number; gpuMs: number; dispatches: number; cpuMs: number }[];
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
    version: 1, workload: o.workload, created: new Date().toISOString(), settings: o.settings ?? {},
    adapter: { ...gpu.info, features: gpu.features },
    method, methodNote: method === 'timestamp-query' ? profiler.methodReason : (steps.find((s) => s.method === 'replay')?.note ?? profiler.methodReason),
    notes: [...(o.notes ?? []), ...new Set(steps.map((s) => s.note).filter((n): n is string => !!n))],
    steps: steps.map((s, i) => ({ step: s.step, method: s.method, note: s.note, wallMs: s.wallMs, gpuMs: s.gpuMs, dispatches: s.rows.length, cpuMs: cpu[i] ?? 0 })),
    dispatches: rows, kernels: t.kernels, layers: t.layers, topKernels: t.kernels.slice(0, 10),
    waits: { ...d.waits.stats },
  };
}

/** Writes profile.json and profile.html into `dir`; returns their paths. */
export function writeProfile(dir: string, r: ProfileReport): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'profile.json');
  const html = join(dir, 'profile.html');
  writeFileSync(json, JSON.stringify(r, null, 1));
  writeFileSync(html, renderTimelineHtml(r));
  return [json, html];
}

/** The short text summary: the step times and the top `n` kernels by GPU time. */
export function profileSummary(r: ProfileReport, n = 5): string[] {
  const lines = [`timing: ${r.method} (${r.methodNote})`];
  for (const s of r.steps) {
    lines.push(`step ${s.step}: ${s.dispatches} dispatches, ${s.gpuMs.toFixed(1)} ms of GPU time in ${s.wallMs.toFixed(1)} ms wall`);
  }
  for (const note of r.notes) lines.push(`note: ${note}`);
  lines.push(`top ${Math.min(n, r.kernels.length)} kernels by GPU time:`);
  const w = Math.max(...r.kernels.slice(0, n).map((k) => k.kernel.length), 6);
  for (const k of r.kernels.slice(0, n)) {
    lines.push(`  ${k.kernel.padEnd(w)} ${String(k.dispatches).padStart(4)}x ${k.ms.toFixed(1).padStart(9)} ms ` +
      `${(100 * k.share).toFixed(1).padStart(5)}%  ${k.gflops === null ? '     -' : k.gflops.toFixed(2).padStart(6)} GFLOP/s`);
  }
  return lines;
}

// --- the command -------------------------------------------------------------------------------

function positiveInt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new UsageError(`${flag} must be a positive integer, got ${String(v)}`);
  return v;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Maps each weight to the layer path its forward ran in, for optimizer updates. */
function weightPaths(model: Container): Map<Variable, string[]> {
  const out = new Map<Variable, string[]>();
  const walk = (c: Container, prefix: string[]) => {
    for (const l of c.layers) {
      const path = [...prefix, l.name];
      if (l instanceof Container) walk(l, path);
      else for (const v of l.weights) out.set(v, path);
    }
  };
  walk(model, [model.name]);
  return out;
}

/** Charges each of `model`'s optimizer updates to its variable's layer, in the optimizer phase. */
export function scopeOptimizer(opt: Optimizer, model: Container): void {
  const paths = weightPaths(model);
  // update() is the one per-variable hook Optimizer has; wrapping the instance's methods keeps
  // the optimizer classes free of profiling code.
  const o = opt as unknown as { update: (v: Variable, g: Tensor, s: Tensor[]) => void; step: (vs: Variable[]) => void };
  const [update, step] = [o.update.bind(opt), o.step.bind(opt)];
  o.update = (v, g, s) => inScope({ path: paths.get(v) ?? [], phase: 'optimizer' }, 'optimizer', () => update(v, g, s));
  o.step = (vs) => inPhase('optimizer', () => step(vs));
}

function randomImages(n: number, size: number, seed: number): Tensor {
  const r = new Rng(seed);
  return Tensor.fromArray(Float32Array.from({ length: n * size * size * 3 }, () => r.next()), [n, size, size, 3]);
}

export async function profileCommand(workload: string | undefined, f: Record<string, unknown>, dev: DeviceOptions): Promise<number> {
  if (!workload || !(WORKLOADS as readonly string[]).includes(workload)) {
    throw new UsageError(`usage: dawnflow profile ${WORKLOADS.join('|')} [--steps N] [--out DIR] [--batch N] [--size N] [--dump-wgsl DIR]`);
  }
  const w = workload as Workload;
  const stepsFlag = positiveInt(f.steps, '--steps');
  const batchFlag = positiveInt(f.batch, '--batch');
  const sizeFlag = positiveInt(f.size, '--size');
  const method = (f.method as string | undefined) ?? 'auto';
  if (!['auto', 'timestamp-query', 'replay'].includes(method)) throw new UsageError('--method must be auto, timestamp-query or replay');
  if (sizeFlag !== undefined && sizeFlag < 32) throw new UsageError('--size must be at least 32 (VGG16)');
  let weights: string | null = null;
  const notes: string[] = [];
  if (f.weights === IMAGENET) {
    weights = await imagenetWeights();
  } else if (f.weights !== undefined && f.weights !== 'random') {
    weights = f.weights === 'default' ? DEFAULT_WEIGHTS : String(f.weights);
    if (!existsSync(weights)) throw new UsageError(`${weights} not found; see weights/README.md, or ${WEIGHTS_FIX} (or drop --weights: random weights time the same)`);
  } else {
    notes.push('random VGG16 weights (kernel times do not depend on the values; --weights W.h5|imagenet loads real ones)');
  }
  const dumpDir = f['dump-wgsl'] as string | undefined;
  if (dumpDir) setWgslDumpDir(dumpDir);
  try {
    return await withEngine(dev, async (gpu) => {
      const soft = gpu.info.software;
      const size = sizeFlag ?? (soft ? 64 : 150);
      const batch = batchFlag ?? (soft ? 2 : { transfer: 40, 'fine-tune': 20, features: 20 }[w]);
      const steps = stepsFlag ?? (soft ? 1 : 2);
      const out = (f.out as string | undefined) ?? join('runs', `profile-${w}-${stamp()}`);
      if (soft && (sizeFlag === undefined || batchFlag === undefined)) {
        notes.push(`software adapter: defaults of ${size}x${size} images, batch ${batch}, ${steps} step(s); --size/--batch/--steps change them`);
      }
      console.log(`dawnflow profile ${w}: VGG16 at ${size}x${size}, batch ${batch}, 1 warm-up + ${steps} profiled step(s) on ${gpu.info.description || gpu.info.device}`);
      const base = vgg16({ inputShape: [size, size, 3], weights });
      const x = randomImages(batch, size, 1);
      const y = Tensor.fromArray(Float32Array.from({ length: batch }, (_, i) => i % 2), [batch, 1]);
      let model: Container = base;
      let step: () => Promise<void>;
      if (w === 'features') {
        step = async () => {
          const out = noGrad(() => base.apply(x, { training: false }));
          await out.data();
          out.dispose();
        };
      } else {
        model = chapterModel(base);
        if (w === 'transfer') freezeBase(base);
        else unfreezeFrom(base, 'block5_conv1');
        const opt = new Adam({ lr: w === 'transfer' ? 2e-4 : 1e-5 });
        model.compile({ optimizer: opt, loss: 'binary_crossentropy', metrics: ['acc'] });
        scopeOptimizer(opt, model);
        step = async () => {
          await trainOnBatch(model, { x, y, size: batch });
        };
      }
      const settings = {
        workload: w, size, batch, steps, warmup: 1, weights: weights ?? 'random',
        model: model.name, trainableWeights: model.trainableWeights.length, argv: process.argv.slice(2),
      };
      try {
        const report = await profileRun({
          workload: w, step, steps, method: method as 'auto' | TimingMethod, settings, notes,
        });
        for (const line of profileSummary(report)) console.log(line);
        const files = writeProfile(out, report);
        console.log(`wrote ${files.join(', ')}`);
        if (dumpDir) console.log(`wrote ${readdirSync(dumpDir).filter((n) => n.endsWith('.wgsl')).length} kernel specialisations to ${dumpDir}`);
      } finally {
        model.dispose();
        x.dispose();
        y.dispose();
      }
      return 0;
    });
  } finally {
    if (dumpDir) setWgslDumpDir(null);
  }
}
