// `dawnflow bench --suite scaling`: the VGG16 conv-base forward's images/s and peak device memory
// against the batch (at the chapter's size) and against the image size (at the workload's
// batch). Each point builds a fresh model, resets the pool's peak, runs two warm-ups and the timed
// repeats; the peak is the most bytes the engine's buffer pool had in use (weights included).
// A point runs as predict() runs it: a batch whose largest activation exceeds one storage
// binding of the adapter (lavapipe: 128 MiB, 23 images at 150x150) goes through in micro-batches
// (src/nn/training.ts microBatchLimit), and the point says so.
import { currentGpu, dispatcher } from '../src/gpu/engine.js';
import { vgg16Architecture } from '../src/apps/vgg16.js';
import { predict } from '../src/nn/inference.js';
import { microBatchLimit } from '../src/nn/training.js';
import { Tensor } from '../src/tensor/tensor.js';
import { WORKLOAD_SIZE, workloadBatch } from '../src/apps/workload.js';
import { median } from './harness.js';
import { forwardFlops, seeded, timeSeconds } from './peers/spec.js';

export interface ScalingPoint {
  /** Which sweep the point belongs to. */
  sweep: 'batch' | 'size';
  batch: number;
  size: number;
  imagesPerSec: number;
  /** Direct-convolution-equivalent GFLOP/s. */
  gflops: number;
  medianS: number;
  warmupS: number;
  peakBytes: number;
  /** Images per forward pass where the batch ran in micro-batches (larger than one binding holds). */
  microBatch?: number;
  error?: string;
}

export interface ScalingReport {
  repeat: number;
  /** Untimed calls before each point's repeats (absent in reports from before it was 2: 1). */
  warmups?: number;
  points: ScalingPoint[];
  wallS: number;
}

/**
 * The sweeps the issue asks for, batch 1..40 and size 64..224, on every adapter (on lavapipe the
 * whole sweep is about a minute: 103 images at 150x150 and six sizes at batch 4, three passes
 * each); --quick keeps three points a side.
 */
export function scalingPlan(software: boolean, quick: boolean): { batches: number[]; sizes: number[]; batch: number } {
  if (quick) return { batches: [1, 2, 4], sizes: [64, 150, 224], batch: 1 };
  return { batches: [1, 2, 4, 8, 16, 32, 40], sizes: [64, 96, 128, 150, 192, 224], batch: workloadBatch(software) };
}

const WARMUPS = 2;

async function point(sweep: ScalingPoint['sweep'], batch: number, size: number, repeat: number): Promise<ScalingPoint> {
  const base = vgg16Architecture({ inputShape: [size, size, 3] });
  const x = Tensor.fromArray(
    seeded(batch * size * size * 3, 1).map((v) => (v + 1) / 2),
    [batch, size, size, 3],
  );
  const micro = Math.min(batch, microBatchLimit(base));
  const pool = dispatcher().pool;
  await dispatcher().sync();
  pool.resetPeak();
  try {
    // Two warm-ups: the engine keeps a frozen weight's Winograd transform from its second
    // sighting on (src/kernels/derived.ts), so the second call still makes all 13 of them (at
    // batch 1: 574 ms against 123-133 ms from the third call on). With one warm-up the median of
    // two repeats was the mean of that call and a steady one: batch 1 read 2.9 images/s, not 7.9.
    const t = await timeSeconds(
      repeat,
      async () => {
        const y = predict(base, x, { batchSize: batch });
        await y.data();
        y.dispose();
      },
      WARMUPS,
    );
    const med = median(t.samplesS);
    return {
      sweep,
      batch,
      size,
      imagesPerSec: batch / med,
      gflops: (forwardFlops('vgg16', size) * batch) / med / 1e9,
      medianS: med,
      warmupS: t.warmupS,
      peakBytes: pool.snapshot().peakBytesInUse,
      ...(micro < batch && { microBatch: micro }),
    };
  } catch (e) {
    const error = (e instanceof Error ? e.message : String(e)).slice(0, 200);
    return { sweep, batch, size, imagesPerSec: NaN, gflops: NaN, medianS: NaN, warmupS: NaN, peakBytes: NaN, error };
  } finally {
    base.dispose();
    x.dispose();
  }
}

export async function runScaling(
  o: { quick: boolean; repeat?: number },
  log: (s: string) => void = console.log,
): Promise<ScalingReport> {
  const started = performance.now();
  const plan = scalingPlan(currentGpu().info.software, o.quick);
  const repeat = o.repeat ?? (o.quick ? 1 : 2);
  log(
    `scaling: VGG16 conv-base forward; batch ${plan.batches.join(', ')} at ${WORKLOAD_SIZE}x${WORKLOAD_SIZE}, ` +
      `size ${plan.sizes.join(', ')} at batch ${plan.batch}; ${repeat} timed repeat(s) after ${WARMUPS} warm-ups`,
  );
  const points: ScalingPoint[] = [];
  const jobs: [ScalingPoint['sweep'], number, number][] = [
    ...plan.batches.map((b): [ScalingPoint['sweep'], number, number] => ['batch', b, WORKLOAD_SIZE]),
    ...plan.sizes.map((s): [ScalingPoint['sweep'], number, number] => ['size', plan.batch, s]),
  ];
  for (const [sweep, batch, size] of jobs) {
    const p = await point(sweep, batch, size, repeat);
    points.push(p);
    log(
      p.error
        ? `  ${sweep} batch ${batch} size ${size}: FAILED ${p.error}`
        : `  ${sweep} sweep: batch ${String(batch).padStart(2)} size ${String(size).padStart(3)}: ` +
            `${p.imagesPerSec.toFixed(3).padStart(8)} images/s ${p.gflops.toFixed(2).padStart(7)} GFLOP/s ` +
            `peak ${(p.peakBytes / 2 ** 20).toFixed(0)} MiB` +
            (p.microBatch ? ` (micro-batches of ${p.microBatch})` : ''),
    );
  }
  return { repeat, warmups: WARMUPS, points, wallS: (performance.now() - started) / 1000 };
}
