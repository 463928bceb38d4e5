// Per-adapter conv2d kernel variants. Real GPUs get the workgroup-tiled implicit GEMM
// (conv2d_*.wgsl over gemm_tiled.wgsl). Software adapters (lavapipe) get texture-fed kernels:
// there a storage-buffer load costs a scalar load, bounds check and branch per float per lane,
// a texel fetch of an rgba32float texture about a fifth of that per float, and workgroup memory
// is no faster than global memory. Where subgroups are exactly 8 lanes (one SIMD register on
// lavapipe) the lanes also share fetched texels through subgroupBroadcast.
import { currentGpu, dispatcher } from '../gpu/engine.js';
import type { KernelSpec } from '../gpu/program.js';
import { TEXTURE_WIDTH_LOG2 } from '../gpu/texture_pool.js';
import { ACT_CODE, type Activation } from './activation.js';
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';
import { gemmForced } from './gemm.js';
import { tunedVariant } from './tuning.js';
import { winogradFits, winogradPays, winogradShape } from './winograd.js';

export const CONV_VARIANTS: readonly ConvVariant[] = ['gemm', 'tex', 'sg', 'wino'];

let forced: ConvVariant | null = null;

/** Forces one variant wherever it applies (tests loop over all); null returns to the default. */
export function setConvVariant(v: ConvVariant | null): void {
  forced = v;
}

/** Whether this adapter runs subgroups of exactly 8 lanes (what the sg kernels assume). */
export function hasSubgroups8(): boolean {
  const gpu = currentGpu();
  return gpu.features.includes('subgroups') && gpu.info.subgroupMinSize === 8 && gpu.info.subgroupMaxSize === 8;
}

/**
 * The variants that can run `op` on `g` here. Textures need whole texels, so the channels that
 * form texel rows (CI of x, CO of w and dz) must be multiples of 4 (the forward pads an RGB
 * input first); the weight gradient's 8-row blocks need CI % 8 == 0; the tex variant exists for
 * the forward only; sg needs 8-lane subgroups; wino is a forward of 3x3 stride-1 kernels where sg
 * is legal and its 4x-larger transformed operands fit the adapter's limits. Order: as
 * CONV_VARIANTS.
 */
export function legalVariants(op: ConvOp, g: ConvGeometry): ConvVariant[] {
  const out: ConvVariant[] = ['gemm'];
  if (g.CI % 4 !== 0 || g.CO % 4 !== 0) return out;
  if (op === 'forward') out.push('tex');
  if (hasSubgroups8() && (op !== 'backward_weight' || g.CI % 8 === 0)) out.push('sg');
  if (op === 'forward' && out.includes('sg') && winogradShape(g) && winogradFits(g)) out.push('wino');
  return out;
}

/**
 * The variant for `op` on `g`: a forced one (tests, DAWNFLOW_CONV) where legal, else the next
 * legal one down; else this adapter's tuned choice (dawnflow tune); else on software adapters
 * wino where it is legal and measured to pay (winogradPays: 64+ channels each way, enough
 * work), otherwise the fastest legal texture-fed direct kernel; the GEMM kernels on GPUs.
 */
export function convVariant(op: ConvOp, g: ConvGeometry): ConvVariant {
  const legal = legalVariants(op, g);
  if (!forced && gemmForced()) return 'gemm';
  const want = forced ?? (process.env.DAWNFLOW_CONV as ConvVariant | undefined);
  if (want && CONV_VARIANTS.includes(want)) {
    const below = CONV_VARIANTS.slice(0, CONV_VARIANTS.indexOf(want));
    return legal.includes(want) ? want : legal.filter((v) => below.includes(v)).at(-1)!;
  }
  const tuned = tunedVariant(op, g);
  if (tuned && legal.includes(tuned)) return tuned;
  if (!currentGpu().info.software) return 'gemm';
  return legal.includes('wino') && winogradPays(g) ? 'wino' : legal.filter((v) => v !== 'wino').at(-1)!;
}

export interface TexConvParams { g: ConvGeometry; M: number; N: number; bias: boolean; act: Activation }

