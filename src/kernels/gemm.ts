// The one GEMM core every matmul-shaped kernel shares (dense forward/backward, conv forward,
// conv backward-input, conv backward-weight): shaders/gemm_tiled.wgsl, or the naive
// one-invocation-per-output baseline gemm_naive.wgsl. This module plans the launch (tiles and
// how K is split) and declares GEMM kernels from a shader, its bindings and extra uniforms.
import { currentGpu } from '../gpu/engine.js';
import type { Access, Constants, KernelSpec, UniformType } from '../gpu/program.js';

export type GemmVariant = 'tiled' | 'naive';
export const GEMM_VARIANTS: readonly GemmVariant[] = ['tiled', 'naive'];

let forced: GemmVariant | null = null;

/** Forces one core for every GEMM kernel (tests loop over all); null returns to the default. */
export function setGemmVariant(v: GemmVariant | null): void {
  forced = v;
}

/** Whether a test or DAWNFLOW_GEMM asked for one GEMM core (texture variants then stand aside). */
export function gemmForced(): boolean {
  return forced !== null || process.env.DAWNFLOW_GEMM === 'naive' || process.env.DAWNFLOW_GEMM === 'tiled';
}

/**
 * The core for an M-row product: forced (tests, DAWNFLOW_GEMM), else the tiled core, except for
 * skinny products (M <= 32, a dense layer's batch) where a 64-row tile would be mostly padding:
 * measured on lavapipe, 4x8192x256 runs 6x faster and 20x8192x256 1.4x faster on the naive core.
 */
export function gemmVariant(M = Infinity): GemmVariant {
  const env = process.env.DAWNFLOW_GEMM;
  if (forced) return forced;
  if (env === 'naive' || env === 'tiled') return env;
  return M <= 32 ? 'naive' : 'tiled';
}

const TILE: Record<GemmVariant, number> = { tiled: 64, naive: 16 };

export interface GemmPlan {
  M: number;
  N: number;
  K: number;
  /** Number of K splits (grid z); each writes its own [M, N] slab of partial sums. */
  S: number;
  kChunk: number;
  variant: GemmVariant;
}

/**
 * Splits K when the output alone gives too few workgroups to fill the adapter (conv weight
 * gradients: a 3x3x64x64 dW is 576x64 outputs summed over N*OH*OW positions).
 */
export function planGemm(M: number, N: number, K: number, allowSplit = true): GemmPlan {
  const variant = gemmVariant(M);
  const tile = TILE[variant];
  const tiles = Math.ceil(M / tile) * Math.ceil(N / tile);
  const target = currentGpu().info.software ? 8 : 256;
  let S = allowSplit ? Math.min(Math.ceil(target / tiles), Math.ceil(K / 512)) : 1;
  S = Math.max(1, S);
  const kChunk = Math.max(16, Math.ceil(Math.ceil(K / S) / 16) * 16);
  S = Math.max(1, Math.ceil(K / kChunk));
  return { M, N, K, S, kChunk, variant };
}

export interface GemmSpecInput<P extends { plan: GemmPlan }> {
  name: string;
  shader: string;
  bindings: readonly Access[];
  extraUniforms?: readonly (readonly [string, UniformType])[];
  extraValues?: (p: P) => Record<string, number>;
  constants?: (p: P) => Constants;
}

export function gemmKernel<P extends { plan: GemmPlan }>(d: GemmSpecInput<P>): KernelSpec<P> {
  return {
    name: d.name, shader: d.shader, bindings: d.bindings,
    uniforms: [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['kChunk', 'u32'], ...(d.extraUniforms ?? [])],
    workgroup: [16, 16, 1],
    defines: (p) => ({ CORE: p.plan.variant }),
    constants: d.constants,
    values: (p) => ({
      M: p.plan.M, N: p.plan.N, K: p.plan.K, kChunk: p.plan.kChunk, ...(d.extraValues?.(p) ?? {}),
    }),
    dispatch: (p) => {
      const t = TILE[p.plan.variant];
      return [Math.ceil(p.plan.N / t), Math.ceil(p.plan.M / t), p.plan.S];
    },
    flops: (p) => 2 * p.plan.M * p.plan.N * p.plan.K,
  };
}
