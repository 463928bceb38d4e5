// Keras's DirectoryIterator (flow_from_directory) as a batch source: a permutation of the files
// per pass (identity without shuffle), consecutive slices as batches (the last one short),
// images loaded with load_img (resize to target_size, nearest by default) and multiplied by
// `rescale`; binary labels as float32 0/1. The data issue adds decode workers and augmentation.
import { join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { Rng } from '../tensor/random.js';
import type { Batch, BatchSource } from '../nn/data.js';
import { foundLine, listImageFolder, type ImageFolder } from './directory.js';
import { loadImage, toFloatBatch, type Interpolation } from './load_img.js';

export interface DirectoryIteratorOptions {
  targetSize?: [number, number];
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  rescale?: number;
  interpolation?: Interpolation;
  /** Prints Keras's `Found N images belonging to K classes.` (default true). */
  verbose?: boolean;
}

export interface HostBatch { x: Float32Array; y: Float32Array; files: string[] }

export class DirectoryIterator implements BatchSource {
  readonly folder: ImageFolder;
  readonly samples: number;
  readonly batchesPerPass: number;
  readonly batchSize: number;
  readonly targetSize: [number, number];
  private order: Uint32Array;
  private pos = 0;
  private rng: Rng;

  constructor(dir: string, private o: DirectoryIteratorOptions = {}) {
    this.folder = listImageFolder(dir);
    if (o.verbose ?? true) console.log(foundLine(this.folder));
    this.samples = this.folder.files.length;
    this.batchSize = o.batchSize ?? 32;
    if (!(this.batchSize >= 1)) throw new Error(`dawnflow: batch size must be >= 1, got ${this.batchSize}`);
    this.targetSize = o.targetSize ?? [256, 256];
    this.batchesPerPass = Math.ceil(this.samples / this.batchSize);
    this.rng = new Rng(o.seed ?? 0);
    this.order = this.permutation();
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

  /** The next batch's indices into folder.files, starting a new pass when one ends. */
  private nextIndices(): Uint32Array {
    if (this.pos >= this.samples) {
      this.order = this.permutation();
      this.pos = 0;
    }
    const idx = this.order.subarray(this.pos, Math.min(this.pos + this.batchSize, this.samples));
    this.pos += idx.length;
    return idx;
  }

  /** The next batch on the host: pixels (NHWC float32, rescaled), labels and file names. */
  nextHost(): HostBatch {
    const idx = this.nextIndices();
    const files = Array.from(idx, (i) => this.folder.files[i]);
    const images = files.map((f) => loadImage(join(this.folder.dir, f), {
      targetSize: this.targetSize, interpolation: this.o.interpolation ?? 'nearest',
    }));
    const x = toFloatBatch(images, this.o.rescale ?? 1);
    const y = Float32Array.from(idx, (i) => this.folder.labels[i]);
    return { x, y, files };
  }

  async next(): Promise<Batch> {
    const b = this.nextHost();
    const [h, w] = this.targetSize;
    return { x: Tensor.fromArray(b.x, [b.y.length, h, w, 3]), y: Tensor.fromArray(b.y, [b.y.length, 1]), size: b.y.length };
  }
}
