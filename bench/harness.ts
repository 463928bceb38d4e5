// Validate-then-time harness. Each case checks its GPU result against float64 first; then it is
// warmed up and timed. Where the device has 'timestamp-query', a sample is GPU time: `inner`
// launches encoded into one submit, bracketed by two empty compute passes whose timestamp
// writes fence it on the queue (a timestamp waits for the work submitted before it), so the
// dispatcher needs no hook. Otherwise it is wall time around `inner` launches per submit and a
// full sync. Reports median and min ms per launch, GFLOP/s and GB/s.
import { currentGpu, dispatcher } from '../src/gpu/engine.js';

export interface BenchCase {
  name: string;
  /** conv, pool, conv_pool, dense, optimizer, augment, elementwise, ceiling. */
  group: string;
  shape: string;
  flops: number;
  /** Minimum bytes moved by one launch (inputs read once, outputs written once). */
  bytes: number;
  /** Encodes one launch (its outputs may be disposed by the case itself). No uploads. */
  run: () => void;
  /** Throws with the first wrong value; returns a one-line summary of the check. */
  validate: () => Promise<string>;
  dispose: () => void;
}

/** A case by name, made (its tensors allocated) only when it is run. */
export interface CaseFactory {
  name: string;
  make: () => BenchCase;
}

export interface BenchResult {
  name: string;
  group: string;
  shape: string;
  validated: string;
  /** 'gpu-timestamps' or 'wall'. */
  timing: string;
  medianMs: number;
  minMs: number;
  gflops: number;
  gbps: number;
  /** Launches per timed sample. */
  inner: number;
  samples: number[];
  /** Wall time per launch of the same samples (host encode + submit + GPU + sync). */
  wallSamples: number[];
  flops: number;
  bytes: number;
  /** Share of the adapter's measured ceilings (bench/ceilings.ts; filled in by the suite). */
  ofFmaPeak?: number;
  ofCopyBandwidth?: number;
  error?: string;
}

export interface TimingOptions {
  warmup: number;
  repeat: number;
  /** One launch per sample, no inner-loop sizing. */
  quick: boolean;
  /** Aim for samples this long (ms) by repeating launches inside one sample (max 50). */
  targetMs: number;
  /** Use timestamp queries when the device has them. */
  timestamps: boolean;
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** GPU time of whatever `encode` puts through the dispatcher, fenced by two timestamp passes. */
export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly readback: GPUBuffer;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: 'bench-timestamps' });
    this.resolve = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'bench-ts-resolve',
    });
    this.readback = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'bench-ts-read',
    });
  }

  static available(): boolean {
    return currentGpu().features.includes('timestamp-query');
  }

  private marker(index: number, resolve: boolean): GPUCommandBuffer {
    const enc = this.device.createCommandEncoder({ label: 'bench-ts-marker' });
    const pass = enc.beginComputePass({
      timestampWrites:
        index === 0
          ? { querySet: this.querySet, beginningOfPassWriteIndex: 0 }
          : { querySet: this.querySet, endOfPassWriteIndex: 1 },
    });
    pass.end();
    if (resolve) {
      enc.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      enc.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
    }
    return enc.finish();
  }

  /**
   * { gpuMs, wallMs } of the launches `encode` makes. They must all land in the one submit
   * after the first marker: `fenced` is false when the dispatcher submitted part of them early
   * (an upload inside the case flushes it), and gpuMs then misses that part.
   */
  async time(encode: () => void): Promise<{ gpuMs: number; wallMs: number; fenced: boolean }> {
    const d = dispatcher();
    await d.sync();
    // Count the dispatcher's submits while encoding (its flush(), wrapped on this instance for
    // the duration only).
    let early = 0;
    const flush = d.flush;
    d.flush = function (this: typeof d) {
      early++;
      flush.call(this);
    };
    const t0 = performance.now();
    try {
      d.schedule.holding(encode);
    } finally {
      delete (d as { flush?: unknown }).flush;
      if (d.flush !== flush) d.flush = flush;
    }
    this.device.queue.submit([this.marker(0, false)]);
    d.flush();
    this.device.queue.submit([this.marker(1, true)]);
    await d.sync();
    const wallMs = performance.now() - t0;
    await this.readback.mapAsync(GPUMapMode.READ);
    const ts = new BigUint64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    return { gpuMs: Number(ts[1] - ts[0]) / 1e6, wallMs, fenced: early === 0 };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.readback.destroy();
  }
}

