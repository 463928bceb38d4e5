// The texture-fed conv2d kernels, for software adapters (lavapipe), where a texel fetch of an
// rgba32float texture costs about a fifth per float of a storage-buffer load (which pays a
// scalar load, bounds check and branch per float per lane) and workgroup memory is no faster
// than global memory. The sg kernels also share fetched texels across groups of L lanes of a
// subgroup (sg_lanes.ts, shaders/sg_share.wgsl). Which of them runs, with which share, on what
// padding and split, is the kernel planner's choice (plan.ts); the launch parameters below carry
// its plan.
import type { Constants, KernelSpec } from '../gpu/program.js';
import { TEXTURE_WIDTH_LOG2 } from '../gpu/texture_pool.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import { ACT_CODE, type Activation } from './activation.js';
import { CONV_GEOMETRY_UNIFORMS, type ConvGeometry } from './conv_types.js';
import { GEMM_UNIFORMS } from './gemm.js';
import type { PixelSplit } from './plan_types.js';
import { perShare, type SgShare, sgDefines, sgGrid, sgTaskGrid, sgWorkgroup } from './sg_lanes.js';

export interface TexConvParams {
  g: ConvGeometry;
  M: number;
  N: number;
  bias: boolean;
  act: Activation;
  precision: TexturePrecision;
}

const GEOMETRY = [...GEMM_UNIFORMS, ...CONV_GEOMETRY_UNIFORMS];

/**
 * tex (null share): invocation (x, y) owns output rows 8y..8y+7 and columns 4x..4x+3, in 8 x 8
 * workgroups. sg: L x 64/L workgroups whose groups (placed by sgPlace) each own 4 blocks of L
 * rows, a lane a vec4 of columns.
 */
function rowsKernel(
  name: string,
  shader: string,
  textureFloats: (p: TexConvParams) => number[],
  share: SgShare | null = null,
  extra: Record<string, string> = {},
): KernelSpec<TexConvParams> {
  const lanes = share?.lanes ?? 8;
  const defines = {
    TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2),
    ...(share && sgDefines(share)),
    U_BINDING: '4',
    POOL_OUT: 'none',
    ...extra,
  };
  return {
    name,
    shader,
    bindings: ['texture', 'texture', 'read', 'read_write'],
    uniforms: GEOMETRY,
    workgroup: share ? sgWorkgroup(share) : [8, 8, 1],
    defines: () => defines,
    // Fewer rows per invocation where M fits them: the rest would be clamped copies.
    constants: (p): Constants =>
      share
        ? { HAS_BIAS: p.bias, ACT: ACT_CODE[p.act], SG_BLOCKS: p.M <= lanes ? 1 : 4 }
        : { HAS_BIAS: p.bias, ACT: ACT_CODE[p.act], ROWS: p.M <= 4 ? 4 : 8 },
    values: (p) => ({ ...p.g, M: p.M, N: p.N, K: 0, kChunk: 0 }),
    textureFloats,
    staging: (p) => p.precision,
    // sg: each group owns 4 blocks of L rows (the shaders say why).
    dispatch: (p) =>
      share ? [...sgGrid(share, p.N / 4, p.M, 4 * lanes), 1] : [Math.ceil(p.N / 4 / 8), Math.ceil(p.M / 64), 1],
    flops: (p) => 2 * p.M * p.N * p.g.KH * p.g.KW * (p.N === p.g.CO ? p.g.CI : p.g.CO),
  };
}

const xFloats = (p: TexConvParams) => p.g.batch * p.g.H * p.g.W * p.g.CI;
const yFloats = (p: TexConvParams) => p.g.batch * p.g.OH * p.g.OW * p.g.CO;
const wFloats = (p: TexConvParams) => p.g.KH * p.g.KW * p.g.CI * p.g.CO;

/** The tex forward kernel (no share). */
export const texForwardKernel = rowsKernel('conv2d_forward_tex', 'conv2d_forward_tex', (p) => [xFloats(p), wFloats(p)]);

/** The sg forward kernel per share ('wino' runs through winograd.ts). */
export const sgForwardKernels = perShare((s) =>
  rowsKernel('conv2d_forward_sg', 'conv2d_forward_sg', (p) => [xFloats(p), wFloats(p)], s),
);

/** The pooled sg forward's launch: rows come in 2x2 windows (conv2d_forward_sg.wgsl, POOL_ROWS). */
export interface TexPoolParams extends TexConvParams {
  /** Windows, each a row of y and of the winners. */
  windows: number;
  /** x (the patch rows) laid out [CI/4][M] (conv_patches.ts patchesRaw, channelsOuter). */
  channelsOuter?: boolean;
}

/**
 * The sg forward whose epilogue max-pools each window of four rows (the RGB patch matrix in
 * window order: conv_patches.ts) and keeps the winners: y [windows][N/4] vec4s, codes
 * [windows][N/4] packed. No bias (the patch weight carries it); every group runs 4 blocks.
 */
