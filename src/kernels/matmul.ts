// Plain and dense matrix products, which record no gradient: act(op(A).op(B) + b). Kernel:
// shaders/matmul.wgsl over the shared GEMM core, or the texture-fed conv kernels where the
// kernel planner (plan.ts) picks them. The ops with their backward: src/ops/matmul.ts.
import { dispatcher } from '../gpu/engine.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { ACT_CODE, type Activation } from './activation.js';
import { gemmKernel, type GemmPlan } from './gemm.js';
import { splitSum } from './gemm_split_sum.js';
import { texDense } from './dense_tex.js';
import { densePlan } from './plan_context.js';

interface MatmulParams {
  plan: GemmPlan;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  act: Activation;
}

export const matmulKernel = gemmKernel<MatmulParams>({
  name: 'matmul',
  shader: 'matmul',
  bindings: ['read', 'read', 'read', 'read_write'],
  constants: (p) => ({ TRANS_A: p.transA, TRANS_B: p.transB, HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }),
});

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: Tensor | null;
  act?: Activation;
}

/** act(op(a) . op(b) + bias) with no gradient recorded. a: [M,K] (or [K,M]), b: [K,N] (or [N,K]). */
export function gemmRaw(a: Tensor, b: Tensor, o: GemmOptions = {}): Tensor {
  const transA = o.transA ?? false;
  const transB = o.transB ?? false;
  if (a.rank !== 2 || b.rank !== 2)
    throw new Error(`dawnflow: matmul needs 2-D operands, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== K2) throw new Error(`dawnflow: matmul inner sizes differ: ${fmt(a.shape)} . ${fmt(b.shape)}`);
  const act = o.act ?? 'linear';
  const bias = o.bias ?? null;
  const planned = densePlan({ M, N, K, transA, transB, epilogue: bias !== null || act !== 'linear' });
  if (planned.variant !== 'gemm') return texDense(planned, a, b, bias, act);
  const plan = planned.gemm;
  const fused = plan.S === 1;
  const out = Tensor.empty([plan.S * M, N], 'float32', 'matmul');
  const p = { plan, transA, transB, bias: fused && bias !== null, act: fused ? act : ('linear' as Activation) };
  dispatcher().launch(matmulKernel, p, [a.buffer, b.buffer, (bias ?? a).buffer, out.buffer]);
  if (fused) return reshapeOwned(out, [M, N]);
  const sum = splitSum(out, plan.S, M, N, bias, act);
  out.dispose();
  return sum;
}
