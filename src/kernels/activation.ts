// The activations that the GEMM, conv and Winograd kernels fuse into their epilogue (the ACT
// specialisation constant), and the gradient through one, taken from the activation's output.
import type { Tensor } from '../tensor/tensor.js';
import { binaryRaw } from './elementwise.js';

export type Activation = 'linear' | 'relu' | 'sigmoid';
export const ACT_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2 };

/** The gradient w.r.t. the pre-activation, from the activation's output y. */
export function activationGrad(g: Tensor, y: Tensor, act: Activation): Tensor {
  if (act === 'relu') return binaryRaw('reluGrad', g, y);
  if (act === 'sigmoid') return binaryRaw('sigmoidGrad', g, y);
  return g;
}
