// fit(x, y)'s batches: Keras's array iterator over tensors already on the GPU. The index order is
// ArraySource's (same permutation, same random draws), and each batch is gathered by one buffer
// copy per sample, so fit(x, y) sees exactly the batches fit over the same host arrays would.
import { dispatcher } from '../gpu/engine.js';
import { globalRng, type Rng } from '../tensor/random.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { permutation, type Batch, type BatchSource } from './batches.js';

/** Checks that x and y are batch-major, float32 and have one label per sample. */
export function checkXY(x: Tensor, y: Tensor, what: string): number {
  const n = x.shape[0];
  if (x.rank < 2) throw new Error(`dawnflow: ${what}: x is ${fmt(x.shape)}; give it a batch axis first`);
  if (x.dtype !== 'float32' || y.dtype !== 'float32') throw new Error(`dawnflow: ${what}: x and y must be float32`);
  if (y.size !== n)
    throw new Error(`dawnflow: ${what}: ${n} samples in x but y is ${fmt(y.shape)} (one label per sample)`);
  if (n === 0) throw new Error(`dawnflow: ${what}: no samples`);
  return n;
}

export class TensorSource implements BatchSource {
  readonly samples: number;
  readonly batchesPerPass: number;
  private order: Uint32Array;
  private pos = 0;

  constructor(
    private readonly x: Tensor,
    private readonly y: Tensor,
    readonly batchSize: number,
    private readonly shuffle: boolean,
    private readonly rng: Rng = globalRng(),
  ) {
    this.samples = checkXY(x, y, 'training data');
    if (!(batchSize >= 1)) throw new Error(`dawnflow: batch size must be >= 1, got ${batchSize}`);
    this.batchesPerPass = Math.ceil(this.samples / batchSize);
    this.order = permutation(this.samples, shuffle, rng);
  }

  async next(): Promise<Batch> {
    if (this.pos >= this.samples) {
      this.order = permutation(this.samples, this.shuffle, this.rng);
      this.pos = 0;
    }
    const idx = this.order.subarray(this.pos, Math.min(this.pos + this.batchSize, this.samples));
    this.pos += idx.length;
    return {
      x: gather(this.x, idx, this.x.shape.slice(1)),
      y: gather(this.y, idx, [1]),
      size: idx.length,
    };
  }
}

/** Rows `idx` of a batch-major tensor, copied in that order into a new [idx.length, ...item]. */
function gather(t: Tensor, idx: Uint32Array, item: readonly number[]): Tensor {
  const bytes = (t.size / t.shape[0]) * 4;
  const out = Tensor.empty([idx.length, ...item], 'float32', 'batch-gather');
  const d = dispatcher();
  idx.forEach((s, i) => d.copy(t.buffer, out.buffer, bytes, s * bytes, i * bytes));
  return out;
}
