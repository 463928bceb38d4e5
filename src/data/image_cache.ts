// Decoded, resized images kept in memory so that later passes over a folder never decode again:
// the chapter's 2000 training images at 150x150 are 135 MB, a fraction of the default budget.
// Least recently used entries go first when a new one would exceed the byte budget.
import { resolve } from 'node:path';
import type { Interpolation } from './load_img.js';

export const DEFAULT_CACHE_BYTES = 2 ** 30;

export interface CacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class ImageCache {
  // A Map iterates in insertion order; re-inserting on each hit keeps the LRU entry first.
  private map = new Map<string, Uint8Array>();
  private used = 0;
  private counts = { hits: 0, misses: 0, evictions: 0 };

  constructor(readonly budgetBytes = DEFAULT_CACHE_BYTES) {
    if (!(budgetBytes >= 0)) {
      throw new Error(`dawnflow: cacheBytes must be >= 0, got ${budgetBytes}`);
    }
  }

  get(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.counts.misses++;
      return undefined;
    }
    this.counts.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** Keeps `data` (not a copy: callers must not write to it); too large for the budget: no-op. */
  set(key: string, data: Uint8Array): void {
    if (data.byteLength > this.budgetBytes) return;
    this.delete(key);
    while (this.used + data.byteLength > this.budgetBytes) this.evictOldest();
    this.map.set(key, data);
    this.used += data.byteLength;
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.used -= v.byteLength;
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }

  get stats(): CacheStats {
    return { entries: this.map.size, bytes: this.used, ...this.counts };
  }

  private evictOldest(): void {
    const oldest = this.map.keys().next().value as string;
    this.delete(oldest);
    this.counts.evictions++;
  }
}

/** The file (absolute, so two iterators can share a cache), target size and filter. */
export function cacheKey(path: string, size: [number, number], interp: Interpolation): string {
  return `${size[0]}x${size[1]} ${interp} ${resolve(path)}`;
}
