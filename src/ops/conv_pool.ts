// maxPool2d(conv2d(...)) as one op: a Keras Conv2D followed by MaxPooling2D (the Conv2D layer's
// applyPooled finds the pairs). src/kernels/conv_pool.ts runs it, with the pooling fused into the
// conv's kernel where the planner allows, so the full-size conv output is never written. Where a
// gradient will be asked for, the fused kernel also keeps the pool's winners (relu' folded in)
// and the op's backward is the pool's backward then the conv's; where it does not fuse (or the
// activation is sigmoid), it is the two recorded ops.
import { isGradEnabled, record } from '../autograd/tape.js';
import type { Activation } from '../kernels/activation.js';
import { conv2dMaxPoolCodes, conv2dMaxPoolRaw, convPoolFuses, convPoolFusesForGrad } from '../kernels/conv_pool.js';
import { pool2dBackwardRaw } from '../kernels/pool.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Conv2DOptions, conv2d, conv2dGeometry, conv2dGrads } from './conv2d.js';
import { maxPool2d, type Pool2DOptions, type PoolGeometry, pool2dGeometry } from './maxpool2d.js';
import type { ConvGeometry } from '../kernels/conv_types.js';

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
 * conv output, no pool pass), with a gradient to come (`grad`) or not; the layers ask before
 * pairing up.
 */
export function conv2dMaxPool2dFuses(
  xs: readonly number[],
  ws: readonly number[],
  c: Conv2DOptions = {},
  p: Pool2DOptions = {},
  grad = false,
): boolean {
  const { g, pg } = geometries(xs, ws, c, p);
  return grad ? convPoolFusesForGrad(g, pg, c.activation ?? 'linear') : convPoolFuses(g, pg);
}

/** maxPool2d(conv2d(x, w, b, c), p): the same values, without the conv output where no gradient needs it. */
export function conv2dMaxPool2d(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  c: Conv2DOptions = {},
  p: Pool2DOptions = {},
): Tensor {
  const { g, pg } = geometries(x.shape, w.shape, c, p);
  if (b && (b.rank !== 1 || b.shape[0] !== g.CO)) {
    throw new Error(`dawnflow: conv2d bias ${fmt(b.shape)} does not fit ${g.CO} filters`);
  }
  const act = c.activation ?? 'linear';
  if (!convNeedsGrad(x, w, b)) return conv2dMaxPoolRaw(x, w, b, g, act, pg);
  if (!convPoolFusesForGrad(g, pg, act)) return maxPool2d(conv2d(x, w, b, c), p);
  return pooledWithGrad(x, w, b, g, act, pg);
}

/** The fused op recorded: its backward routes dy to the winners (dz, relu' in) and runs the conv's. */
function pooledWithGrad(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  pg: PoolGeometry,
): Tensor {
  const { y, codes, saved } = conv2dMaxPoolCodes(x, w, b, g, act, pg, w.requiresGrad);
  const recorded = record(y, 'conv2dMaxPool2d', b ? [x, w, b] : [x, w], (dy, needs) => {
    const dz = pool2dBackwardRaw('max', dy, codes, pg);
    codes.dispose();
    const grads = conv2dGrads(x, w, b, g, saved, dz, needs);
    dz.dispose();
    return grads;
  });
  if (!recorded.node) {
    codes.dispose();
    saved?.v.dispose();
  }
  return y;
}
