// Keras 2.3.1's binary_crossentropy: the mean over all elements of the per-element loss (per sample
// Keras averages the last axis, then the batch; with equal sizes that is the overall mean).
// Keras 2.3.1 hands the per-element loss to tf.keras.backend.binary_crossentropy
// (keras-team/keras@2.3.1 keras/backend/tensorflow_backend.py:3412-3426, called from
// keras/losses.py:699-708), which in TF 1.15.0 and 2.0.0 (tensorflow/python/keras/backend.py
// :4455-4484 and :4559-4588) has two branches:
// - fromLogits: the output was produced by a Sigmoid op and the loss takes that op's input z,
//   max(z, 0) - z*y + log(1 + e^(-|z|)), gradient sigmoid(z) - y, no clip;
// - otherwise, on probabilities p: clip p to [eps, 1 - eps], then -(y log(p + eps) + (1 - y) log(1 - p + eps)).
// Which branch a model's output takes is decided in src/nn/loss.ts. Kernel and raw launchers:
// src/kernels/bce.ts.
import { record } from '../autograd/tape.js';
import { reshapeOwned, type Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { reduceMiddle } from '../kernels/reduce.js';
import { bceGradRaw, bceRaw } from '../kernels/bce.js';

export { EPSILON } from '../kernels/bce.js';

export interface BceOptions {
  fromLogits?: boolean;
}

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
