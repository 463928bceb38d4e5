// Staged copies kept for reuse. A texture operand is staged by a copy into a pooled texture, and
// on lavapipe that copy is a memmove on the one thread that runs the queue, while the shader
// threads wait. Many operands are staged twice unchanged: a layer's forward and its backward read
// the same weights (dense) and the same patches or Winograd transform of x (the weight gradient),
// 18% of the bytes staged per step of the from-scratch convnet. So a staged texture stays tied to
// its buffer until the buffer is written again (the dispatcher's write count, generation()), and a
// launch that stages the same buffer at the same count, format and at most the same size reuses
// it. The cache is bounded in bytes and gives back its least recently used textures first.
import type { StagingFormat, TexturePool } from './texture_pool.js';

/** What StagedCopies needs of the texture pool. */
export type TextureReleaser = Pick<TexturePool, 'release'>;

interface Copy {
  texture: GPUTexture;
  generation: number;
  texels: number;
  format: StagingFormat;
  bytes: number;
}

/**
 * Bytes of staged textures kept for reuse at most (software adapters: host memory). The
 * from-scratch convnet's step at batch 4 keeps at most 122 MB and reuses 13 copies a step (10
 * at 64 MiB); the bound is also what a forward-only run, which reuses nothing, holds in vain:
 * 256 MiB put `npm start`'s peak RSS at 2.17 GB against 1.7 without the cache.
 */
export const STAGED_CACHE_BYTES = 128 * 2 ** 20;

export class StagedCopies {
  private copies = new Map<GPUBuffer, Copy>();
  private bytes = 0;
  /** Launches' texture operands served by a kept copy, and copies made. */
  readonly stats = { reused: 0, staged: 0 };

  constructor(
    private textures: TextureReleaser,
    private capacity = STAGED_CACHE_BYTES,
  ) {}

  /** The texture holding at least `texels` texels of `buffer` as of `generation`, if one is kept. */
  find(buffer: GPUBuffer, generation: number, texels: number, format: StagingFormat): GPUTexture | null {
    const c = this.copies.get(buffer);
    if (!c || c.generation !== generation || c.format !== format || c.texels < texels) return null;
    // Most recently used last: eviction walks from the front.
    this.copies.delete(buffer);
    this.copies.set(buffer, c);
    this.stats.reused++;
    return c.texture;
  }

  /** Keeps `texture`, just staged from `buffer` at `generation`, in place of any older copy. */
  keep(buffer: GPUBuffer, texture: GPUTexture, generation: number, texels: number, format: StagingFormat): void {
    this.drop(buffer);
    this.stats.staged++;
    const bytes = texture.width * texture.height * (format === 'rgba16float' ? 8 : 16);
    this.copies.set(buffer, { texture, generation, texels, format, bytes });
    this.bytes += bytes;
    for (const [b] of this.copies) {
      if (this.bytes <= this.capacity || b === buffer) break;
      this.drop(b);
    }
  }

  /**
   * Gives back the copy of `buffer` (written again, so stale). Safe at once: a later copy into the
   * texture is encoded, so it runs, after every launch already encoded that reads it.
   */
  drop(buffer: GPUBuffer): void {
    const c = this.copies.get(buffer);
    if (!c) return;
    this.copies.delete(buffer);
    this.bytes -= c.bytes;
    this.textures.release(c.texture);
  }

  /** Gives back every kept copy (before trimming the texture pool, or measuring it). */
  clear(): void {
    for (const b of [...this.copies.keys()]) this.drop(b);
  }

  /** Bytes kept now. */
  get keptBytes(): number {
    return this.bytes;
  }
}
