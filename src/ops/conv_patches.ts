// Conv2D on few input channels (RGB) as a 1x1 conv of its patch matrix: the forward and the
// weight gradient read one PW-channel row per pixel instead of KH*KW taps of a channel-padded
// input, and the bias rides in the patch weight (a column of ones in the patches), so the weight
// gradient yields db with dw. The patches live until the backward. Where it runs: plan.ts
// patchColumns; the kernels: src/kernels/conv_patches.ts.
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from '../kernels/activation.js';
import type { ConvGeometry } from '../kernels/conv_types.js';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dBackwardWeightPooledRows,
  conv2dForwardRaw,
  type PooledRows,
} from '../kernels/conv.js';
import { gradThroughActivation, markReluOutput } from './relu_mask.js';
import { patchesRaw, patchGeometry, patchWeight, splitPatchGrad } from '../kernels/conv_patches.js';

/** y = act(conv2d(x, w) + b) through the PW-column patch matrix of x. */
export function conv2dPatches(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  PW: number,
): Tensor {
  const pg = patchGeometry(g, PW);
  const patches = patchesRaw(x, g, PW);
  const wp = patchWeight(w, b, g, PW);
  const y = conv2dForwardRaw(patches, wp, null, pg, act);
  wp.dispose();
  const recorded = record(y, 'conv2d', b ? [x, w, b] : [x, w], (dy, needs) => {
    const dz = gradThroughActivation(dy, y, act);
    const [dw, db] = neededParamGrads(patches, dz, g, PW, needs, !!b);
    const dx = needs[0] ? conv2dBackwardInput(dz, w, g) : null;
    if (dz !== dy) dz.dispose();
    return [dx, dw, db];
  });
  if (!recorded.node) patches.dispose();
  return markReluOutput(y, act);
}

/**
 * The backward's dw and db as `needs` ([x, w, b]) asks for them, each null where not; frees the
 * patches. `g` is the geometry the patch rows were made on (rowsGeometry for window order); dz
 * may be given as a fused pool's gradient over window-ordered rows (PooledRows).
 */
export function neededParamGrads(
  patches: Tensor,
  dz: Tensor | PooledRows,
  g: ConvGeometry,
  PW: number,
  needs: readonly boolean[],
  bias: boolean,
): [Tensor | null, Tensor | null] {
  const wantDb = bias && needs[2];
  const params = needs[1] || wantDb ? patchParamGrads(patches, dz, g, PW) : null;
  patches.dispose();
  if (params && !needs[1]) params.dw.dispose();
  if (params && !wantDb) params.db.dispose();
  return [needs[1] ? params!.dw : null, wantDb ? params!.db : null];
}

/**
 * dw and db of the conv on `g` from its patch matrix (as the forward made it) and dz: the patch
 * conv's weight gradient, split. The op's backward, and the bench's case for an RGB layer.
 */
export function patchParamGrads(
  patches: Tensor,
  dz: Tensor | PooledRows,
  g: ConvGeometry,
  PW: number,
): { dw: Tensor; db: Tensor } {
  const pg = patchGeometry(g, PW);
  const dwp = 'rows' in dz ? conv2dBackwardWeightPooledRows(patches, dz, pg) : conv2dBackwardWeight(patches, dz, pg);
  return splitPatchGrad(dwp, g);
}
