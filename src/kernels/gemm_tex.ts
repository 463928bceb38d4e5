// Plain matrix products on the texture-fed conv kernels: a dense layer is a 1x1 convolution of
// a [M, 1, 1, K] image, so X.W, dZ.W^T and X^T.dZ are its forward, backward-input and
// backward-weight. Used where convVariant picks a texture variant, with the same channel rules.
import { dispatcher } from '../gpu/engine.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import type { Activation } from './activation.js';
import type { ConvGeometry } from './conv_types.js';
import {
  convVariant, planTexWeight, texBackwardInputKernel, texBackwardWeightKernel, texForwardKernels,
} from './conv_tex.js';
import { reduceMiddle } from './reduce.js';

/** The geometry of a 1x1 convolution over `pixels` positions, CI -> CO channels. */
function pointwise(pixels: number, CI: number, CO: number): ConvGeometry {
  return { batch: pixels, H: 1, W: 1, CI, OH: 1, OW: 1, CO, KH: 1, KW: 1, SH: 1, SW: 1, PT: 0, PL: 0 };
}

/** act(a . b + bias), a [M, K], b [K, N]; null where the texture kernels do not apply. */
export function texMatmul(a: Tensor, b: Tensor, bias: Tensor | null, act: Activation): Tensor | null {
  const [M, K] = a.shape;
  const N = b.shape[1];
  const variant = convVariant('forward', pointwise(M, K, N));
  if (variant === 'gemm' || variant === 'wino') return null;  // wino is never legal for 1x1
  const y = Tensor.empty([M, N], 'float32', 'matmul');
  dispatcher().launch(texForwardKernels[variant], { g: pointwise(M, K, N), M, N, bias: !!bias, act },
    [a.buffer, b.buffer, (bias ?? a).buffer, y.buffer]);
  return y;
}

/** dz . w^T, dz [M, N], w [K, N] -> [M, K]; null where the texture kernels do not apply. */
export function texMatmulTransB(dz: Tensor, w: Tensor): Tensor | null {
  const [M, N] = dz.shape;
  const K = w.shape[0];
  if (convVariant('backward_input', pointwise(M, K, N)) !== 'sg') return null;
  const dx = Tensor.empty([M, K], 'float32', 'matmul');
  dispatcher().launch(texBackwardInputKernel, { g: pointwise(M, K, N), M, N: K, bias: false, act: 'linear' },
    [dz.buffer, w.buffer, dz.buffer, dx.buffer]);
  return dx;
}

/** x^T . dz, x [P, K], dz [P, N] -> [K, N]; null where the texture kernels do not apply. */
export function texMatmulTransA(x: Tensor, dz: Tensor): Tensor | null {
  const [P, K] = x.shape;
  const N = dz.shape[1];
  if (convVariant('backward_weight', pointwise(P, K, N)) !== 'sg') return null;
  const p = planTexWeight(pointwise(P, K, N));
  const part = Tensor.empty([p.S * K, N], 'float32', 'matmul');
  dispatcher().launch(texBackwardWeightKernel, p, [x.buffer, dz.buffer, part.buffer]);
  if (p.S === 1) return part;
  const dw = reduceMiddle(part, 1, p.S, K * N);
  part.dispose();
  return reshapeOwned(dw, [K, N]);
}
