// Which conv kernel variants can run a geometry on an adapter, and where Winograd pays: the
// legality half of the kernel planner (plan.ts). Pure: the adapter comes in as AdapterFacts.
import { TEXTURE_WIDTH } from '../gpu/texture_pool.js';
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';
import type { AdapterFacts } from './plan_types.js';

export const CONV_VARIANTS: readonly ConvVariant[] = ['gemm', 'tex', 'sg', 'wino'];

/**
 * The variants that can run `op` on `g`. Textures need whole texels, so the channels that form
 * texel rows (CI of x, CO of w and dz) must be multiples of 4; the weight gradient's 8-row
 * blocks need CI % 8 == 0; the tex variant exists for the forward only; sg needs a share (a
 * lane grouping the adapter guarantees, or an emulated one); wino is a forward of 3x3 stride-1 kernels where sg is legal and its 4x-larger
 * transformed operands fit the adapter's limits. Order: as CONV_VARIANTS.
 */
export function legalVariants(op: ConvOp, g: ConvGeometry, facts: AdapterFacts): ConvVariant[] {
  const out: ConvVariant[] = ['gemm'];
  if (g.CI % 4 !== 0 || g.CO % 4 !== 0) return out;
  if (op === 'forward') out.push('tex');
  if (facts.sgShare && (op !== 'backward_weight' || g.CI % 8 === 0)) out.push('sg');
  if (op === 'forward' && out.includes('sg') && winogradShape(g) && winogradFits(g, facts)) out.push('wino');
  return out;
}

/** Whether Winograd F(2x2, 3x3) computes this convolution: 3x3, stride 1, texel-wide channels. */
export function winogradShape(g: ConvGeometry): boolean {
  return g.KH === 3 && g.KW === 3 && g.SH === 1 && g.SW === 1 && g.CI % 4 === 0 && g.CO % 4 === 0;
}

/** Output tiles of Winograd F(2x2, 3x3): 2x2 outputs each. */
export function winogradTiles(g: ConvGeometry): number {
  return g.batch * Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2);
}

/**
 * Whether its operands fit the adapter: V and M (16 * T * channels floats) within one storage
 * binding and one staging texture, and the product's grid within the per-dimension limit.
 */
export function winogradFits(g: ConvGeometry, facts: AdapterFacts): boolean {
  const T = winogradTiles(g);
  const floats = 16 * T * Math.max(g.CI, g.CO);
  const rows = 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(floats / 4 / TEXTURE_WIDTH))));
  return (
    floats * 4 <= facts.maxBinding &&
    rows <= facts.maxTexture2D &&
    Math.ceil(T / 64) <= facts.maxWorkgroupsPerDimension &&
    16 * g.CI * g.CO * 4 <= facts.maxBinding
  );
}

/**
 * Whether wino beats the direct sg kernel on lavapipe, where it is legal (measured on VGG16 at
 * 150x150, batch 4, and on smaller shapes): about 2x for 128+ channels, 1.2-2x (CPU time to
 * wall time) for 64 -> 64 at 150x150; no gain with few input channels (VGG16's first layer,
 * RGB padded to 4: the products are short and the transforms and the 4x-larger M dominate) or
 * below ~30 MFLOP of direct work (four launches instead of one).
 */
export function winogradPays(g: ConvGeometry): boolean {
  return g.CI >= 64 && g.CO >= 64 && 2 * 9 * g.batch * g.OH * g.OW * g.CI * g.CO >= 32e6;
}
