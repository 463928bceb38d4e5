// Kernel timelines. While a KernelProfiler is attached, the dispatcher gives every launch a
// compute pass of its own whose beginning and end write GPU timestamps into a query set; each
// submit resolves its timestamps and copies them into mappable buffers read back at stop().
// Every launch is charged to the layer and phase of the profile scope (profile_scope.ts) it was
// encoded in. Without 'timestamp-query', or when the timestamps fail the sanity checks (all
// zero, going backwards, spanning more than the step's wall time), the step's launches are
// replayed one at a time on scratch buffers of the same sizes, each submitted and awaited
// alone ('replay'): same kernels, same shapes, wall-clock per dispatch including submit latency.
import type { Dispatcher, LaunchProfiler } from './dispatcher.js';
import { kernelDumpOf } from './pipeline_cache.js';
import { launchDefines, type TexelAccess } from './texel_access.js';
import type { Grid, KernelSpec } from './program.js';
import { currentScope, setScopeTracking, type Phase } from './profile_scope.js';
import { specialisationHash } from './shader_source.js';

export type TimingMethod = 'timestamp-query' | 'replay';

export interface DispatchRow {
  /** Launch order within the step (0-based) and the step (1-based). */
  index: number;
  step: number;
  kernel: string;
  /** Defines and override constants of the specialisation ('CORE=tiled ACT=1'). */
  variant: string;
  /** The specialisation hash; --dump-wgsl names its file <kernel>.<hash>.wgsl. */
  hash: string;
  /** Innermost layer (or the profiler's label for launches outside any layer). */
  layer: string;
  /** Layers from the outermost container in, joined by '/'. */
  path: string;
  phase: Phase;
  grid: Grid;
  workgroup: [number, number, number];
  flops: number | null;
  /** Start relative to the step's first dispatch, and duration, in ms. */
  startMs: number;
  ms: number;
  gflops: number | null;
  /** ms / the step's summed dispatch time. */
  share: number;
}

export interface StepProfile {
  step: number;
  method: TimingMethod;
  /** Why a step fell back to replay, or a remark about the timestamps (quantisation). */
  note: string | null;
  wallMs: number;
  gpuMs: number;
  rows: DispatchRow[];
}

interface Launch {
  spec: KernelSpec<unknown>;
  params: unknown;
  variant: string;
  hash: string;
  grid: Grid;
  sizes: number[];
  layer: string;
  path: string;
  phase: Phase;
  /** Query index within its encoder, then [chunk, slot] once resolved. */
  query: number;
  chunk: number;
  slot: number;
}

interface Chunk {
  buffer: GPUBuffer;
  used: number;
}

const QUERIES = 4096;

export interface ProfilerOptions {
  /** 'auto': timestamps when the device has 'timestamp-query', else replay. */
  method?: 'auto' | TimingMethod;
  /** The layer name of launches made outside any layer (loss, metrics). */
  outsideLabel?: string;
}

export class KernelProfiler implements LaunchProfiler {
  readonly method: TimingMethod;
  readonly methodReason: string;
  private readonly outsideLabel: string;
  private querySet: GPUQuerySet | null = null;
  private resolveBuffer: GPUBuffer | null = null;
  private chunks: Chunk[] = [];
  private encoderQueries = 0;
  private inEncoder: Launch[] = [];
  private launches: Launch[] = [];
  private stepNo = 0;
  private startedAt = 0;
  private attached = false;

  constructor(
    private readonly d: Dispatcher,
    o: ProfilerOptions = {},
  ) {
    const has = d.device.features.has('timestamp-query');
    const want = o.method ?? 'auto';
    this.outsideLabel = o.outsideLabel ?? '(outside layers)';
    if (want === 'replay') {
      this.method = 'replay';
      this.methodReason = 'replay requested';
    } else if (has) {
      this.method = 'timestamp-query';
      this.methodReason = 'GPU timestamps at the beginning and end of one compute pass per dispatch';
    } else if (want === 'timestamp-query') {
      throw new Error("dawnflow: this device has no 'timestamp-query' feature; profile with replay");
    } else {
      this.method = 'replay';
      this.methodReason = "no 'timestamp-query' on this device: each dispatch replayed alone, submitted and awaited";
    }
  }

  get full(): boolean {
    return this.encoderQueries + 2 > QUERIES;
  }

