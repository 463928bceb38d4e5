// How a planned launch is sized: the GEMM core and its K split, and the pixel split of the sg
// weight gradient. The sizing half of the kernel planner (plan.ts); pure.
import type { ConvGeometry, ConvOp } from './conv_types.js';
import { GEMM_TILE, type GemmPlan, type GemmVariant } from './gemm.js';
import type { AdapterFacts, PixelSplit } from './plan_types.js';

/**
 * The core for an M-row product: a forced one, else the tiled core, except for skinny products
 * (M <= 32, a dense layer's batch) where a 64-row tile would be mostly padding: measured on
 * lavapipe, 4x8192x256 runs 6x faster and 20x8192x256 1.4x faster on the naive core.
 */
export function gemmCore(M: number, forced: GemmVariant | null): GemmVariant {
  return forced ?? (M <= 32 ? 'naive' : 'tiled');
}

/**
 * An M x N x K product on `core`. Splits K when the output alone gives too few workgroups to
 * fill the adapter (conv weight gradients: a 3x3x64x64 dW is 576x64 outputs summed over
 * N*OH*OW positions).
 */
export function planGemm(
  M: number,
  N: number,
  K: number,
  core: GemmVariant,
  facts: Pick<AdapterFacts, 'software'>,
): GemmPlan {
  const tile = GEMM_TILE[core];
  const tiles = Math.ceil(M / tile) * Math.ceil(N / tile);
  const target = facts.software ? 8 : 256;
  const wanted = Math.max(1, Math.min(Math.ceil(target / tiles), Math.ceil(K / 512)));
  const kChunk = Math.max(16, Math.ceil(Math.ceil(K / wanted) / 16) * 16);
  return { M, N, K, core, S: Math.max(1, Math.ceil(K / kChunk)), kChunk };
}

/** The implicit GEMM of a conv op: [M, K] . [K, N]. */
export function convGemmShape(op: ConvOp, g: ConvGeometry): [number, number, number] {
  const taps = g.KH * g.KW;
  if (op === 'forward') return [g.batch * g.OH * g.OW, g.CO, taps * g.CI];
  if (op === 'backward_input') return [g.batch * g.H * g.W, g.CI, taps * g.CO];
  return [taps * g.CI, g.CO, g.batch * g.OH * g.OW];
}

/** Pixels one split of the weight gradient sums: x and dz chunks of ~1024 pixels stay in L2. */
const WEIGHT_CHUNK = 1024;

/**
 * Splits the pixel sum of the sg weight gradient. On lavapipe a workgroup's subgroups run one
 * after another through the whole chunk, so a long chunk streams x and dz from memory once per
 * subgroup (block1 at batch 4: 90,000 pixels, 2 GFLOP/s); chunks of ~1024 pixels are re-read
 * from cache. Also at least ~32 workgroups, and the [S, M, CO] partials within half a binding.
 * With `segments` (the Winograd weight gradient's slabs: P pixels each, split alike), the
 * workgroups and partials of all segments count: short chunks cost a task each (88 tiles per
 * chunk ran the slabs' products at 17 GFLOP/s, 1024 at 40).
 */
export function planTexWeight(g: ConvGeometry, maxBinding: number, segments = 1): PixelSplit {
  const P = g.batch * g.OH * g.OW;
  const M = g.KH * g.KW * g.CI;
  const groups = Math.ceil(g.CO / 32) * Math.ceil(M / 64) * segments;
  const wanted = Math.max(Math.ceil(P / WEIGHT_CHUNK), Math.ceil(32 / groups));
  const fits = Math.max(1, Math.floor(maxBinding / (2 * 4 * M * g.CO * segments)));
  const S = Math.max(1, Math.min(wanted, fits, 256, Math.ceil(P / 8)));
  const chunk = Math.ceil(P / S / 8) * 8;
  return { S: Math.ceil(P / chunk), chunk };
}
