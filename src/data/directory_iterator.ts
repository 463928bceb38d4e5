// Keras's DirectoryIterator (flow_from_directory) as a batch source: a permutation of the files
// per pass (identity without shuffle), consecutive slices as batches (the last one short),
// images loaded as load_img does (resize to target_size, nearest by default); binary labels as
// float32 0/1.
//
// Decoding is the CPU's job and must not starve the GPU, so images are decoded by a pool of
// worker threads, kept decoded in an LRU cache (later passes never decode again) and requested
// `prefetch` batches ahead of the one being consumed. Files are requested in permutation order
// and a batch takes the next batchSize results in that order, so the batches do not depend on
// timing, thread count or prefetch depth.
//
// Unreadable files (corrupt, truncated, not an image): Keras stops on the first one. Here, by
// default, the file is skipped with one warning and left out of every later pass, and its batch
// takes the next file of the permutation instead. The listing, the labels and the permutations
// (always over all N listed files) stay as Keras makes them, so with no bad file the batches are
// exactly Keras's; with bad files each pass is the permutation with them removed, sliced into
// batches (the last one short, a pass may have fewer batches). `strict: true` throws instead.
import { join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import type { Batch, BatchSource } from '../nn/batches.js';
import { DecodePool, defaultThreads, type Decoded } from './decode_pool.js';
import { foundLine, listImageFolder, type ImageFolder } from './directory.js';
import { DEFAULT_CACHE_BYTES, ImageCache } from './image_cache.js';
import { bytesToFloat, type Interpolation } from './load_img.js';
import { PixelLoader, type LoaderStats } from './pixel_loader.js';
import { randomTransform, transformMatrix, validateAugment, type AugmentOptions } from './augment.js';
import { augmentBatch, uploadPixels } from '../kernels/augment.js';

export interface DirectoryIteratorOptions {
  targetSize?: [number, number];
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  rescale?: number;
  interpolation?: Interpolation;
  /** Prints Keras's `Found N images belonging to K classes.` (default true). */
  verbose?: boolean;
  /** Decode worker threads (default: one per core); 0 decodes on the main thread. */
  threads?: number;
  /** Byte budget of the decoded-image cache (default 1 GiB); 0 turns the cache off. */
  cacheBytes?: number;
  /** Batches requested ahead of the one being consumed (default 1). */
  prefetch?: number;
  /** Throw on an unreadable image (naming it) instead of skipping it with a warning. */
  strict?: boolean;
  /** A pool shared with other iterators (`threads` is then ignored; close() leaves it open). */
  pool?: DecodePool;
  /** A cache shared with other iterators (`cacheBytes` is then ignored). */
  cache?: ImageCache;
  /** ImageDataGenerator augmentation, applied on the GPU by next() (validation: leave unset). */
  augment?: AugmentOptions | null;
  /** Keras class_mode: 'binary' (y [n, 1], the default), 'categorical' (one-hot [n, K]), null (y [n, 0]). */
  classMode?: ClassMode;
}

export type ClassMode = 'binary' | 'categorical' | null;

/** One batch as decoded bytes: NHWC RGB uint8, n * h * w * 3. */
export interface PixelBatch {
  pixels: Uint8Array;
  n: number;
  /** Paths relative to the folder, like 'cats/cat.1.jpg'. */
  files: string[];
  labels: Float32Array;
  /** Indices into folder.files. */
  indices: Uint32Array;
  /** The pass (0, 1, ...) the batch belongs to. */
  pass: number;
}

export interface HostBatch {
  x: Float32Array;
  y: Float32Array;
  files: string[];
  pass: number;
}

export interface IteratorStats extends LoaderStats {
  /** Files skipped as unreadable so far. */
  skipped: number;
  /** Passes completed (the pass's last batch has been returned). */
  passes: number;
}

/** A requested file, or null where a pass ends. */
type Slot = { index: number; result: Promise<Decoded> } | null;
interface Got {
  index: number;
  data: Uint8Array;
}

export class DirectoryIterator implements BatchSource {
  readonly folder: ImageFolder;
  readonly samples: number;
  readonly batchSize: number;
  readonly targetSize: [number, number];
  /** Files skipped as unreadable, relative to the folder, in the order they were found. */
  readonly skipped: string[] = [];
  private readonly bad = new Set<number>();
  private readonly pool: DecodePool;
  private readonly ownsPool: boolean;
  private readonly loader: PixelLoader;
  private readonly prefetch: number;
  private order: Uint32Array;
  private pos = 0;
  private rng: Rng;
  private window: Slot[] = [];
  private requested = 0; // files (not pass ends) in the window
  private newBad = 0; // files found unreadable in this pass
  private passes = 0;
  private augmentRng: Rng;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    dir: string,
    private o: DirectoryIteratorOptions = {},
  ) {
    this.folder = listImageFolder(dir);
    if (o.verbose ?? true) console.log(foundLine(this.folder));
    this.samples = this.folder.files.length;
    this.batchSize = o.batchSize ?? 32;
    if (!(this.batchSize >= 1)) {
      throw new Error(`dawnflow: batch size must be >= 1, got ${this.batchSize}`);
    }
    this.prefetch = o.prefetch ?? 1;
    if (!(Number.isInteger(this.prefetch) && this.prefetch >= 0)) {
      throw new Error(`dawnflow: prefetch must be an integer >= 0, got ${this.prefetch}`);
    }
    this.targetSize = o.targetSize ?? [256, 256];
    this.rng = new Rng(o.seed ?? 0);
    // A second stream for augmentation, so turning it on does not change the batch order.
    this.augmentRng = new Rng(((o.seed ?? 0) ^ 0x5bd1e995) >>> 0);
    if (o.augment) validateAugment(o.augment);
    this.order = this.permutation();
    this.ownsPool = !o.pool;
    this.pool = o.pool ?? new DecodePool(o.threads ?? defaultThreads());
    const cache = o.cache ?? new ImageCache(o.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.loader = new PixelLoader(this.pool, cache, this.targetSize, o.interpolation ?? 'nearest');
  }

  /** Batches in the next pass (Keras's len(); fewer once unreadable files are left out). */
  get batchesPerPass(): number {
    return Math.ceil((this.samples - this.bad.size) / this.batchSize);
  }

  /** The factor pixels are multiplied by (Keras's rescale). */
  get rescale(): number {
    return this.o.rescale ?? 1;
  }

  get threads(): number {
    return this.pool.threads;
  }

  get cache(): ImageCache {
    return this.loader.cache;
  }

  get stats(): IteratorStats {
    return { ...this.loader.stats, skipped: this.skipped.length, passes: this.passes };
  }

  /** The next batch as uint8 pixels. Calls are served one after another, in call order. */
  nextPixels(): Promise<PixelBatch> {
    const next = this.chain.then(() => this.takeBatch());
    this.chain = next.catch(() => {});
    return next;
  }

  /** The next batch on the host: pixels (NHWC float32, times `rescale`), labels, file names. */
  async nextHost(): Promise<HostBatch> {
    const b = await this.nextPixels();
    const x = bytesToFloat(b.pixels, this.o.rescale ?? 1);
    return { x, y: b.labels, files: b.files, pass: b.pass };
  }

  /**
   * The next batch on the GPU: the uint8 pixels go up as they are, and one kernel applies the
   * augmentation (when set) and `rescale` to the whole batch. The per-image parameters are drawn
   * in batch order from the iterator's own seeded generator, so a seed repeats the augmentation.
   */
  async next(): Promise<Batch> {
    return this.toBatch(await this.nextPixels());
  }

  /**
   * The batches up to the end of the current pass (on a fresh iterator: exactly one pass), over
   * the files that decode. Unreadable files make a pass shorter than batchesPerPass said at the
   * start, so evaluating a fixed number of steps would wrap into the next pass and count some
   * images twice; this stops at the pass end instead.
   */
  async *onePass(): AsyncGenerator<Batch> {
    const pass = this.passes;
    while (this.passes === pass) {
      const b = await this.nextPixels();
      if (b.pass !== pass) return; // the pass ended on unreadable files: this is the next one
      yield this.toBatch(b);
    }
  }

  private toBatch(b: PixelBatch): Batch {
    const [h, w] = this.targetSize;
    const shape: [number, number, number, number] = [b.n, h, w, 3];
    const pixels = uploadPixels(b.pixels, shape);
    const aug = this.o.augment ?? null;
    const transforms = aug
      ? Array.from({ length: b.n }, () => {
          const p = randomTransform(aug, h, w, this.augmentRng);
          return { matrix: transformMatrix(p, h, w), flipHorizontal: p.flipHorizontal, flipVertical: p.flipVertical };
        })
      : null;
    const x = augmentBatch(pixels, shape, transforms, {
      fillMode: aug?.fillMode ?? 'nearest',
      cval: aug?.cval ?? 0,
      rescale: this.o.rescale ?? 1,
    });
    pixels.dispose();
    return { x, y: this.labelTensor(b.labels), size: b.n };
  }

  /** Labels as class_mode asks: float32 0/1 column, one-hot rows, or none. */
  private labelTensor(labels: Float32Array): Tensor {
    const mode = this.o.classMode === undefined ? 'binary' : this.o.classMode;
    const n = labels.length;
    if (mode === 'binary') return Tensor.fromArray(labels, [n, 1]);
    if (mode === null) return Tensor.fromArray(new Float32Array(0), [n, 0]);
    const k = this.folder.classes.length;
    const onehot = new Float32Array(n * k);
    labels.forEach((c, i) => (onehot[i * k + c] = 1));
    return Tensor.fromArray(onehot, [n, k]);
  }

  /** Stops the decode workers (unless the pool was passed in); the iterator is then unusable. */
  async close(): Promise<void> {
    this.closed = true;
    this.window = [];
    if (this.ownsPool) await this.pool.close();
  }

  private permutation(): Uint32Array {
    const p = Uint32Array.from({ length: this.samples }, (_, i) => i);
    if (!(this.o.shuffle ?? true)) return p;
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng.next() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }

  private async takeBatch(): Promise<PixelBatch> {
    if (this.closed) throw new Error(`dawnflow: the iterator over ${this.folder.dir} is closed`);
    const got: Got[] = [];
    let pass = this.passes;
    while (got.length < this.batchSize) {
      this.request(this.batchSize - got.length, true);
      const slot = this.window.shift();
      if (slot === undefined) throw this.noneReadable();
      if (slot === null) {
        this.endPass();
        if (got.length) break;
        continue;
      }
      this.requested--;
      const r = await slot.result;
      if (!r.ok) this.unreadable(slot.index, r);
      else {
        if (got.length === 0) pass = this.passes;
        got.push({ index: slot.index, data: r.data });
      }
    }
    // A batch that ends its pass ends it now, so `passes` counts the passes fully returned.
    if (this.window[0] === null) {
      this.window.shift();
      this.endPass();
    }
    this.request(this.prefetch * this.batchSize);
    return this.assemble(got, pass);
  }

  /**
   * Requests files in permutation order until `files` are in the window, marking pass ends;
   * for the batch being taken (`toPassEnd`) not past the end of its pass.
   */
  private request(files: number, toPassEnd = false): void {
    // The window runs in order, so a pass end in it is the current pass's end.
    if (toPassEnd && this.window.includes(null)) return;
    while (this.requested < files && this.bad.size < this.samples) {
      const index = this.order[this.pos++];
      if (!this.bad.has(index)) {
        const path = join(this.folder.dir, this.folder.files[index]);
        this.window.push({ index, result: this.loader.load(path) });
        this.requested++;
      }
      if (this.pos === this.samples) {
        this.window.push(null);
        this.order = this.permutation();
        this.pos = 0;
        if (toPassEnd) return;
      }
    }
  }

  private unreadable(index: number, r: Decoded & { ok: false }): void {
    if (r.fatal || this.o.strict) throw new Error(r.message);
    if (this.bad.has(index)) return; // failed again in a request made before it was known bad
    this.bad.add(index);
    const file = this.folder.files[index];
    this.skipped.push(file);
    this.newBad++;
    const reason = reasonOf(r.message, join(this.folder.dir, file));
    console.warn(`dawnflow: warning: skipping ${file}: ${reason}`);
  }

  private endPass(): void {
    if (this.newBad > 0) {
      console.warn(
        `dawnflow: warning: ${this.skipped.length} of ${this.samples} images in ` +
          `${this.folder.dir} could not be read; they are left out from now on`,
      );
    }
    if (this.bad.size >= this.samples) throw this.noneReadable();
    this.passes++;
    this.newBad = 0;
  }

  private noneReadable(): Error {
    return new Error(
      `dawnflow: ${this.folder.dir}: none of the ${this.samples} images could be read (see the warnings above)`,
    );
  }

  private assemble(got: Got[], pass: number): PixelBatch {
    const [h, w] = this.targetSize;
    const per = h * w * 3;
    const pixels = new Uint8Array(got.length * per);
    got.forEach((g, i) => pixels.set(g.data, i * per));
    const indices = Uint32Array.from(got, (g) => g.index);
    const files = Array.from(indices, (i) => this.folder.files[i]);
    const labels = Float32Array.from(indices, (i) => this.folder.labels[i]);
    return { pixels, n: got.length, files, labels, indices, pass };
  }
}

/**
 * The problem part of a `dawnflow: <path>: <problem>; <advice>` message, for a one-line
 * warning that already says what happens to the file (it is skipped).
 */
export function reasonOf(message: string, path: string): string {
  const prefix = `dawnflow: ${path}: `;
  const body = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  let depth = 0;
  let cut = body.length;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '(') depth++;
    else if (body[i] === ')') depth = Math.max(0, depth - 1);
    else if (body[i] === ';' && depth === 0 && i > 0) cut = i;
  }
  return body.slice(0, cut).trim();
}
