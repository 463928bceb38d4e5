// The one GEMM core every matmul-shaped kernel shares (dense forward/backward, conv forward,
// conv backward-input, conv backward-weight): shaders/gemm_tiled.wgsl, or the naive
// one-invocation-per-output baseline gemm_naive.wgsl. This module declares GEMM kernels from a
// shader, its bindings and extra uniforms; the kernel planner (plan.ts) picks the core and split.
import { type Access, type Constants, type KernelSpec, u32Uniforms, type UniformType } from '../gpu/program.js';

export type GemmVariant = 'tiled' | 'naive';
export const GEMM_VARIANTS: readonly GemmVariant[] = ['tiled', 'naive'];

/** Output rows and columns one workgroup of each core computes. */
export const GEMM_TILE: Record<GemmVariant, number> = { tiled: 64, naive: 16 };

/** One GEMM launch, as the kernel planner (plan_split.ts) sized it. */
export interface GemmPlan {
  M: number;
  N: number;
  K: number;
  core: GemmVariant;
  /** Number of K splits (grid z); each writes its own [M, N] slab of partial sums. */
  S: number;
  kChunk: number;
}

/** The GEMM core's own uniforms, first in every struct that shares its shape. */
export const GEMM_UNIFORMS = u32Uniforms(['M', 'N', 'K', 'kChunk']);

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
    name: d.name,
    shader: d.shader,
    bindings: d.bindings,
    uniforms: [...GEMM_UNIFORMS, ...(d.extraUniforms ?? [])],
    workgroup: [16, 16, 1],
    defines: (p) => ({ CORE: p.plan.core }),
    constants: d.constants,
    values: (p) => ({
      M: p.plan.M,
      N: p.plan.N,
      K: p.plan.K,
      kChunk: p.plan.kChunk,
      ...(d.extraValues?.(p) ?? {}),
    }),
    dispatch: (p) => {
      const t = GEMM_TILE[p.plan.core];
      return [Math.ceil(p.plan.N / t), Math.ceil(p.plan.M / t), p.plan.S];
    },
    flops: (p) => 2 * p.plan.M * p.plan.N * p.plan.K,
  };
}
