// `dawnflow profile transfer|fine-tune|features|scratch`: the kernel timeline of the chapter's training
// steps. Builds the workload's model (random VGG16 weights unless --weights), runs one warm-up
// step (pipelines and the driver's shader compiles, optimizer slots), then profiles --steps steps:
// every dispatch with its layer, phase, kernel, grid, time, GFLOP/s and share. Writes
// profile.json, profile.trace.json (Perfetto) and a self-contained profile.html to --out and prints the top kernels. The
// workloads are src/apps/profile.ts, the profiling itself src/gpu/profile_run.ts.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXTRACTION_BATCH, PRESETS, SCRATCH_PRESETS } from '../apps/chapter_presets.js';
import { profileWorkload, WORKLOADS, type Workload } from '../apps/profile.js';
import type { DeviceOptions } from '../gpu/device.js';
import { withEngine } from '../gpu/engine.js';
import { profileRun, profileSummary, type ProfileReport } from '../gpu/profile_run.js';
import type { TimingMethod } from '../gpu/profiler.js';
import { setWgslDumpDir } from '../gpu/shader_source.js';
import { DEFAULT_WEIGHTS } from '../io/known_files.js';
import { renderTimelineHtml } from '../report/timeline_html.js';
import { profileTrace } from '../report/trace_json.js';
import { UsageError, type FlagSpec } from './args.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { IMAGENET, imagenetWeights, WEIGHTS_FIX } from './weights_flag.js';

/** The chapter's numbers: its image size and each workload's batch. */
const BOOK = PRESETS.full;

export const PROFILE_FLAGS: FlagSpec = {
  adapter: 'string',
  backend: 'string',
  steps: 'count',
  out: 'string',
  batch: 'count',
  size: 'size',
  'dump-wgsl': 'string',
  weights: 'string',
  method: 'string',
};

/**
 * Writes profile.json, profile.trace.json (Chrome trace events, for Perfetto or chrome://tracing)
 * and profile.html into `dir`; returns their paths.
 */
export function writeProfile(dir: string, r: ProfileReport): string[] {
  const json = join(dir, 'profile.json');
  const trace = join(dir, 'profile.trace.json');
  const html = join(dir, 'profile.html');
  writeFileAtomic(json, JSON.stringify(r, null, 1));
  writeFileAtomic(trace, JSON.stringify(profileTrace(r)));
  writeFileAtomic(html, renderTimelineHtml(r));
  return [json, trace, html];
}

// --- the command -------------------------------------------------------------------------------

function positiveInt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1))
    throw new UsageError(`${flag} must be a positive integer, got ${String(v)}`);
  return v;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function profileCommand(
  workload: string | undefined,
  f: Record<string, unknown>,
  dev: DeviceOptions,
): Promise<number> {
  if (!workload || !(WORKLOADS as readonly string[]).includes(workload)) {
    throw new UsageError(
      `usage: dawnflow profile ${WORKLOADS.join('|')} [--steps N] [--out DIR] [--batch N] [--size N] [--dump-wgsl DIR]`,
    );
  }
  const w = workload as Workload;
  const stepsFlag = positiveInt(f.steps, '--steps');
  const batchFlag = positiveInt(f.batch, '--batch');
  const sizeFlag = positiveInt(f.size, '--size');
  const method = (f.method as string | undefined) ?? 'auto';
  if (!['auto', 'timestamp-query', 'replay'].includes(method))
    throw new UsageError('--method must be auto, timestamp-query or replay');
  // The smallest input each model's valid convolutions and pools leave a pixel of.
  const minSize = workload === 'scratch' ? 46 : 32;
  if (sizeFlag !== undefined && sizeFlag < minSize)
    throw new UsageError(
      `--size must be at least ${minSize} (${workload === 'scratch' ? 'the from-scratch convnet' : 'VGG16'})`,
    );
  let weights: string | null = null;
  const notes: string[] = [];
  if (workload === 'scratch') {
    if (f.weights !== undefined)
      throw new UsageError('--weights is for the VGG16 workloads; the from-scratch convnet starts from random weights');
  } else if (f.weights === IMAGENET) {
    weights = await imagenetWeights();
  } else if (f.weights !== undefined && f.weights !== 'random') {
    weights = f.weights === 'default' ? DEFAULT_WEIGHTS : String(f.weights);
    if (!existsSync(weights))
      throw new UsageError(
        `${weights} not found; see weights/README.md, or ${WEIGHTS_FIX} (or drop --weights: random weights time the same)`,
      );
  } else {
    notes.push(
      'random VGG16 weights (kernel times do not depend on the values; --weights W.h5|imagenet loads real ones)',
    );
  }
  const dumpDir = f['dump-wgsl'] as string | undefined;
  if (dumpDir) setWgslDumpDir(dumpDir);
  try {
    return await withEngine(dev, async (gpu) => {
      const soft = gpu.info.software;
      const size = sizeFlag ?? (soft ? 64 : BOOK.targetSize);
      const bookBatch = {
        transfer: BOOK.tr.batchSize,
        'fine-tune': BOOK.ft.batchSize,
        features: EXTRACTION_BATCH,
        scratch: SCRATCH_PRESETS.full.batchSize,
      }[w];
      const batch = batchFlag ?? (soft ? 2 : bookBatch);
      const steps = stepsFlag ?? (soft ? 1 : 2);
      const out = (f.out as string | undefined) ?? join('runs', `profile-${w}-${stamp()}`);
      if (soft && (sizeFlag === undefined || batchFlag === undefined)) {
        notes.push(
          `software adapter: defaults of ${size}x${size} images, batch ${batch}, ${steps} step(s); --size/--batch/--steps change them`,
        );
      }
      console.log(
        `dawnflow profile ${w}: ${w === 'scratch' ? 'the from-scratch convnet' : 'VGG16'} at ${size}x${size}, batch ${batch}, 1 warm-up + ${steps} profiled step(s) on ${gpu.info.description || gpu.info.device}`,
      );
      const { model, step, dispose } = profileWorkload(w, size, batch, weights);
      const settings = {
        workload: w,
        size,
        batch,
        steps,
        warmup: 1,
        weights: weights ?? 'random',
        model: model.name,
        trainableWeights: model.trainableWeights.length,
        argv: process.argv.slice(2),
      };
      try {
        const report = await profileRun({
          workload: w,
          step,
          steps,
          method: method as 'auto' | TimingMethod,
          settings,
          notes,
        });
        for (const line of profileSummary(report)) console.log(line);
        const files = writeProfile(out, report);
        console.log(`wrote ${files.join(', ')}`);
        if (dumpDir)
          console.log(
            `wrote ${readdirSync(dumpDir).filter((n) => n.endsWith('.wgsl')).length} kernel specialisations to ${dumpDir}`,
          );
      } finally {
        dispose();
      }
      return 0;
    });
  } finally {
    if (dumpDir) setWgslDumpDir(null);
  }
}
