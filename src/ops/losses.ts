// Keras's binary_crossentropy: the mean over all elements of the per-element loss (per sample
// Keras averages the last axis, then the batch; with equal sizes that is the overall mean).
// Kernel and raw launchers: src/kernels/bce.ts.
import { record } from '../autograd/engine.js';
import { reshapeOwned, type Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { reduceMiddle } from '../kernels/reduce.js';
import { bceGradRaw, bceRaw } from '../kernels/bce.js';

export { EPSILON } from '../kernels/bce.js';

export interface BceOptions { fromLogits?: boolean }

/** Mean binary cross-entropy of predictions `pred` (probabilities or logits) against `target`. */
export function binaryCrossentropy(target: Tensor, pred: Tensor, o: BceOptions = {}): Tensor {
  if (!sameShape(target.shape, pred.shape)) {
    throw new Error(`dawnflow: binary_crossentropy target ${fmt(target.shape)} and output ${fmt(pred.shape)} differ`);
  }
  if (pred.size === 0) throw new Error('dawnflow: binary_crossentropy of an empty batch');
  const fromLogits = o.fromLogits ?? false;
  const n = pred.size;
  const perElement = bceRaw(target, pred, fromLogits);
  const loss = reshapeOwned(reduceMiddle(perElement, 1, n, 1, 1 / n), []);
  perElement.dispose();
  return record(loss, 'binaryCrossentropy', [target, pred], (g, needs) => {
    if (needs[0]) throw new Error('dawnflow: binary_crossentropy has no gradient w.r.t. the target');
    return [null, bceGradRaw(target, pred, g, fromLogits)];
  });
}
