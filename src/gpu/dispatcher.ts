// Encodes kernel launches into one compute pass, submits them in batches (submit_schedule.ts),
// and is the only place bind groups are made. Validation and out-of-memory errors are caught with an
// error scope per submit; they surface (naming the kernels of that submit) at the next readback
// or sync, which are the only awaits. DAWNFLOW_SYNC=1 submits and checks every launch alone.
import { type Bound, BindGroupCache } from './bind_groups.js';
import { BufferPool } from './buffer_pool.js';
import { PipelineCache } from './pipeline_cache.js';
import type { Grid, KernelSpec } from './program.js';
import { packUniforms } from './uniforms.js';
import { deviceLost } from './device.js';
import { encodeBufferToTexture, TexturePool } from './texture_pool.js';
import { StagedCopies } from './staged_copies.js';
import { stageF16Kernel } from './texture_precision.js';
import { GpuWaiter } from './gpu_wait.js';
import { SubmitSchedule } from './submit_schedule.js';
import { setting } from '../util/settings.js';
import { launchDefines, type TexelAccess, type TexelPolicy } from './texel_access.js';

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const MAX_UNIFORMS = 4096;

type Describer = (b: GPUBuffer, limit: number) => string;

/** Names a buffer a kernel cannot bind; the tensor module, which knows shapes, installs its own. */
let describeBuffer: Describer = (b, limit) =>
  `dawnflow: a ${b.size}-byte buffer is larger than this adapter's maxStorageBufferBindingSize (${limit})`;

export function setBufferDescriber(f: Describer): void {
  describeBuffer = f;
}

interface UniformEntry {
  buffer: GPUBuffer;
  batch: number;
}

/** What the dispatcher consults while a profiler (profiler.ts) is attached: Dispatcher.profiler. */
export interface LaunchProfiler {
  /** True when the current encoder holds as many timestamps as the query set: flush first. */
  readonly full: boolean;
  /** A launch about to be encoded in a pass of its own: its timestamp writes, if any. */
  launch<P>(
    spec: KernelSpec<P>,
    params: P,
    grid: Grid,
    buffers: readonly GPUBuffer[],
    /** How its texture operands are read; null if it has none. */
    texel: TexelAccess | null,
  ): GPUComputePassTimestampWrites | undefined;
  /** The encoder is about to be finished and submitted: resolve its timestamps. */
  beforeSubmit(encoder: GPUCommandEncoder): void;
}

export class Dispatcher {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly textures: TexturePool;
  /** Staged textures kept while their buffer is unwritten, for the next launch that reads it. */
  readonly stagedCopies: StagedCopies;
  /** Bind groups kept for the objects they bind (bind_groups.ts). */
  readonly bindGroups: BindGroupCache;
  /** Launches per kernel name since the last resetCounts(): tests check what was dispatched. */
  readonly counts = new Map<string, number>();
  /** When the encoder is submitted: at most every `schedule.max` launches. */
  readonly schedule = new SubmitSchedule();
  /** How kernels read their 'texture' operands now (texel_access.ts); setTexelAccess switches. */
  private access: TexelAccess;
  /** While set (KernelProfiler.start/stop), every launch gets its own pass with timestamps. */
  profiler: LaunchProfiler | null = null;
  /** Awaits GPU work with Dawn's polling on a timer instead of a busy loop (gpu_wait.ts). */
  readonly waits = new GpuWaiter();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchKernels = new Set<string>();
  private launches = 0;
  private batch = 0;
  private uniforms = new Map<string, UniformEntry>();
  private scopes: Promise<string | null>[] = [];
  /** Per buffer, how many writes were encoded into it: see generation(). */
  private writes = new WeakMap<GPUBuffer, number>();
  private readonly syncEach = setting('DAWNFLOW_SYNC');
  /**
   * Whether 'texture' operands may be staged as rgba16float (written by a compute kernel as a
   * write-only storage texture): a core WebGPU format, so any device that is not in
   * compatibility mode. 'shader-f16' is not needed: no WGSL f16 arithmetic is involved. An
   * adapter fact for the kernel planner, which asks for f16 staging only where this holds.
   */
  readonly halfStorage: boolean;

