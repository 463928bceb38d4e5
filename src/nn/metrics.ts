// Keras metrics for a 1-unit sigmoid output: binary_accuracy = mean(equal(y, round(p))).
import { binaryRaw } from '../kernels/elementwise.js';
import { reduceMiddle } from '../kernels/reduce.js';
import { reshapeOwned, type Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../tensor/shape.js';

/** A scalar tensor: the fraction of elements where round(p) equals the 0/1 target. */
export function binaryAccuracy(target: Tensor, p: Tensor): Tensor {
  if (!sameShape(target.shape, p.shape)) {
    throw new Error(`dawnflow: accuracy target ${fmt(target.shape)} and output ${fmt(p.shape)} differ`);
  }
  const hits = binaryRaw('accHit', target, p);
  const acc = reduceMiddle(hits, 1, p.size, 1, 1 / p.size);
  hits.dispose();
  return reshapeOwned(acc, []);
}

/** Keras 2.3 names a metric by the string passed to compile ('acc' or 'accuracy'). */
export function checkMetric(name: string): string {
  if (name !== 'acc' && name !== 'accuracy') {
    throw new Error(`dawnflow: metric '${name}' is not supported (use 'acc' or 'accuracy')`);
  }
  return name;
}
