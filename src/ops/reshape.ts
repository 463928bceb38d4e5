// Reshape and Flatten: views of the same storage (no kernel); the gradient is reshaped back.
// Flatten is Keras's batch_flatten of NHWC, flat index (h*W + w)*C + c.
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt, sizeOf } from '../tensor/shape.js';

/** `shape` may hold one -1, inferred from the size. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = sizeOf(shape.filter((d) => d !== -1));
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1 || (holes === 1 && (known === 0 || x.size % known !== 0))) {
    throw new Error(`dawnflow: cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
  }
  const full = shape.map((d) => (d === -1 ? x.size / known : d));
  const y = x.view(full);
  return record(y, 'reshape', [x], (g) => [g.view(x.shape)]);
}

/** [N, ...] -> [N, prod(...)]. */
export function flatten(x: Tensor): Tensor {
  if (x.rank < 1) throw new Error(`dawnflow: flatten needs a batch axis, got ${fmt(x.shape)}`);
  return reshape(x, [x.shape[0], sizeOf(x.shape.slice(1))]);
}
