// The relu mask, fused into the max pool that follows a relu layer. A Keras Conv2D(relu) followed
// by MaxPooling2D took, per step, a pool backward (dy routed to each window's winner) and then a
// binary pass over the conv's whole output for relu' (dz = dy where y > 0): on lavapipe those
// binaries were ~6% of the from-scratch convnet's step. A winner's y is its window's max, so
// relu'(z) at the winner is (max > 0): the pool's forward writes "no winner" for a window whose
// max is not positive, its backward then routes nothing there, and the conv's backward skips the
// binary. The result is the same dz: the other cells of a window get no gradient either way.
//
// Two marks make it local, with no graph analysis:
//   - reluOutput(y): y = relu(z) from an op whose backward applies relu' (conv2d, dense);
//   - maskedGradient(g, y): g, the gradient of y, already holds relu'. It stays with that one
//     tensor: a gradient summed with another one's (y used twice) is a new, unmarked tensor and
//     gets relu' applied, which is still exact (relu' is 0 or 1, and 0 wherever the pool dropped
//     a window, since y = 0 there).
import type { Tensor } from '../tensor/tensor.js';
import { activationGrad, type Activation } from '../kernels/activation.js';

const reluOutputs = new WeakSet<Tensor>();
const masked = new WeakMap<Tensor, Tensor>();

/** Marks y as the output of a fused relu (whose op applies relu' in its backward); returns y. */
export function markReluOutput(y: Tensor, act: Activation): Tensor {
  if (act === 'relu') reluOutputs.add(y);
  return y;
}

/** Whether x is marked by markReluOutput. */
export const isReluOutput = (x: Tensor): boolean => reluOutputs.has(x);

/** Marks g, a gradient of the relu output y, as already multiplied by relu'. */
export function markMaskedGradient(g: Tensor, y: Tensor): void {
  masked.set(g, y);
}

/** dz from dy through the activation whose output is y: dy itself where it already holds relu'. */
export function gradThroughActivation(dy: Tensor, y: Tensor, act: Activation): Tensor {
  if (act === 'relu' && masked.get(dy) === y) return dy;
  return activationGrad(dy, y, act);
}
