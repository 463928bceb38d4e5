// Batches for training: in-memory arrays (approach 1's features) with Keras's per-pass shuffle,
// and the interface every batch source (the directory iterator, augmentation) implements.
import { Tensor } from '../tensor/tensor.js';
import { globalRng, type Rng } from '../tensor/random.js';
import { fmt, sizeOf } from '../tensor/shape.js';

/** A batch on the GPU; whoever takes it from next() disposes it. */
export interface Batch {
  x: Tensor;
  y: Tensor;
  size: number;
}

/** An endless batch stream, like a Keras generator / Sequence iterator. */
export interface BatchSource {
  next(): Promise<Batch>;
  /** Samples in one pass over the data. */
  readonly samples: number;
  /** Batches in one pass (Keras len(sequence)). */
  readonly batchesPerPass: number;
}

export interface ArrayData {
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
}

export function checkArrays(d: ArrayData, what: string): number {
  const n = d.xShape[0];
  if (d.x.length !== sizeOf(d.xShape))
    throw new Error(`dawnflow: ${what}: x has ${d.x.length} values, shape ${fmt(d.xShape)} needs ${sizeOf(d.xShape)}`);
  if (d.y.length !== n) throw new Error(`dawnflow: ${what}: ${n} samples but ${d.y.length} labels`);
  if (n === 0) throw new Error(`dawnflow: ${what}: no samples`);
  return n;
}

/** Keras's index order for one pass: a Fisher-Yates shuffle of 0..n-1, or the identity. */
export function permutation(n: number, shuffle: boolean, rng: Rng): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return p;
  for (let i = p.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * Keras's Iterator over arrays: a permutation per pass (or the identity without shuffle),
 * consecutive slices of it as batches, the last one short when batchSize does not divide n.
 */
export class ArraySource implements BatchSource {
  readonly samples: number;
  readonly batchesPerPass: number;
  private order: Uint32Array;
  private pos = 0;
  private readonly item: number;

  constructor(
    private d: ArrayData,
    readonly batchSize: number,
    private shuffle: boolean,
    private rng: Rng = globalRng(),
  ) {
    this.samples = checkArrays(d, 'training data');
    if (!(batchSize >= 1)) throw new Error(`dawnflow: batch size must be >= 1, got ${batchSize}`);
    this.batchesPerPass = Math.ceil(this.samples / batchSize);
    this.item = sizeOf(d.xShape.slice(1));
    this.order = this.permutation();
  }

  private permutation(): Uint32Array {
    return permutation(this.samples, this.shuffle, this.rng);
  }

  async next(): Promise<Batch> {
    if (this.pos >= this.samples) {
      this.order = this.permutation();
      this.pos = 0;
    }
    const idx = this.order.subarray(this.pos, Math.min(this.pos + this.batchSize, this.samples));
    this.pos += idx.length;
    const x = new Float32Array(idx.length * this.item);
    const y = new Float32Array(idx.length);
    idx.forEach((s, i) => {
      x.set(this.d.x.subarray(s * this.item, (s + 1) * this.item), i * this.item);
      y[i] = this.d.y[s];
    });
    return {
      x: Tensor.fromArray(x, [idx.length, ...this.d.xShape.slice(1)]),
      y: Tensor.fromArray(y, [idx.length, 1]),
      size: idx.length,
    };
  }
}

/** Host arrays as the [x, y] tensors fit(x, y) takes (y as [n, 1]); the caller frees them. */
export function toTensors(d: ArrayData): [Tensor, Tensor] {
  const n = checkArrays(d, 'arrays');
  return [Tensor.fromArray(d.x, d.xShape), Tensor.fromArray(d.y, [n, 1])];
}
