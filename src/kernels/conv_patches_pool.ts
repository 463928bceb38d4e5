// An RGB conv and the 2x2 max pool after it as one patch product (a Keras Conv2D on the image,
// then MaxPooling2D: the first pair of the from-scratch convnet). The patch matrix is built in
// the pool's window order (conv2d_patches.wgsl, POOLED), so the four cells of a window are the
// four row blocks of one lane of the sg forward, whose epilogue stores the window's max and its
// winners (conv2d_sg_pool_codes.wgsl): the full-size conv output (11 MB at batch 4, 150x150, 32
// filters) is never written nor read back by a pool pass. The weight gradient is the patch
// product's, whose sum over rows does not care about their order; its sg kernel reads dy and the
// winners in place of the rows' dz (conv.ts conv2dBackwardWeightPooledRows). No input gradient:
// the rows are not in x's layout (the op runs this only where x needs none, as an image does not).
import { dispatcher } from '../gpu/engine.js';
import { Tensor } from '../tensor/tensor.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import type { Activation } from './activation.js';
import { type TexPoolParams, sgForwardPoolKernels } from './conv_tex.js';
import type { ConvGeometry } from './conv_types.js';
import { windowPoolFits } from './conv_window_pool.js';
import { patchesRaw, patchGeometry, patchWeight, rowsGeometry, type WindowRows, windowRows } from './conv_patches.js';
import { pairPool } from './plan.js';
import { convPatchColumns, convPlan } from './plan_context.js';
import type { PoolGeometry } from './pool.js';
import type { SgShare } from './sg_lanes.js';

/** How a pooled patch product runs: the patch width, the window rows, the sg share and staging. */
export interface PatchPoolPlan {
  PW: number;
  rows: WindowRows;
  share: SgShare;
  precision: TexturePrecision;
  /**
   * Whether the forward runs the window kernel (conv_window_pool.ts: no patch matrix) instead of
   * the patches and the sg product: where no weight gradient is coming. With one, the patches
   * are needed anyway and the window kernel gained nothing (the from-scratch convnet's training
   * step measured the same either way, its forward 1-3 ms faster: docs/lavapipe.md).
   */
  window: boolean;
  /**
   * The patch rows laid out channel group by channel group (patchesRaw's channelsOuter): where
   * the patch product's weight gradient runs the sg kernel on unpadded channels, the only one
   * (besides the pooled forward) that reads them that way.
   */
  channelsOuter: boolean;
}

/**
 * The plan where the conv on g runs through its patch matrix (plan.ts patchColumns; `weightGrad`:
 * its weights will want a gradient), the pool
 * is 2x2 at stride 2, the activation's gradient is carried by the winners (not sigmoid) and the
 * patch product runs sg; else null (the conv, then the pool).
 */
export function patchPoolPlan(
  g: ConvGeometry,
  pg: PoolGeometry,
  act: Activation,
  weightGrad: boolean,
): PatchPoolPlan | null {
  const PW = convPatchColumns(g, weightGrad);
  if (PW === null || act === 'sigmoid' || g.CO % 4 !== 0 || !pairPool(pg)) return null;
  const plan = convPlan('forward', patchGeometry(g, PW));
  if (plan.variant !== 'sg' || !plan.share || plan.padding) return null;
  const rows = windowRows(g, plan.share.lanes);
  const window = !weightGrad && windowPoolFits(g, act);
  const wp = convPlan('backward_weight', patchGeometry(rowsGeometry(g, rows.rows), PW));
  const channelsOuter = wp.variant === 'sg' && !wp.padding;
  return { PW, rows, share: plan.share, precision: plan.precision, window, channelsOuter };
}

/**
 * maxPool(act(conv2d(x, w) + b), 2): y [batch, OH/2, OW/2, CO], the winners (packed as the pool
 * kernels keep them, relu' folded in) and the window-order patches the weight gradient needs.
 * Disposes nothing it was given.
 */
export function patchPoolForward(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  pp: PatchPoolPlan,
): { y: Tensor; codes: Tensor; patches: Tensor } {
  const { rows } = pp;
  const patches = patchesRaw(x, g, pp.PW, rows, pp.channelsOuter);
  const wp = patchWeight(w, b, g, pp.PW);
  const y = Tensor.empty([g.batch, rows.PH, rows.PW, g.CO], 'float32', 'conv2d_maxpool');
  const codes = Tensor.empty([g.batch, rows.PH, rows.PW, g.CO / 4], 'uint32', 'conv2d_maxpool-argmax');
  const p: TexPoolParams = {
    g: patchGeometry(rowsGeometry(g, rows.rows), pp.PW),
    M: rows.rows,
    N: g.CO,
    bias: false,
    act,
    precision: pp.precision,
    windows: rows.windows,
    channelsOuter: pp.channelsOuter,
  };
  // The bias binding is unread (the patch weight carries the bias); the patches fill it.
  dispatcher().launch(sgForwardPoolKernels.of(pp.share), p, [
    patches.buffer,
    wp.buffer,
    patches.buffer,
    y.buffer,
    codes.buffer,
  ]);
  wp.dispose();
  return { y, codes, patches };
}
