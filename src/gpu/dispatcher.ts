// Encodes kernel launches into one compute pass, submits every `maxPerSubmit` launches, and is
// the only place bind groups are made. Validation and out-of-memory errors are caught with an
// error scope per submit; they surface (naming the kernels of that submit) at the next readback
// or sync, which are the only awaits. DAWNFLOW_SYNC=1 submits and checks every launch alone.
import { BufferPool } from './buffer_pool.js';
import { PipelineCache } from './pipeline_cache.js';
import type { KernelSpec } from './program.js';
import { packUniforms } from './uniforms.js';
import { deviceLost } from './device.js';

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const MAX_UNIFORMS = 4096;

type Describer = (b: GPUBuffer, limit: number) => string;

/** Names a buffer a kernel cannot bind; the tensor module, which knows shapes, installs its own. */
let describeBuffer: Describer = (b, limit) =>
  `dawnflow: a ${b.size}-byte buffer is larger than this adapter's maxStorageBufferBindingSize (${limit})`;

export function setBufferDescriber(f: Describer): void {
  describeBuffer = f;
}

interface UniformEntry { buffer: GPUBuffer; batch: number }

export class Dispatcher {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** Launches per kernel name since the last resetCounts(): tests check what was dispatched. */
  readonly counts = new Map<string, number>();
  maxPerSubmit = 64;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchKernels = new Set<string>();
  private launches = 0;
  private batch = 0;
  private uniforms = new Map<string, UniformEntry>();
  private scopes: Promise<string | null>[] = [];
  private readonly syncEach = process.env.DAWNFLOW_SYNC === '1';

  constructor(readonly device: GPUDevice, readonly limits: Record<string, number>) {
    this.pool = new BufferPool(device, limits.maxBufferSize ?? 268435456);
    this.pipelines = new PipelineCache(device);
  }

  /** A storage buffer of at least `bytes` from the pool. */
  acquire(bytes: number, label = ''): GPUBuffer {
    return this.pool.acquire(bytes, STORAGE, label, this.maxBinding);
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
    for (const b of buffers) {
      if (b.size > this.maxBinding) throw new Error(`${describeBuffer(b, this.maxBinding)} (kernel ${spec.name})`);
    }
    this.counts.set(spec.name, (this.counts.get(spec.name) ?? 0) + 1);
    if (gx * gy * gz === 0) return;
    const pass = this.computePass();
    const { pipeline, layout } = this.pipelines.get(spec, spec.defines?.(params) ?? {}, spec.constants?.(params) ?? {});
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (spec.uniforms.length) {
      const data = packUniforms(spec.name, spec.uniforms, spec.values(params));
      entries.push({ binding: buffers.length, resource: { buffer: this.uniformBuffer(data) } });
    }
    const bindGroup = this.device.createBindGroup({ layout, entries, label: spec.name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy, gz);
    this.batchKernels.add(spec.name);
    if (++this.launches >= this.maxPerSubmit || this.syncEach) this.flush();
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.commandEncoder();
    this.endPass();
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Uploads host data. Pending launches are submitted first so the write lands after them. */
  write(dst: GPUBuffer, data: ArrayBufferView, dstOffset = 0): void {
    this.flush();
    this.device.queue.writeBuffer(dst, dstOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const kernels = [...this.batchKernels].join(', ') || 'copies';
    this.device.queue.submit([this.encoder.finish()]);
    const oom = this.device.popErrorScope();
    const validation = this.device.popErrorScope();
    this.scopes.push(Promise.all([validation, oom]).then(([v, o]) => {
      const e = v ?? o;
      return e ? `dawnflow: GPU ${o && !v ? 'out-of-memory' : 'validation'} error in [${kernels}]: ${e.message}` : null;
    }));
    this.encoder = null;
    this.batchKernels.clear();
    this.launches = 0;
    this.batch++;
  }

  /** Waits for every submitted command and throws the first GPU error among them. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Copies `bytes` of `src` back to the host: the one awaited GPU path. */
  async read(src: GPUBuffer, bytes: number, srcOffset = 0): Promise<ArrayBuffer> {
    const usage = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const staging = this.pool.acquire(bytes, usage, 'readback');
    try {
      this.copy(src, staging, Math.ceil(bytes / 4) * 4, srcOffset, 0);
      this.flush();
      await staging.mapAsync(GPUMapMode.READ, 0, Math.ceil(bytes / 4) * 4);
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
      size: data.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true, label: 'uniforms',
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