  constructor(
    readonly device: GPUDevice,
    readonly limits: Record<string, number>,
    /** How kernels read 'texture' operands on this device (texel_access.ts). */
    private readonly texels: TexelPolicy = { access: 'sampled', storageCapable: false },
  ) {
    this.pool = new BufferPool(device, limits.maxBufferSize ?? 268435456);
    this.pipelines = new PipelineCache(device);
    this.textures = new TexturePool(device, limits.maxTextureDimension2D ?? 8192, texels.storageCapable);
    this.access = texels.access;
    this.stagedCopies = new StagedCopies(this.textures);
    this.bindGroups = new BindGroupCache(device);
    this.halfStorage = device.features.has('core-features-and-limits');
  }

  /** A storage buffer of at least `bytes` from the pool. */
  acquire(bytes: number, label = ''): GPUBuffer {
    return this.pool.acquire(bytes, STORAGE, label, this.maxBinding);
  }

  /**
   * A count that changes whenever a write into `buffer` is encoded: a launch binding it
   * read_write, a copy into it, an upload. Every write goes through this class, so a value
   * derived from a buffer (Winograd's transformed weights of a frozen layer) is still valid
   * while the count is the one it was made at (src/kernels/derived.ts).
   */
  generation(buffer: GPUBuffer): number {
    return this.writes.get(buffer) ?? 0;
  }

  private wrote(buffer: GPUBuffer): void {
    this.writes.set(buffer, this.generation(buffer) + 1);
    this.stagedCopies.drop(buffer);
  }

  /** The largest storage buffer a kernel can bind on this adapter. */
  get maxBinding(): number {
    return this.limits.maxStorageBufferBindingSize ?? 134217728;
  }

