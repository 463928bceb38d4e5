// One image at the iterator's target size: from the cache when there, else decoded by the pool
// (once, even when two batches in flight ask for the same file) and then cached.
import type { DecodePool, Decoded } from './decode_pool.js';
import { cacheKey, type ImageCache } from './image_cache.js';
import type { Interpolation } from './load_img.js';

export interface LoaderStats {
  /** Files handed to a decoder (successful or not). */
  decoded: number;
  /** Files answered from the cache or from a decode already in flight. */
  cacheHits: number;
}

export class PixelLoader {
  readonly stats: LoaderStats = { decoded: 0, cacheHits: 0 };
  private inflight = new Map<string, Promise<Decoded>>();

  constructor(
    private pool: DecodePool,
    readonly cache: ImageCache,
    private targetSize: [number, number],
    private interpolation: Interpolation,
  ) {}

  load(path: string): Promise<Decoded> {
    const key = cacheKey(path, this.targetSize, this.interpolation);
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return Promise.resolve({ ok: true, data: hit });
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.stats.cacheHits++;
      return pending;
    }
    this.stats.decoded++;
    const { targetSize, interpolation } = this;
    const p = this.pool.decode({ path, targetSize, interpolation }).then((d) => {
      this.inflight.delete(key);
      if (d.ok) this.cache.set(key, d.data);
      return d;
    });
    this.inflight.set(key, p);
    return p;
  }
}