  /** Starts recording a step: pending work is submitted first, so it is not counted. */
  start(): void {
    if (this.attached) throw new Error('dawnflow: the profiler is already recording');
    if (this.d.profiler) throw new Error('dawnflow: another profiler is attached to the dispatcher');
    this.d.flush();
    this.launches = [];
    this.inEncoder = [];
    this.encoderQueries = 0;
    for (const c of this.chunks) c.used = 0;
    this.stepNo++;
    setScopeTracking(true);
    this.d.profiler = this;
    this.attached = true;
    this.startedAt = performance.now();
  }

  /** Ends the step: waits for its work, reads its timestamps (or replays it) and returns the rows. */
  async stop(): Promise<StepProfile> {
    if (!this.attached) throw new Error('dawnflow: the profiler is not recording');
    try {
      this.d.flush();
    } finally {
      this.d.profiler = null;
      this.attached = false;
      setScopeTracking(false);
    }
    await this.d.sync();
    const wallMs = performance.now() - this.startedAt;
    let method = this.method;
    let note: string | null = null;
    let times: { start: number; ms: number }[] | null = null;
    if (method === 'timestamp-query') {
      const t = await this.readTimestamps(wallMs);
      if (t.ok) {
        times = t.times;
        note = t.note;
      } else {
        method = 'replay';
        note = `timestamps unusable (${t.note}): replayed each dispatch alone instead`;
      }
    }
    times ??= await this.replay();
    const gpuMs = times.reduce((s, t) => s + t.ms, 0);
    const rows = this.launches.map((l, index): DispatchRow => {
      const flops = l.spec.flops ? l.spec.flops(l.params) : null;
      const { ms, start } = times![index];
      const [x, y, z] = l.spec.workgroup;
      return {
        index,
        step: this.stepNo,
        kernel: l.spec.name,
        variant: l.variant,
        hash: l.hash,
        layer: l.layer,
        path: l.path,
        phase: l.phase,
        grid: l.grid,
        workgroup: [x, y, z],
        flops,
        startMs: start,
        ms,
        gflops: flops !== null && ms > 0 ? flops / (ms * 1e6) : null,
        share: gpuMs > 0 ? ms / gpuMs : 0,
      };
    });
    this.launches = [];
    return { step: this.stepNo, method, note, wallMs, gpuMs, rows };
  }

  /** Ends a step that failed: detaches and forgets its launches without reading anything. */
  abort(): void {
    if (!this.attached) return;
    try {
      this.d.flush();
    } catch {
      // The step's own error is the one to report.
    }
    this.d.profiler = null;
    this.attached = false;
    setScopeTracking(false);
    this.launches = [];
    this.inEncoder = [];
    this.encoderQueries = 0;
  }

  /** Frees the query set and read-back buffers. */
  dispose(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    for (const c of this.chunks) c.buffer.destroy();
    this.querySet = null;
    this.resolveBuffer = null;
    this.chunks = [];
  }

  // --- the dispatcher's hook -------------------------------------------------------------------

  launch<P>(
    spec: KernelSpec<P>,
    params: P,
    grid: Grid,
    buffers: readonly GPUBuffer[],
    texel: TexelAccess | null,
  ): GPUComputePassTimestampWrites | undefined {
    const scope = currentScope();
    const own = spec.defines?.(params) ?? {};
    const defines = launchDefines(own, texel);
    const constants = spec.constants?.(params) ?? {};
    const l: Launch = {
      spec: spec as KernelSpec<unknown>,
      params,
      grid: [...grid],
      sizes: buffers.map((b) => b.size),
      // The kernel's own defines, and the texel access rather than the WGSL type it implies.
      variant: [...Object.entries(own), ...Object.entries(constants), ...(texel ? [['TEXEL', texel]] : [])]
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
      hash: specialisationHash(kernelDumpOf(spec, defines, constants)),
      layer: scope.path[scope.path.length - 1] ?? this.outsideLabel,
      path: scope.path.join('/') || this.outsideLabel,
      phase: scope.phase,
      query: -1,
      chunk: -1,
      slot: -1,
    };
    this.launches.push(l);
    if (this.method !== 'timestamp-query') return undefined;
    this.querySet ??= this.d.device.createQuerySet({ type: 'timestamp', count: QUERIES, label: 'profiler' });
    l.query = this.encoderQueries;
    this.encoderQueries += 2;
    this.inEncoder.push(l);
    return { querySet: this.querySet, beginningOfPassWriteIndex: l.query, endOfPassWriteIndex: l.query + 1 };
  }

