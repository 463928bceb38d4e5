// Which conv kernel variants can run a geometry on an adapter, and where Winograd pays: the
// legality half of the kernel planner (plan.ts). Pure: the adapter comes in as AdapterFacts.
import { TEXTURE_WIDTH } from '../gpu/texture_pool.js';
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';
import type { AdapterFacts } from './plan_types.js';
import { sgGrid } from './sg_lanes.js';

export const CONV_VARIANTS: readonly ConvVariant[] = ['gemm', 'tex', 'sg', 'wino', 'wino4'];

/** The Winograd variants and their output tile side (F(m x m, 3x3)). */
export const WINO_TILE: Partial<Record<ConvVariant, 2 | 4>> = { wino: 2, wino4: 4 };

/**
 * The variants that can run `op` on `g`. Textures need whole texels, so the channels that form
 * texel rows (CI of x, CO of w and dz) must be multiples of 4; the weight gradient's 8-row
 * blocks need CI % 8 == 0; the tex variant exists for the forward only; sg needs a share (a
 * lane grouping the adapter guarantees, or an emulated one); wino and wino4 run all three ops of
 * 3x3 stride-1 kernels where sg is legal (the weight gradient's slab products are sg's weight
 * kernel: winograd_weight.ts) and their larger transformed operands fit the adapter's limits.
 * Order: as CONV_VARIANTS.
 */
export function legalVariants(op: ConvOp, g: ConvGeometry, facts: AdapterFacts): ConvVariant[] {
  const out: ConvVariant[] = ['gemm'];
  if (g.CI % 4 !== 0 || g.CO % 4 !== 0) return out;
  if (op === 'forward') out.push('tex');
  if (facts.sgShare && (op !== 'backward_weight' || g.CI % 8 === 0)) out.push('sg');
  if (!out.includes('sg') || !winogradShape(g)) return out;
  const wg = winogradGeometry(op, g);
  if (winogradFits(wg, facts, 2)) out.push('wino');
  if (winogradFits(wg, facts, 4)) out.push('wino4');
  return out;
}

/** Whether Winograd F(m x m, 3x3) computes this convolution: 3x3, stride 1, texel-wide channels. */
export function winogradShape(g: ConvGeometry): boolean {
  return g.KH === 3 && g.KW === 3 && g.SH === 1 && g.SW === 1 && g.CI % 4 === 0 && g.CO % 4 === 0;
}

/**
 * The forward geometry the Winograd kernels run for `op` on `g`: g itself, or for the input
 * gradient the conv of dz (OH x OW x CO) by the rotated kernel into dx (H x W x CI), padded by
 * (2 - PT, 2 - PL) (2 each for 'valid', 1 for 'same').
 */
export function winogradGeometry(op: ConvOp, g: ConvGeometry): ConvGeometry {
  if (op === 'forward') return g;
  return { ...g, H: g.OH, W: g.OW, CI: g.CO, OH: g.H, OW: g.W, CO: g.CI, PT: 2 - g.PT, PL: 2 - g.PL };
}

/** Output tiles of Winograd F(m x m, 3x3) on a forward geometry: m x m outputs each. */
export function winogradTiles(g: ConvGeometry, m: 2 | 4): number {
  return g.batch * Math.ceil(g.OH / m) * Math.ceil(g.OW / m);
}

/**
 * Whether the operands of F(m x m, 3x3) on a forward geometry fit the adapter: V and M
 * ((m + 2)^2 * T * channels floats) within one storage binding and one staging texture, and the
 * product's grid within the per-dimension limit.
 */
export function winogradFits(g: ConvGeometry, facts: AdapterFacts, m: 2 | 4): boolean {
  const T = winogradTiles(g, m);
  const slabs = (m + 2) ** 2;
  const floats = slabs * T * Math.max(g.CI, g.CO);
  const rows = 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(floats / 4 / TEXTURE_WIDTH))));
  return (
    floats * 4 <= facts.maxBinding &&
    rows <= facts.maxTexture2D &&
    winogradGridFits(g, T, facts) &&
    slabs * g.CI * g.CO * 4 <= facts.maxBinding
  );
}

