// Softmax over the last axis (Keras's softmax activation), forward and backward.
// Kernel and raw launchers: src/kernels/softmax.ts.
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { softmaxBackwardRaw, softmaxRaw } from '../kernels/softmax.js';

export function softmax(x: Tensor): Tensor {
  if (x.rank < 1 || x.size === 0) throw new Error(`dawnflow: softmax needs a non-empty tensor, got ${x.describe()}`);
  const y = softmaxRaw(x);
  return record(y, 'softmax', [x], (g) => [softmaxBackwardRaw(y, g)]);
}