  beforeSubmit(encoder: GPUCommandEncoder): void {
    const n = this.encoderQueries;
    if (n === 0) return;
    this.resolveBuffer ??= this.d.device.createBuffer({
      size: QUERIES * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'profiler-resolve',
    });
    encoder.resolveQuerySet(this.querySet!, 0, n, this.resolveBuffer, 0);
    let chunk = this.chunks.findIndex((c) => c.used + n <= QUERIES);
    if (chunk < 0) {
      const buffer = this.d.device.createBuffer({
        size: QUERIES * 8,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: 'profiler-timestamps',
      });
      chunk = this.chunks.push({ buffer, used: 0 }) - 1;
    }
    const c = this.chunks[chunk];
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, c.buffer, c.used * 8, n * 8);
    for (const l of this.inEncoder) [l.chunk, l.slot] = [chunk, c.used + l.query];
    c.used += n;
    this.encoderQueries = 0;
    this.inEncoder = [];
  }

  // --- reading timestamps ----------------------------------------------------------------------

  private async readTimestamps(
    wallMs: number,
  ): Promise<{ ok: boolean; note: string | null; times: { start: number; ms: number }[] }> {
    const values: BigUint64Array[] = [];
    for (const c of this.chunks) {
      if (c.used === 0) {
        values.push(new BigUint64Array(0));
        continue;
      }
      await c.buffer.mapAsync(GPUMapMode.READ, 0, c.used * 8);
      values.push(new BigUint64Array(c.buffer.getMappedRange(0, c.used * 8).slice(0)));
      c.buffer.unmap();
    }
    const raw = this.launches.map((l) => [values[l.chunk]?.[l.slot], values[l.chunk]?.[l.slot + 1]] as const);
    const check = checkTimestamps(raw, wallMs);
    if (!check.ok) return { ok: false, note: check.note, times: [] };
    const t0 = raw.length ? raw[0][0]! : 0n;
    const times = raw.map(([b, e]) => ({ start: Number(b! - t0) / 1e6, ms: Number(e! - b!) / 1e6 }));
    return { ok: true, note: check.note, times };
  }

  // --- replay ----------------------------------------------------------------------------------

  /** Each launch of the step again, alone, on zeroed scratch buffers: submit, await, wall time. */
  /** Dawn's own polling while replaying: a 1 ms poll would swamp the tiny dispatches. */
  private replay(): Promise<{ start: number; ms: number }[]> {
    return this.d.waits.exact(() => this.replayAll());
  }

  private async replayAll(): Promise<{ start: number; ms: number }[]> {
    const scratch = new Map<number, GPUBuffer[]>();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffersFor = (sizes: number[]) => {
      const taken = new Map<number, number>();
      return sizes.map((size) => {
        const k = taken.get(size) ?? 0;
        taken.set(size, k + 1);
        const list = scratch.get(size) ?? [];
        scratch.set(size, list);
        list[k] ??= this.d.device.createBuffer({ size, usage, label: 'profiler-replay' });
        return list[k];
      });
    };
    const counts = new Map(this.d.counts);
    try {
      await this.d.sync();
      // The latency of an await with nothing to do, subtracted from each measurement.
      const idle: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await this.d.sync();
        idle.push(performance.now() - t);
      }
      const base = idle.sort((a, b) => a - b)[2];
      const out: { start: number; ms: number }[] = [];
      let at = 0;
      for (const l of this.launches) {
        const buffers = buffersFor(l.sizes);
        const t = performance.now();
        this.d.launch(l.spec, l.params, buffers);
        await this.d.sync();
        const ms = Math.max(0, performance.now() - t - base);
        out.push({ start: at, ms });
        at += ms;
      }
      return out;
    } finally {
      for (const list of scratch.values()) for (const b of list) b?.destroy();
      // The replay is not part of the step: Dispatcher.counts keeps the step's launches only.
      this.d.counts.clear();
      for (const [k, v] of counts) this.d.counts.set(k, v);
    }
  }
}

