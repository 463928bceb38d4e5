// maxPool2d(conv2d(...)) as one op: a Keras Conv2D followed by MaxPooling2D (the Conv2D layer's
// applyPooled finds the pairs). src/kernels/conv_pool.ts runs it, with the pooling fused into the
// conv's kernel where the planner allows, so the full-size conv output is never written. Where a
// gradient will be asked for, the fused kernel also keeps the pool's winners (relu' folded in)
// and the op's backward is the pool's backward then the conv's, or, where the conv's gradients
// all run Winograd, the conv's alone, its transforms reading the pool's gradient and winners in
// place of dz. Where it does not fuse (or the activation is sigmoid), it is the two recorded ops.
// An RGB conv (3 channels: its patch matrix) whose input needs no gradient runs with its pool as
// one pooled patch product (src/kernels/conv_patches_pool.ts), with or without a gradient to come.
import { isGradEnabled, record } from '../autograd/tape.js';
import type { Activation } from '../kernels/activation.js';
import { conv2dMaxPoolCodes, conv2dMaxPoolRaw, convPoolFuses, convPoolFusesForGrad } from '../kernels/conv_pool.js';
import { takesPooledGrad } from '../kernels/conv.js';
import { pool2dBackwardRaw } from '../kernels/pool.js';
import { patchesRaw, rowsGeometry } from '../kernels/conv_patches.js';
import { type PatchPoolPlan, patchPoolForward, patchPoolPlan } from '../kernels/conv_patches_pool.js';
import { windowPoolForward } from '../kernels/conv_window_pool.js';
import { neededParamGrads } from './conv_patches.js';
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

/** What gradient will be asked for: none, of the conv's weights (and bias) only, or of x too. */
export type PoolPairGrad = 'none' | 'params' | 'input';

/** What gradient conv2dMaxPool2d(x, w, b, ...) will be asked for, here and now. */
export function poolPairGrad(x: Tensor, w: Tensor, b: Tensor | null): PoolPairGrad {
  if (!convNeedsGrad(x, w, b)) return 'none';
  return x.requiresGrad ? 'input' : 'params';
}

/**
 * Whether conv2dMaxPool2d on these shapes writes the pooled map from the conv's kernel (no
 * conv output, no pool pass) with `grad` to come; the layers ask before pairing up.
 */
export function conv2dMaxPool2dFuses(
  xs: readonly number[],
  ws: readonly number[],
  c: Conv2DOptions = {},
  p: Pool2DOptions = {},
  grad: PoolPairGrad = 'none',
): boolean {
  const { g, pg } = geometries(xs, ws, c, p);
  const act = c.activation ?? 'linear';
  if (grad !== 'input' && patchPoolPlan(g, pg, act, grad === 'params')) return true;
  return grad === 'none' ? convPoolFuses(g, pg) : convPoolFusesForGrad(g, pg, act);
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
  const grad = poolPairGrad(x, w, b);
  const pp = grad !== 'input' ? patchPoolPlan(g, pg, act, grad === 'params' && w.requiresGrad) : null;
  if (pp) return patchPooled(x, w, b, g, act, pp);
  if (grad === 'none') return conv2dMaxPoolRaw(x, w, b, g, act, pg);
  if (!convPoolFusesForGrad(g, pg, act)) return maxPool2d(conv2d(x, w, b, c), p);
  return pooledWithGrad(x, w, b, g, act, pg);
}

/** The fused op recorded: its backward routes dy to the winners (dz, relu' in) and runs the conv's, or hands dy and the winners to the conv's Winograd transforms. */
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
    // Where the conv's gradients all run Winograd, their transforms read dy and the winners in
    // place of dz, which is then never written (the pool's backward, its clear and its staging).
    if (takesPooledGrad(g, needs, !!b)) {
      const grads = conv2dGrads(x, w, b, g, saved, { dy, codes }, needs);
      codes.dispose();
      return grads;
    }
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

/**
 * The RGB pair as one pooled patch product (src/kernels/conv_patches_pool.ts), recorded: its
 * backward is the patch product's weight gradient, whose kernel reads dy and the winners in place
 * of the rows' dz (where another kernel runs it, dy is routed to the winners first). x needs no
 * gradient here (patchPoolPlan's caller checks). Where the plan runs the window kernel (no patch
 * matrix in the forward), the backward builds the patches from x.
 */
function patchPooled(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  pp: PatchPoolPlan,
): Tensor {
  const { y, codes, patches } = pp.window
    ? { ...windowPoolForward(x, w, b, { g, patchWidth: pp.PW, act, rows: pp.rows }), patches: null }
    : patchPoolForward(x, w, b, g, act, pp);
  // The image's buffer, held for the backward's patches (the caller may free x before it).
  const image = patches ? null : x.view();
  const recorded = record(y, 'conv2dMaxPool2d', b ? [x, w, b] : [x, w], (dy, needs) => {
    const rowsOf = patches ?? patchesRaw(image!, g, pp.PW, pp.rows, pp.channelsOuter);
    image?.dispose();
    // The weight kernel reads the rows' dz from dy and the winners (conv2dBackwardWeightPooledRows).
    const dz = { dy, codes, rows: pp.rows, channelsOuter: pp.channelsOuter };
    const [dw, db] = neededParamGrads(rowsOf, dz, rowsGeometry(g, pp.rows.rows), pp.PW, needs, !!b);
    codes.dispose();
    return [null, dw, db];
  });
  if (!recorded.node) {
    codes.dispose();
    patches?.dispose();
    image?.dispose();
  }
  return y;
}
