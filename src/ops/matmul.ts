// Dense layers and plain matrix products. Forward: Y = act(X.W + b), X [M,K], W [K,N], b [N].
// Backward (of the linear part): dX = dZ.W^T, dW = X^T.dZ, db = sum over rows of dZ, where dZ is
// dY through the activation. The launcher (gemmRaw): src/kernels/matmul.ts.
import { record } from '../autograd/tape.js';
import { reshapeOwned, type Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import type { Activation } from '../kernels/activation.js';
import { reduceMiddle } from '../kernels/reduce.js';
import { gemmRaw } from '../kernels/matmul.js';
import { gradThroughActivation, markReluOutput } from './relu_mask.js';

/** a . b with gradients. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const y = gemmRaw(a, b);
  return record(y, 'matmul', [a, b], (g, needs) => [
    needs[0] ? gemmRaw(g, b, { transB: true }) : null,
    needs[1] ? gemmRaw(a, g, { transA: true }) : null,
  ]);
}

/** Keras Dense: y = act(x . w + b). x: [M, in], w: [in, units], b: [units] or null. */
export function dense(x: Tensor, w: Tensor, b: Tensor | null, act: Activation = 'linear'): Tensor {
  if (w.rank !== 2 || x.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new Error(`dawnflow: dense input ${fmt(x.shape)} does not fit kernel ${fmt(w.shape)}`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
    throw new Error(`dawnflow: dense bias ${fmt(b.shape)} does not fit kernel ${fmt(w.shape)}`);
  }
  const y = gemmRaw(x, w, { bias: b, act });
  const inputs = b ? [x, w, b] : [x, w];
  markReluOutput(y, act);
  return record(y, 'dense', inputs, (g, needs) => {
    const dz = gradThroughActivation(g, y, act);
    const grads = [
      needs[0] ? gemmRaw(dz, w, { transB: true }) : null,
      needs[1] ? gemmRaw(x, dz, { transA: true }) : null,
      b && needs[2] ? reshapeOwned(reduceMiddle(dz, 1, dz.shape[0], dz.shape[1]), b.shape) : null,
    ];
    if (dz !== g) dz.dispose();
    return grads;
  });
}
