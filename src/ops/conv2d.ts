// Conv2D, NHWC x HWIO (Keras order), strides 1 or more, TF 'same'/'valid' padding, optional bias
// and fused relu/sigmoid: the shape rule and the backward. The launchers, which run the kernel
// plan for each direction: src/kernels/conv.ts.
import { isGradEnabled, record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt, windowOutput, type Padding } from '../tensor/shape.js';
import type { Activation } from '../kernels/activation.js';
import type { ConvGeometry } from '../kernels/conv_types.js';
import {
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dBackwardWeightBias,
  conv2dForwardKeeping,
  type ConvGrad,
  type SavedTransform,
} from '../kernels/conv.js';
import { convPatchColumns } from '../kernels/plan_context.js';
import { conv2dPatches } from './conv_patches.js';
import { gradThroughActivation, markReluOutput } from './relu_mask.js';

export interface Conv2DOptions {
  strides?: number | [number, number];
  padding?: Padding;
  activation?: Activation;
}

// --- shape rule ----------------------------------------------------------------------------

export function conv2dGeometry(x: readonly number[], w: readonly number[], o: Conv2DOptions = {}): ConvGeometry {
  if (x.length !== 4) throw new Error(`dawnflow: conv2d input must be NHWC, got ${fmt(x)}`);
  if (w.length !== 4) throw new Error(`dawnflow: conv2d kernel must be HWIO, got ${fmt(w)}`);
  const [batch, H, W, CI] = x;
  const [KH, KW, wCI, CO] = w;
  if (wCI !== CI)
    throw new Error(`dawnflow: conv2d kernel ${fmt(w)} expects ${wCI} channels, input ${fmt(x)} has ${CI}`);
  const [SH, SW] = typeof o.strides === 'number' ? [o.strides, o.strides] : (o.strides ?? [1, 1]);
  if (!(SH >= 1 && SW >= 1)) throw new Error(`dawnflow: conv2d strides must be >= 1`);
  const padding = o.padding ?? 'valid';
  const rows = windowOutput(H, KH, SH, padding);
  const cols = windowOutput(W, KW, SW, padding);
  if (rows.out < 1 || cols.out < 1) {
    throw new Error(`dawnflow: conv2d kernel ${KH}x${KW} does not fit input ${fmt(x)} with '${padding}' padding`);
  }
  return { batch, H, W, CI, OH: rows.out, OW: cols.out, CO, KH, KW, SH, SW, PT: rows.before, PL: cols.before };
}

// --- op ------------------------------------------------------------------------------------

/** y = act(conv2d(x, w) + b). x: NHWC, w: HWIO, b: [CO] or null. */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, o: Conv2DOptions = {}): Tensor {
  const g = conv2dGeometry(x.shape, w.shape, o);
  if (b && (b.rank !== 1 || b.shape[0] !== g.CO)) {
    throw new Error(`dawnflow: conv2d bias ${fmt(b.shape)} does not fit ${g.CO} filters`);
  }
  const act = o.activation ?? 'linear';
  const columns = convPatchColumns(g, isGradEnabled() && w.requiresGrad);
  if (columns !== null) return conv2dPatches(x, w, b, g, act, columns);
  // x's Winograd transform, kept for the weight gradient where it can start from it.
  const { y, saved } = conv2dForwardKeeping(x, w, b, g, act, isGradEnabled() && w.requiresGrad);
  const recorded = record(y, 'conv2d', b ? [x, w, b] : [x, w], (dy, needs) => {
    const dz = gradThroughActivation(dy, y, act);
    const grads = conv2dGrads(x, w, b, g, saved, dz, needs);
    if (dz !== dy) dz.dispose();
    return grads;
  });
  if (!recorded.node) saved?.v.dispose();
  return markReluOutput(y, act);
}

/**
 * The gradients of x, w and b (as `needs` asks) from dz, the gradient w.r.t. the conv's linear
 * output (or, where takesPooledGrad, a fused pool's gradient standing for it); frees `saved`
 * (x's transform kept by the forward). Disposes nothing else.
 */
export function conv2dGrads(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  saved: SavedTransform | null,
  dz: ConvGrad,
  needs: readonly boolean[],
): (Tensor | null)[] {
  // Both parameter gradients from one kernel where the layout allows (RGB inputs).
  const both = needs[1] && b && needs[2] ? conv2dBackwardWeightBias(x, dz, g, saved) : null;
  const grads = [
    needs[0] ? conv2dBackwardInput(dz, w, g) : null,
    both ? both.dw : needs[1] ? conv2dBackwardWeight(x, dz, g, saved) : null,
    both ? both.db : b && needs[2] ? conv2dBackwardBias(dz, g) : null,
  ];
  if (!needs[1]) saved?.v.dispose();
  return grads;
}