  launch<P>(spec: KernelSpec<P>, params: P, buffers: readonly GPUBuffer[]): void {
    if (buffers.length !== spec.bindings.length) {
      throw new Error(`dawnflow: kernel ${spec.name} takes ${spec.bindings.length} buffers, got ${buffers.length}`);
    }
    const [gx, gy, gz] = spec.dispatch(params);
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    if (Math.max(gx, gy, gz) > maxDim) {
      throw new Error(`dawnflow: kernel ${spec.name} grid ${gx}x${gy}x${gz} exceeds ${maxDim} per dimension`);
    }
    if (spec.bindings.includes('storage_texture_rgba16f')) {
      throw new Error(`dawnflow: kernel ${spec.name}: storage-texture bindings are the dispatcher's own (stage_f16)`);
    }
    for (const [i, b] of buffers.entries()) {
      if (spec.bindings[i] === 'texture' || b.size <= this.maxBinding) continue;
      throw new Error(`${describeBuffer(b, this.maxBinding)} (kernel ${spec.name})`);
    }
    this.counts.set(spec.name, (this.counts.get(spec.name) ?? 0) + 1);
    for (const [i, b] of buffers.entries()) if (spec.bindings[i] === 'read_write') this.wrote(b);
    if (gx * gy * gz === 0) return;
    if (this.profiler?.full) this.flush();
    for (const [binding, bytes] of spec.cleared?.(params) ?? []) this.clear(buffers[binding], bytes);
    const staged = this.stageTextures(spec, params, buffers);
    const texel = staged.size ? this.accessOf(staged) : null;
    const pass = this.profiler
      ? this.ownPass(this.profiler.launch(spec, params, [gx, gy, gz], buffers, texel))
      : this.computePass();
    const defines = launchDefines(spec.defines?.(params) ?? {}, texel);
    const { pipeline, layout } = this.pipelines.get(spec, defines, spec.constants?.(params) ?? {}, texel ?? 'sampled');
    const bound: Bound[] = buffers.map((buffer, binding) => {
      const tex = staged.get(binding);
      return tex ? this.textures.view(tex) : buffer;
    });
    if (spec.uniforms.length) {
      bound.push(this.uniformBuffer(packUniforms(spec.name, spec.uniforms, spec.values(params))));
    }
    const bindGroup = this.bindGroups.get(layout, bound, spec.name);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy, gz);
    if (this.profiler) this.endPass();
    this.batchKernels.add(spec.name);
    if (this.schedule.due(++this.launches) || this.syncEach) this.flush();
  }

  /** Switches how 'texture' operands are read (tests run kernels both ways on one device). */
  setTexelAccess(access: TexelAccess): void {
    if (access === 'storage' && !this.texels.storageCapable) {
      throw new Error('dawnflow: this device reads texture operands as sampled textures only');
    }
    this.flush();
    this.access = access;
  }

  get texelAccess(): TexelAccess {
    return this.access;
  }

  /** The device's texel access, unless an operand is rgba16float (only sampled reads take both). */
  private accessOf(staged: Map<number, GPUTexture>): TexelAccess {
    if (this.access === 'sampled') return 'sampled';
    for (const t of staged.values()) if (t.format !== 'rgba32float') return 'sampled';
    return 'storage';
  }

  /**
   * Stages each 'texture' operand into a pooled texture. f32: a copy, which ends the compute pass
   * if there is one. f16 (the spec's `staging`, from the launch's plan): a stage_f16 dispatch in
   * the current pass, except for an operand larger than one storage binding, which keeps the f32
   * copy. A copy of the buffer's current contents kept from an earlier launch is used instead
   * (staged_copies.ts); every staged texture is kept there, which gives it back.
   */
  private stageTextures<P>(spec: KernelSpec<P>, params: P, buffers: readonly GPUBuffer[]): Map<number, GPUTexture> {
    const staged = new Map<number, GPUTexture>();
    if (!spec.bindings.includes('texture')) return staged;
    const floats = spec.textureFloats?.(params) ?? [];
    const half = spec.staging?.(params) === 'f16';
    if (half && !this.halfStorage) {
      throw new Error(`dawnflow: kernel ${spec.name} asks for f16 staging, which this device lacks`);
    }
    let t = 0;
    spec.bindings.forEach((a, i) => {
      if (a !== 'texture') return;
      const n = floats[t++];
      if (n === undefined || n % 4 !== 0) throw new Error(`dawnflow: kernel ${spec.name} texture ${i} has ${n} floats`);
      const format = half && n * 4 <= this.maxBinding ? 'rgba16float' : 'rgba32float';
      const generation = this.generation(buffers[i]);
      const kept = this.stagedCopies.find(buffers[i], generation, n / 4, format);
      if (kept) {
        staged.set(i, kept);
        return;
      }
      const tex = this.textures.acquire(n / 4, spec.name, format);
      if (format === 'rgba16float') {
        this.stageF16(buffers[i], tex, n / 4);
      } else {
        this.commandEncoder();
        this.endPass();
        encodeBufferToTexture(this.encoder!, buffers[i], tex, n / 4);
      }
      this.stagedCopies.keep(buffers[i], tex, generation, n / 4, format);
      staged.set(i, tex);
    });
    return staged;
  }

  /**
   * Encodes stage_f16: the first `texels` texels of `src` (f32) rounded into `dst`, an
   * rgba16float texture with STORAGE_BINDING, in texture_pool.ts's layout. Counted in `counts`;
   * outside the profiler's timed passes, like the f32 staging copies. stageTextures uses it;
   * public so tests can stage into a texture of their own and read it back.
   */
  stageF16(src: GPUBuffer, dst: GPUTexture, texels: number): void {
    const spec = stageF16Kernel;
    const p = { texels };
    this.counts.set(spec.name, (this.counts.get(spec.name) ?? 0) + 1);
    if (texels === 0) return;
    const { pipeline, layout } = this.pipelines.get(spec, spec.defines?.(p) ?? {}, spec.constants?.(p) ?? {});
    const data = packUniforms(spec.name, spec.uniforms, spec.values(p));
    const bindGroup = this.device.createBindGroup({
      layout,
      label: spec.name,
      entries: [
        // Exactly the operand: the pooled buffer may be larger (and past one binding).
        { binding: 0, resource: { buffer: src, size: texels * 16 } },
        { binding: 1, resource: this.textures.view(dst) },
        { binding: 2, resource: { buffer: this.uniformBuffer(data) } },
      ],
    });
    // In the current compute pass: WebGPU orders a dispatch's storage write before the next
    // dispatch's read of the same texture. Under the profiler this is an untimed pass of its own.
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...spec.dispatch(p));
    this.batchKernels.add(spec.name);
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.wrote(dst);
    this.commandEncoder();
    this.endPass();
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * Zeroes the first `bytes` of dst (a multiple of 4) in the command stream: on lavapipe a
   * memset. Outside any pass, so a profile does not count it in the kernel's time (as with
   * staging copies); the bench's timer spans it.
   */
  private clear(dst: GPUBuffer, bytes: number): void {
    this.wrote(dst);
    this.commandEncoder();
    this.endPass();
    this.encoder!.clearBuffer(dst, 0, bytes);
  }

  /** Uploads host data. Pending launches are submitted first so the write lands after them. */
  write(dst: GPUBuffer, data: ArrayBufferView, dstOffset = 0): void {
    this.wrote(dst);
    this.flush();
    this.device.queue.writeBuffer(dst, dstOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const kernels = [...this.batchKernels].join(', ') || 'copies';
    this.profiler?.beforeSubmit(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    const oom = this.device.popErrorScope();
    const validation = this.device.popErrorScope();
    this.scopes.push(
      Promise.all([validation, oom]).then(([v, o]) => {
        const e = v ?? o;
        return e
          ? `dawnflow: GPU ${o && !v ? 'out-of-memory' : 'validation'} error in [${kernels}]: ${e.message}`
          : null;
      }),
    );
    this.encoder = null;
    this.batchKernels.clear();
    this.launches = 0;
    this.batch++;
    this.schedule.submitted();
  }

  /** Awaits `work`, submitted last; if nothing was submitted meanwhile, the queue is empty now. */
  private async drain<T>(work: () => Promise<T>): Promise<T> {
    const batch = this.batch;
    const out = await this.waits.wait(work);
    if (this.batch === batch) this.schedule.drained();
    return out;
  }

  /** Waits for every submitted command and throws the first GPU error among them. */
  async sync(): Promise<void> {
    this.flush();
    await this.drain(() => this.device.queue.onSubmittedWorkDone());
    await this.checkErrors();
  }

  /** Copies `bytes` of `src` back to the host: the one awaited GPU path. */
  async read(src: GPUBuffer, bytes: number, srcOffset = 0): Promise<ArrayBuffer> {
    const usage = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const staging = this.pool.acquire(bytes, usage, 'readback');
    try {
      this.copy(src, staging, Math.ceil(bytes / 4) * 4, srcOffset, 0);
      this.flush();
      await this.drain(() => staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(bytes / 4) * 4));
      const out = staging.getMappedRange(0, Math.ceil(bytes / 4) * 4).slice(0, bytes);
      staging.unmap();
      await this.checkErrors();
      return out;
    } catch (e) {
      await this.checkErrors();
      throw e;
    } finally {
      this.pool.release(staging);
    }
  }

  resetCounts(): void {
    this.counts.clear();
  }

  private async checkErrors(): Promise<void> {
    const pending = this.scopes;
    this.scopes = [];
    const messages = (await Promise.all(pending)).filter((m): m is string => m !== null);
    const lost = deviceLost();
    if (lost) throw new Error(lost);
    if (messages.length) throw new Error(messages[0]);
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      const lost = deviceLost();
      if (lost) throw new Error(lost);
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    const enc = this.commandEncoder();
    this.pass ??= enc.beginComputePass();
    return this.pass;
  }

  /** A pass of its own for one profiled launch, writing the profiler's timestamps. */
  private ownPass(timestampWrites: GPUComputePassTimestampWrites | undefined): GPUComputePassEncoder {
    const enc = this.commandEncoder();
    this.endPass();
    this.pass = enc.beginComputePass(timestampWrites ? { timestampWrites } : {});
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /**
   * Uniform blocks are immutable and cached by content, so sizes that repeat every step cost no
   * upload. Eviction only takes entries whose last use was already submitted.
   */
  private uniformBuffer(data: Uint8Array): GPUBuffer {
    const key = Buffer.from(data).toString('base64');
    const hit = this.uniforms.get(key);
    if (hit) {
      this.uniforms.delete(key);
      hit.batch = this.batch;
      this.uniforms.set(key, hit);
      return hit.buffer;
    }
    if (this.uniforms.size >= MAX_UNIFORMS) this.evictUniforms();
    const buffer = this.device.createBuffer({
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
      label: 'uniforms',
    });
    new Uint8Array(buffer.getMappedRange()).set(data);
    buffer.unmap();
    this.uniforms.set(key, { buffer, batch: this.batch });
    return buffer;
  }

  private evictUniforms(): void {
    for (const [key, entry] of this.uniforms) {
      if (this.uniforms.size < MAX_UNIFORMS / 2) break;
      if (entry.batch >= this.batch) continue;
      entry.buffer.destroy();
      this.uniforms.delete(key);
    }
  }
}