let timer: GpuTimer | null = null;
let timerDevice: GPUDevice | null = null;

function gpuTimer(): GpuTimer {
  const device = currentGpu().device;
  if (!timer || timerDevice !== device) {
    timer = new GpuTimer(device);
    timerDevice = device;
  }
  return timer;
}

/** A result before any timing: no samples, every figure NaN. */
export function emptyResult(
  c: Pick<BenchResult, 'name' | 'group' | 'shape' | 'flops' | 'bytes'>,
  timing: BenchResult['timing'],
): BenchResult {
  const none = { medianMs: NaN, minMs: NaN, gflops: NaN, gbps: NaN, inner: 0, samples: [], wallSamples: [] };
  return {
    name: c.name,
    group: c.group,
    shape: c.shape,
    validated: '',
    timing,
    ...none,
    flops: c.flops,
    bytes: c.bytes,
  };
}

/** Validates, warms up, then times one case. Never throws: a failure is the result's `error`. */
export async function timeCase(c: BenchCase, o: TimingOptions): Promise<BenchResult> {
  const useTs = o.timestamps && GpuTimer.available();
  const base = emptyResult(c, useTs ? 'gpu-timestamps' : 'wall');
  const d = dispatcher();
  try {
    base.validated = await c.validate();
    let once = 0;
    for (let w = 0; w < Math.max(1, o.warmup); w++) {
      const t0 = performance.now();
      c.run();
      await d.sync();
      once = performance.now() - t0;
    }
    const inner = o.quick ? 1 : Math.max(1, Math.min(50, Math.round(o.targetMs / Math.max(once, 1e-3))));
    const samples: number[] = [];
    const wall: number[] = [];
    let timing = base.timing;
    for (let r = 0; r < o.repeat; r++) {
      if (useTs) {
        const t = await gpuTimer().time(() => {
          for (let i = 0; i < inner; i++) c.run();
        });
        // A case that submits mid-encode is not fenced by the markers: fall back to wall time.
        if (!t.fenced) timing = 'wall (the case submits while encoding)';
        samples.push((t.fenced ? t.gpuMs : t.wallMs) / inner);
        wall.push(t.wallMs / inner);
      } else {
        const t0 = performance.now();
        for (let i = 0; i < inner; i++) c.run();
        await d.sync();
        samples.push((performance.now() - t0) / inner);
        wall.push(samples[samples.length - 1]);
      }
    }
    if (timing !== base.timing) {
      // Mixed samples are not comparable: report wall time throughout.
      samples.splice(0, samples.length, ...wall);
    }
    const med = median(samples);
    return {
      ...base,
      timing,
      medianMs: med,
      minMs: Math.min(...samples),
      gflops: c.flops / (med * 1e6),
      gbps: c.bytes / (med * 1e6),
      inner,
      samples,
      wallSamples: wall,
    };
  } catch (e) {
    // Clear whatever the failure left queued, so the next case starts clean.
    await d.sync().catch(() => {});
    return { ...base, error: (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 300) };
  }
}

/** Device copy bandwidth (a ceiling for memory-bound kernels): copyBufferToBuffer of 64 MiB, GB/s read+write. */
export async function copyBandwidth(repeat = 3): Promise<number> {
  const d = dispatcher();
  const bytes = 64 << 20;
  const a = d.acquire(bytes, 'bench-copy-src');
  const b = d.acquire(bytes, 'bench-copy-dst');
  d.copy(a, b, bytes);
  await d.sync();
  const samples: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) d.copy(a, b, bytes);
    await d.sync();
    samples.push((performance.now() - t0) / 4);
  }
  d.pool.release(a);
  d.pool.release(b);
  // A ceiling: the best sample.
  return (2 * bytes) / (Math.min(...samples) * 1e6);
}
