// A convolution's forward followed by a max pool, where no gradient will reach the convolution's
// output (frozen layers, inference): the op conv2dMaxPool2d (src/ops/conv_pool.ts) runs it here.
// Where the planner says the conv's kernel can pool its own output (plan.ts fusedPoolTile: the
// Winograd output transform, whose tiles hold whole 2x2 windows, stores each window's max), the
// full-size output is never written and the pool pass is skipped; elsewhere the conv runs, then
// the pool (without the argmax a gradient would need), and the conv output is freed.
import type { Tensor } from '../tensor/tensor.js';
import type { Activation } from './activation.js';
import { conv2dForwardRaw, keepsTransform, type SavedTransform } from './conv.js';
import type { ConvGeometry } from './conv_types.js';
import { fusedPoolTile } from './plan.js';
import { convPlan } from './plan_context.js';
import { pool2dRaw, type PoolGeometry } from './pool.js';
import { winogradConv, winogradConvPooled } from './winograd.js';

/** Whether conv2dMaxPoolRaw on these geometries runs as one kernel pass (no conv output, no pool pass). */
export function convPoolFuses(g: ConvGeometry, pg: PoolGeometry): boolean {
  return fusedPoolTile(convPlan('forward', g), pg) !== null;
}

/** maxPool(act(conv2d(x, w) + b)) with no argmax: y [batch, pg.OH, pg.OW, CO]; disposes nothing it was given. */
export function conv2dMaxPoolRaw(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  pg: PoolGeometry,
): Tensor {
  const plan = convPlan('forward', g);
  const tile = fusedPoolTile(plan, pg);
  if (tile && plan.variant !== 'gemm') {
    return winogradConvPooled(x, w, b, plan.g, tile, act, plan.precision, plan.share!);
  }
  const y = conv2dForwardRaw(x, w, b, g, act);
  const pooled = pool2dRaw('max', y, pg, false).y;
  // Safe to recycle at once: the pool's launch, which reads it, is encoded already.
  y.dispose();
  return pooled;
}

/**
 * Whether conv2dMaxPoolCodes runs on these geometries: the pooled forward fuses, and the
 * activation's gradient is carried by the winners (relu: none where the max is not positive) or
 * there is none (linear); sigmoid's would need the full output.
 */
export function convPoolFusesForGrad(g: ConvGeometry, pg: PoolGeometry, act: Activation): boolean {
  return act !== 'sigmoid' && convPoolFuses(g, pg);
}

/**
 * maxPool(act(conv2d(x, w) + b)) with a gradient to come, where convPoolFusesForGrad: y, the
 * winners as the pool's forward keeps them (the conv's output's gradient is the pool's backward
 * of them: relu' included), and, with `forGrad`, x's transform where the weight gradient can
 * start from it (as conv2dForwardKeeping). The full-size conv output is never written.
 */
export function conv2dMaxPoolCodes(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  pg: PoolGeometry,
  forGrad: boolean,
): { y: Tensor; codes: Tensor; saved: SavedTransform | null } {
  const plan = convPlan('forward', g);
  const tile = fusedPoolTile(plan, pg);
  if (!tile || plan.variant === 'gemm' || act === 'sigmoid') {
    throw new Error(`dawnflow: conv2dMaxPoolCodes on a geometry that does not fuse (${plan.variant})`);
  }
  const keep = forGrad && keepsTransform(plan, g);
  const o = { tile, act, pool: true, codes: true, keep, precision: plan.precision };
  const { y, v, codes } = winogradConv(x, w, b, plan.g, o, plan.share!);
  return { y, codes: codes!, saved: v ? { tile, v } : null };
}