/** The product's grid (winograd.ts gemmKernel: sgGrid with 4 blocks of L rows per group) within the limit. */
function winogradGridFits(g: ConvGeometry, T: number, facts: AdapterFacts): boolean {
  const s = facts.sgShare;
  const grid = s ? sgGrid(s, g.CO / 4, T, 4 * s.lanes) : [Math.ceil(g.CO / 4), T];
  return Math.max(...grid) <= facts.maxWorkgroupsPerDimension;
}

/**
 * Forwards over at most this many output pixels (a dense layer at batch <= 8) run the tex kernel
 * rather than sg on software adapters. sg's groups own 4 blocks of L rows and sit across the
 * columns first, so 4 rows over 256 columns made ONE workgroup (one core) that computed 128 rows
 * to keep 4; tex's 8 x 8 workgroups cover 32 columns each, 8 workgroups for both cores. Measured
 * on lavapipe (bench dense_8192x256/forward, interleaved): tex 2.2-3.7 ms vs sg 5.6-6.7 ms at
 * M = 4, 3.0 vs 6.5 ms at M = 8; from M = 16 sg wins (6.6 vs 11 ms), tex's cost growing per row.
 */
export const TEX_MAX_PIXELS = 8;

/** Whether the tex forward beats sg on a software adapter (TEX_MAX_PIXELS), where legal. */
export function texPays(op: ConvOp, g: ConvGeometry, legal: ConvVariant[]): boolean {
  return op === 'forward' && legal.includes('tex') && g.batch * g.OH * g.OW <= TEX_MAX_PIXELS;
}

/**
 * Whether Winograd beats the direct sg kernel on lavapipe, for a forward geometry (an input
 * gradient's is winogradGeometry's), where legal (measured on VGG16 at 150x150, batch 4, and on
 * smaller shapes): about 2x for 128+ channels, 1.2-2x (CPU time to wall time) for 64 -> 64 at
 * 150x150, the input gradients 1.3-3x; no gain with few input channels (VGG16's first layer, RGB
 * padded to 4: the products are short and the transforms and the larger M dominate) or below
 * ~30 MFLOP of direct work (four launches instead of one).
 */
export function winogradPays(g: ConvGeometry): boolean {
  return g.CI >= 64 && g.CO >= 64 && 2 * 9 * g.batch * g.OH * g.OW * g.CI * g.CO >= 32e6;
}

/**
 * F(4x4) needs this many output tiles to beat F(2x2). Its U is 2.25x larger (36 slabs of
 * CI x CO, transformed, staged and read per 64-row block of tiles) and each U element serves T
 * rows of the product, and the last 64-row block's padding weighs more with fewer tiles: on
 * VGG16 at 150x150, batch 4, F(4x4) took 0.4-0.7x F(2x2)'s time at 1444+ tiles (blocks 1-2),
 * about the same at 400 (block 3), 0.8-1.6x at 100 (block 4) and 2x at 36 (block 5). Since the
 * product's groups own 4 row blocks, 100 tiles (block 4) pays: bench 0.74-0.89x F(2x2)'s time for
 * 512 -> 512, 0.9-1.14x for 256 -> 512; the fine-tune step's block4 forwards 113-119 ms against
 * 131-143 ms (profile, interleaved, 4 of 5 pairs; one even); block 5 (36 tiles) still 1.2x.
 */
export const WINO4_MIN_TILES = 100;

/**
 * Below 64 channels F(4x4) still pays where one side has 32 and the other 64 and the tiles are
 * many: the from-scratch convnet's second layer (32 -> 64 at 74x74, batch 4, 1296 tiles; its
 * input gradient 64 -> 32), measured on lavapipe interleaved against sg, min/median wall ms:
 * forward 11.8-12.0/26.8-27.5 vs 14.9-28.6/29.8-30.1, input gradient 12.4-12.6/12.8-20.8 vs
 * 14.3-15.0/21.6-23.3. F(2x2) did not pay there (0.9-1.2x sg), nor F(4x4) at 32 -> 32 (1296
 * tiles, mixed) or at 32 -> 64 with 648 tiles (within noise).
 */
