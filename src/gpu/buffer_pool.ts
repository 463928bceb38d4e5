// Reuses GPU buffers through free lists keyed by (usage, size class). Size classes are quarter
// steps between powers of two (1, 1.25, 1.5, 1.75 x 2^k), so at most 25% of a buffer is slack.
// Freed buffers keep their old contents: every kernel writes all of its outputs.

export interface PoolStats {
  /** Bytes of buffers handed out and not yet released. */
  bytesInUse: number;
  /** Highest bytesInUse seen since the last resetPeak(). */
  peakBytesInUse: number;
  /** Bytes of all GPU buffers the pool owns (in use plus free). */
  bytesAllocated: number;
  buffersAllocated: number;
}

export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 16) * 16);
  const pow = 2 ** Math.floor(Math.log2(b));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) if (pow * f >= b) return pow * f;
  return 2 * pow;
}

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private stats: PoolStats = { bytesInUse: 0, peakBytesInUse: 0, bytesAllocated: 0, buffersAllocated: 0 };
  private inUse = new Set<GPUBuffer>();

  constructor(
    private device: GPUDevice,
    private maxBufferSize: number,
  ) {}

  /**
   * A buffer of at least `bytes`. Size classes never round a buffer past `cap` (for storage
   * buffers, maxStorageBufferBindingSize, so whatever fits the binding limit stays bindable);
   * above it the exact size is used, up to maxBufferSize.
   */
  acquire(bytes: number, usage: number, label = '', cap = this.maxBufferSize): GPUBuffer {
    if (bytes > this.maxBufferSize) {
      throw new Error(
        `dawnflow: ${label || 'a buffer'} needs ${bytes} bytes, more than the adapter's ` +
          `maxBufferSize (${this.maxBufferSize}); use a smaller batch`,
      );
    }
    let size = sizeClass(bytes);
    if (size > Math.min(cap, this.maxBufferSize) || bytes > cap) size = Math.ceil(bytes / 16) * 16;
    const buf = this.free.get(`${usage}:${size}`)?.pop() ?? this.create(size, usage, label);
    this.take(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.inUse.delete(buf)) throw new Error('dawnflow: buffer released twice or not from the pool');
    this.stats.bytesInUse -= buf.size;
    const key = `${buf.usage}:${buf.size}`;
    const list = this.free.get(key);
    if (list) list.push(buf);
    else this.free.set(key, [buf]);
  }

  /** Destroys every free buffer (GPU memory goes back; in-use buffers are untouched). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.stats.bytesAllocated -= b.size;
        this.stats.buffersAllocated--;
        b.destroy();
      }
    }
    this.free.clear();
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }

  resetPeak(): void {
    this.stats.peakBytesInUse = this.stats.bytesInUse;
  }

  private create(size: number, usage: number, label: string): GPUBuffer {
    const buf = this.device.createBuffer({ size, usage, label: label || `pool-${size}` });
    this.stats.bytesAllocated += size;
    this.stats.buffersAllocated++;
    return buf;
  }

  private take(buf: GPUBuffer): void {
    this.inUse.add(buf);
    this.stats.bytesInUse += buf.size;
    this.stats.peakBytesInUse = Math.max(this.stats.peakBytesInUse, this.stats.bytesInUse);
  }
}
