// maxPool2d(conv2d(...)) as one op for the forwards that need no gradient: a Keras Conv2D followed
// by MaxPooling2D in a frozen base or at inference (src/nn/container.ts finds the pairs). Where a
// gradient will be asked for, it is the two recorded ops; otherwise src/kernels/conv_pool.ts
// runs it, with the pooling fused into the conv's kernel where the planner allows.
import { isGradEnabled } from '../autograd/tape.js';
import { conv2dMaxPoolRaw, convPoolFuses } from '../kernels/conv_pool.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Conv2DOptions, conv2d, conv2dGeometry } from './conv2d.js';
import { maxPool2d, type Pool2DOptions, pool2dGeometry } from './maxpool2d.js';

/** Whether a gradient of the conv's output will be asked for (the tape would record the conv). */
export function convNeedsGrad(x: Tensor, w: Tensor, b: Tensor | null): boolean {
  return isGradEnabled() && (x.requiresGrad || w.requiresGrad || !!b?.requiresGrad);
}

function geometries(xs: readonly number[], ws: readonly number[], c: Conv2DOptions, p: Pool2DOptions) {
  const g = conv2dGeometry(xs, ws, c);
  return { g, pg: pool2dGeometry([g.batch, g.OH, g.OW, g.CO], p) };
}

/**
 * Whether conv2dMaxPool2d on these shapes writes the pooled map from the conv's kernel (no
 * conv output, no pool pass) when no gradient is needed; the layers ask before pairing up.
 */
export function conv2dMaxPool2dFuses(
  xs: readonly number[],
  ws: readonly number[],
  c: Conv2DOptions = {},
  p: Pool2DOptions = {},
): boolean {
  const { g, pg } = geometries(xs, ws, c, p);
  return convPoolFuses(g, pg);
}

/** maxPool2d(conv2d(x, w, b, c), p): the same values, without the conv output where no gradient needs it. */
export function conv2dMaxPool2d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  c: Conv2DOptions = {},
  p: Pool2DOptions = {},
): Tensor {
  if (convNeedsGrad(x, w, b)) return maxPool2d(conv2d(x, w, b, c), p);
  const { g, pg } = geometries(x.shape, w.shape, c, p);
  if (b && (b.rank !== 1 || b.shape[0] !== g.CO)) {
    throw new Error(`dawnflow: conv2d bias ${fmt(b.shape)} does not fit ${g.CO} filters`);
  }
  return conv2dMaxPoolRaw(x, w, b, g, c.activation ?? 'linear', pg);
}
