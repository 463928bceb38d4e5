// The sum of a split GEMM's K slices with the GEMM's epilogue, in one launch
// (shaders/gemm_split_sum.wgsl). The planner splits K where a product has few output tiles
// (plan_split.ts: on GPUs, so that thousands of lanes have work), and each slice writes its own
// [M, N] partial sums. Summing them (reduce_sum), adding the bias and applying the activation
// used to be three launches and three passes over [M, N]; this is one, with the same additions
// in the same order (the slices in order from zero, then the bias), so its results are theirs
// bit for bit. GPUs pay it on VGG16's block 5 at small batches and on the dense head.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';
import { ACT_CODE, type Activation } from './activation.js';

export interface SplitSumParams {
  /** Slices, each [M, N]. */
  S: number;
  M: number;
  N: number;
  bias: boolean;
  act: Activation;
}

const WG = 256;

export const gemmSplitSumKernel: KernelSpec<SplitSumParams> = {
  name: 'gemm_split_sum',
  shader: 'gemm_split_sum',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [
    ['S', 'u32'],
    ['MN', 'u32'],
    ['N', 'u32'],
  ],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }),
  values: (p) => ({ S: p.S, MN: p.M * p.N, N: p.N }),
  dispatch: (p) => grid1d(p.M * p.N, WG),
  flops: (p) => p.M * p.N * p.S,
};

/**
 * act(part[0] + ... + part[S-1] + bias) as a new [M, N] tensor, part being a split GEMM's
 * [S * M, N] slices (bias [N], or null).
 */
export function splitSum(part: Tensor, S: number, M: number, N: number, bias: Tensor | null, act: Activation): Tensor {
  const out = Tensor.empty([M, N], 'float32', 'gemm_split_sum');
  const p = { S, M, N, bias: bias !== null, act };
  dispatcher().launch(gemmSplitSumKernel, p, [part.buffer, (bias ?? part).buffer, out.buffer]);
  return out;
}