export const sgForwardPoolKernels = perShare((s): KernelSpec<TexPoolParams> => {
  const codes = { U_BINDING: '5', POOL_OUT: 'codes' };
  const base = rowsKernel('conv2d_forward_sg_pool', 'conv2d_forward_sg', (p) => [xFloats(p), wFloats(p)], s, codes);
  return {
    ...base,
    bindings: [...base.bindings, 'read_write'],
    constants: (p) => ({
      ...{ HAS_BIAS: false, ACT: ACT_CODE[p.act], SG_BLOCKS: 4, POOL_ROWS: true },
      ...{ WINDOWS: p.windows, RELU_MASK: p.act === 'relu', X_CHANNELS_OUTER: !!p.channelsOuter },
    }),
  };
});

/** The direct forward kernel of a texture plan: tex, or sg with its share. */
export function forwardKernel(share: SgShare | null): KernelSpec<TexConvParams> {
  return share ? sgForwardKernels.of(share) : texForwardKernel;
}

/** Backward-input per share: rows are input pixels, columns CI; dz is staged as x, w as itself. */
export const sgBackwardInputKernels = perShare((s) =>
  rowsKernel('conv2d_backward_input_sg', 'conv2d_backward_input_sg', (p) => [yFloats(p), wFloats(p)], s),
);

export interface TexWeightParams extends PixelSplit {
  g: ConvGeometry;
  precision: TexturePrecision;
  /**
   * Pixels per segment, each summed into S / segments slabs of its own (the Winograd weight
   * gradient's a^2 slabs of tiles: winograd_weight.ts); all of them if absent. S counts the
   * slabs of all segments. With segments, x is laid out as the Winograd input transform writes
   * V: [segment][CI/4][pixel of the segment] (the shader's SEGMENT_TILES).
   */
  segment?: number;
}

/**
 * Backward-weight per share: rows (tap, ci) in blocks of 8, so CI must be a multiple of 8; the
 * pixel sum is split S ways (grid z) into [S, KH*KW*CI, CO] partials when the rows alone are
 * few. An invocation owns 4 consecutive blocks and a vec4 of columns; its group shares L pixels
 * at a time (the shader says how the workgroup's groups are laid out).
 */
export const sgBackwardWeightKernels = perShare((s) => weightKernel(s));

/** The sg weight gradient of a pooled patch product, its dz given as the pool's (TexWeightPooledParams). */
export interface TexWeightPooledParams extends TexWeightParams {
  /** The window order of the patch rows (the pixels of g): lane groups and windows. */
  rows: { lanes: number; windows: number };
}

/**
 * Backward-weight per share of a pooled patch product (an RGB conv + 2x2 max pool, conv_pool.ts)
 * whose dz the kernel reads as the pool's gradient dy [windows][CO/4] (staged in dz's place) and
 * the forward's winners (binding 3): shaders/sg_weight_dz_pooled.wgsl. The rows' dz is never
 * written (the pool's backward, 11 MB a step for the from-scratch convnet's first layer at
 * batch 4, and its staging).
 */
export const sgBackwardWeightPooledKernels = perShare((s): KernelSpec<TexWeightPooledParams> => {
  const base = weightKernel(s, 'pooled');
  return {
    ...base,
    name: 'conv2d_backward_weight_sg_pooled',
    bindings: [...base.bindings, 'read'],
    constants: (p) => ({ ...base.constants!(p), DZ_LANES: p.rows.lanes, DZ_WINDOWS: p.rows.windows }),
    textureFloats: (p) => [base.textureFloats!(p)[0], p.rows.windows * p.g.CO],
  };
});

function weightKernel(share: SgShare, dz: 'dense' | 'pooled' = 'dense'): KernelSpec<TexWeightParams> {
  const defines = { TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2), ...sgDefines(share), DZ_SOURCE: dz };
  return {
    name: 'conv2d_backward_weight_sg',
    shader: 'conv2d_backward_weight_sg',
    bindings: ['texture', 'texture', 'read_write'],
    uniforms: GEOMETRY,
    workgroup: sgWorkgroup(share),
    defines: () => defines,
    constants: (p) => ({ SEGMENT_TILES: p.segment !== undefined }),
    values: (p) => ({
      ...p.g,
      M: p.g.KH * p.g.KW * p.g.CI,
      N: p.g.CO,
      K: p.segment ?? p.g.batch * p.g.OH * p.g.OW,
      kChunk: p.chunk,
    }),
    textureFloats: (p) => [p.g.batch * p.g.H * p.g.W * p.g.CI, p.g.batch * p.g.OH * p.g.OW * p.g.CO],
    staging: (p) => p.precision,
    // Each group owns 4 blocks of 8 rows.
    // Tasks of 4 blocks of 8 rows by one pixel chunk.
    dispatch: (p) => sgTaskGrid(share, p.g.CO / 4, Math.ceil((p.g.KH * p.g.KW * p.g.CI) / 32), p.S),
    flops: (p) => 2 * p.g.KH * p.g.KW * p.g.CI * p.g.CO * p.g.batch * p.g.OH * p.g.OW,
  };
}