export function narrowWino4Pays(g: ConvGeometry): boolean {
  const narrow = Math.min(g.CI, g.CO) >= 32 && Math.max(g.CI, g.CO) >= 64;
  return narrow && winogradTiles(g, 4) >= 1024;
}

/**
 * The weight gradient by F(4x4) (winograd_weight.ts) beat the direct sg kernel on lavapipe from
 * this many tiles, measured (wall ms, medians of 5, same run) at batch 4: from-scratch convnet
 * conv2d_2 (1296 tiles) 11.5 vs 16.2, conv2d_3 (324) 10.8 vs 13.2, conv2d_4 (64) 4.9 vs 5.7;
 * VGG16 at 150x150 block1_conv2 (5776) 72 vs 108, block4_conv1 (100) 32 vs 56; block5_conv1
 * (36 tiles) lost, 39 vs 26, where F(2x2) then only tied (24; it now wins: WINO2_WEIGHT_MIN_TILES).
 * Any channel count (32 -> 64 too).
 */
export const WINO4_WEIGHT_MIN_TILES = 64;

/**
 * Below WINO4_WEIGHT_MIN_TILES, F(2x2) takes the weight gradients of convs where Winograd pays,
 * from this many of its tiles: VGG16's block 5 at 150x150, batch 4 (100 tiles, 512 -> 512),
 * measured on lavapipe (AVX2 EPYC, 2026-12-06) once V's tiles were laid out consecutively and
 * G^T dU G's chunk count became a pipeline constant: the kernel bench's block5_conv2 weight
 * gradient 29.0-30.0 against sg's 33.2-33.8 ms, and the fine-tune step's GPU time 596-605
 * against 626-657 ms (three interleaved profiles). Fewer tiles were not measured: the products'
 * a^2 CI x CO partials cost the same for any tile count, so there the direct kernel stays.
 */
export const WINO2_WEIGHT_MIN_TILES = 100;

/**
 * The Winograd variant a software adapter runs `op` on `g` with by default, or null for the
 * direct kernel. Weight gradients: F(4x4) from WINO4_WEIGHT_MIN_TILES tiles, else F(2x2) where
 * Winograd pays from WINO2_WEIGHT_MIN_TILES. Otherwise where
 * Winograd pays at all, F(4x4) where it is legal and has the tiles (with 32
 * to 63 channels on a side, F(4x4) alone: narrowWino4Pays), unless the operands are staged in
 * f16: F(4x4)'s larger matrix entries turn f16's rounding into errors of 4-6% of the output's rms
 * (F(2x2): 0.3%; test/ops/f16.test.ts).
 */
export function winogradDefault(
  op: ConvOp,
  g: ConvGeometry,
  legal: ConvVariant[],
  halfStaging: boolean,
): ConvVariant | null {
  if (op === 'backward_weight') {
    if (!halfStaging && legal.includes('wino4') && winogradTiles(g, 4) >= WINO4_WEIGHT_MIN_TILES) return 'wino4';
    // Not under f16 staging either: measured in f32 only.
    const wino = !halfStaging && winogradPays(g) && winogradTiles(g, 2) >= WINO2_WEIGHT_MIN_TILES;
    return wino && legal.includes('wino') ? 'wino' : null;
  }
  const wg = winogradGeometry(op, g);
  const wino4 = !halfStaging && legal.includes('wino4');
  if (!winogradPays(wg)) return wino4 && narrowWino4Pays(wg) ? 'wino4' : null;
  if (wino4 && winogradTiles(wg, 4) >= WINO4_MIN_TILES) return 'wino4';
  return legal.includes('wino') ? 'wino' : null;
}