/**
 * Whether a step's timestamps describe the step: present, not all zero, ends after beginnings,
 * beginnings in submission order, and the whole span within the step's wall time. The note says
 * what failed, or that Dawn quantised them (its timestamp_quantization toggle rounds to 2^16 ns).
 */
export function checkTimestamps(
  raw: readonly (readonly [bigint | undefined, bigint | undefined])[],
  wallMs: number,
): { ok: boolean; note: string | null } {
  if (raw.length === 0) return { ok: true, note: null };
  if (raw.some(([b, e]) => b === undefined || e === undefined)) return { ok: false, note: 'missing values' };
  const pairs = raw as readonly (readonly [bigint, bigint])[];
  if (pairs.every(([b, e]) => b === 0n && e === 0n)) return { ok: false, note: 'all zero' };
  if (pairs.some(([b, e]) => e < b)) return { ok: false, note: 'an end before its beginning' };
  if (pairs.every(([b, e]) => e === b)) return { ok: false, note: 'every duration zero' };
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i][0] < pairs[i - 1][0]) return { ok: false, note: 'beginnings out of submission order' };
  }
  const spanMs = Number(pairs[pairs.length - 1][1] - pairs[0][0]) / 1e6;
  if (spanMs > wallMs * 1.5 + 5)
    return { ok: false, note: `a span of ${spanMs.toFixed(1)} ms in a ${wallMs.toFixed(1)} ms step` };
  const quantum = 65536n;
  if (pairs.every(([b, e]) => b % quantum === 0n && e % quantum === 0n)) {
    return {
      ok: true,
      note: 'Dawn quantises timestamps to 65.5 us (its timestamp_quantization toggle): short dispatches read as 0 or 0.066 ms',
    };
  }
  return { ok: true, note: null };
}

// --- totals ------------------------------------------------------------------------------------

export interface KernelTotal {
  kernel: string;
  dispatches: number;
  ms: number;
  /** Of the summed dispatch time of all profiled steps. */
  share: number;
  meanMs: number;
  /** Over the dispatches whose kernel declares flops; null when none does. */
  gflops: number | null;
  variants: string[];
}

export interface LayerTotal {
  layer: string;
  path: string;
  dispatches: number;
  forwardMs: number;
  backwardMs: number;
  optimizerMs: number;
  ms: number;
  share: number;
}

/** Per-kernel and per-layer totals over rows, each sorted by time, longest first. */
export function totals(rows: readonly DispatchRow[]): { gpuMs: number; kernels: KernelTotal[]; layers: LayerTotal[] } {
  const gpuMs = rows.reduce((s, r) => s + r.ms, 0);
  const share = (ms: number) => (gpuMs > 0 ? ms / gpuMs : 0);
  const kernels = new Map<string, { n: number; ms: number; flops: number; flopMs: number; variants: Set<string> }>();
  const layers = new Map<string, LayerTotal>();
  for (const r of rows) {
    const k = kernels.get(r.kernel) ?? { n: 0, ms: 0, flops: 0, flopMs: 0, variants: new Set<string>() };
    kernels.set(r.kernel, k);
    k.n++;
    k.ms += r.ms;
    if (r.flops !== null) {
      k.flops += r.flops;
      k.flopMs += r.ms;
    }
    if (r.variant) k.variants.add(r.variant);
    const l = layers.get(r.path) ?? {
      layer: r.layer,
      path: r.path,
      dispatches: 0,
      forwardMs: 0,
      backwardMs: 0,
      optimizerMs: 0,
      ms: 0,
      share: 0,
    };
    layers.set(r.path, l);
    l.dispatches++;
    l.ms += r.ms;
    l[`${r.phase}Ms`] += r.ms;
  }
  const kernelRows = [...kernels].map(
    ([kernel, k]): KernelTotal => ({
      kernel,
      dispatches: k.n,
      ms: k.ms,
      share: share(k.ms),
      meanMs: k.ms / k.n,
      gflops: k.flopMs > 0 ? k.flops / (k.flopMs * 1e6) : null,
      variants: [...k.variants],
    }),
  );
  const layerRows = [...layers.values()].map((l) => ({ ...l, share: share(l.ms) }));
  return {
    gpuMs,
    kernels: kernelRows.sort((a, b) => b.ms - a.ms),
    layers: layerRows.sort((a, b) => b.ms - a.ms),
  };
}