const GEOMETRY = [
  ['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['kChunk', 'u32'],
  ['batch', 'u32'], ['H', 'u32'], ['W', 'u32'], ['CI', 'u32'], ['OH', 'u32'], ['OW', 'u32'],
  ['CO', 'u32'], ['KH', 'u32'], ['KW', 'u32'], ['SH', 'u32'], ['SW', 'u32'], ['PT', 'u32'], ['PL', 'u32'],
] as const;

/** 8x8 workgroups; invocation (x, y) owns output rows 8y..8y+7 and columns 4x..4x+3. */
function rowsKernel(name: string, shader: string, textureFloats: (p: TexConvParams) => number[]): KernelSpec<TexConvParams> {
  return {
    name, shader,
    bindings: ['texture', 'texture', 'read', 'read_write'],
    uniforms: GEOMETRY,
    workgroup: [8, 8, 1],
    defines: () => ({ TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2) }),
    constants: (p) => ({ HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }),
    values: (p) => ({ ...p.g, M: p.M, N: p.N, K: 0, kChunk: 0 }),
    textureFloats,
    dispatch: (p) => [Math.ceil(p.N / 4 / 8), Math.ceil(p.M / 8 / 8), 1],
    flops: (p) => 2 * p.M * p.N * p.g.KH * p.g.KW * (p.N === p.g.CO ? p.g.CI : p.g.CO),
  };
}

const xFloats = (p: TexConvParams) => p.g.batch * p.g.H * p.g.W * p.g.CI;
const yFloats = (p: TexConvParams) => p.g.batch * p.g.OH * p.g.OW * p.g.CO;
const wFloats = (p: TexConvParams) => p.g.KH * p.g.KW * p.g.CI * p.g.CO;

/** The direct forward kernel of each texture variant ('wino' runs through winograd.ts). */
export const texForwardKernels: Record<'tex' | 'sg', KernelSpec<TexConvParams>> = {
  tex: rowsKernel('conv2d_forward_tex', 'conv2d_forward_tex', (p) => [xFloats(p), wFloats(p)]),
  sg: rowsKernel('conv2d_forward_sg', 'conv2d_forward_sg', (p) => [xFloats(p), wFloats(p)]),
};

/** Backward-input: rows are input pixels, columns CI; dz is staged as x, w as itself. */
export const texBackwardInputKernel = rowsKernel('conv2d_backward_input_sg', 'conv2d_backward_input_sg',
  (p) => [yFloats(p), wFloats(p)]);

export interface TexWeightParams { g: ConvGeometry; S: number; chunk: number }

/**
 * Backward-weight: rows (tap, ci) in blocks of 8, so CI must be a multiple of 8; the pixel sum
 * is split S ways (grid z) into [S, KH*KW*CI, CO] partials when the rows alone are few.
 */
export const texBackwardWeightKernel: KernelSpec<TexWeightParams> = {
  name: 'conv2d_backward_weight_sg', shader: 'conv2d_backward_weight_sg',
  bindings: ['texture', 'texture', 'read_write'],
  uniforms: GEOMETRY,
  workgroup: [8, 8, 1],
  defines: () => ({ TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2) }),
  values: (p) => ({
    ...p.g, M: p.g.KH * p.g.KW * p.g.CI, N: p.g.CO, K: p.g.batch * p.g.OH * p.g.OW, kChunk: p.chunk,
  }),
  textureFloats: (p) => [p.g.batch * p.g.H * p.g.W * p.g.CI, p.g.batch * p.g.OH * p.g.OW * p.g.CO],
  dispatch: (p) => [Math.ceil(p.g.CO / 4 / 8), Math.ceil((p.g.KH * p.g.KW * p.g.CI) / 64), p.S],
  flops: (p) => 2 * p.g.KH * p.g.KW * p.g.CI * p.g.CO * p.g.batch * p.g.OH * p.g.OW,
};

/** Pixels one split of the weight gradient sums: x and dz chunks of ~1024 pixels stay in L2. */
const WEIGHT_CHUNK = 1024;

/**
 * Splits the pixel sum of the weight gradient. On lavapipe a workgroup's subgroups run one
 * after another through the whole chunk, so a long chunk streams x and dz from memory once per
 * subgroup (block1 at batch 4: 90,000 pixels, 2 GFLOP/s); chunks of ~1024 pixels are re-read
 * from cache. Also at least ~32 workgroups, and the [S, M, CO] partials within half a binding.
 */
export function planTexWeight(g: ConvGeometry, maxBinding = dispatcher().maxBinding): TexWeightParams {
  const P = g.batch * g.OH * g.OW;
  const M = g.KH * g.KW * g.CI;
  const groups = Math.ceil(g.CO / 32) * Math.ceil(M / 64);
  const wanted = Math.max(Math.ceil(P / WEIGHT_CHUNK), Math.ceil(32 / groups));
  const fits = Math.max(1, Math.floor(maxBinding / (2 * 4 * M * g.CO)));
  const S = Math.max(1, Math.min(wanted, fits, 256, Math.ceil(P / 8)));
  const chunk = Math.ceil(P / S / 8) * 8;
  return { g, S: Math.ceil(P / chunk), chunk };
}
