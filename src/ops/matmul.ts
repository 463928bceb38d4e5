// Dense layers and plain matrix products. Forward: Y = act(X.W + b), X [M,K], W [K,N], b [N].
// Backward (of the linear part): dX = dZ.W^T, dW = X^T.dZ, db = sum over rows of dZ, where dZ is
// dY through the activation. Kernel: shaders/matmul.wgsl over the shared GEMM core, or the
// texture-fed conv kernels where the kernel planner (src/kernels/plan.ts) picks them.
import { dispatcher } from '../gpu/engine.js';
import { record } from '../autograd/engine.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { activationGrad, ACT_CODE, type Activation } from '../kernels/activation.js';
import { binaryRaw, unaryRaw } from '../kernels/elementwise.js';
import { gemmKernel, type GemmPlan } from '../kernels/gemm.js';
import { reduceMiddle } from '../kernels/reduce.js';
import { texDense } from '../kernels/gemm_tex.js';
import { densePlan } from '../kernels/plan_context.js';

interface MatmulParams { plan: GemmPlan; transA: boolean; transB: boolean; bias: boolean; act: Activation }

export const matmulKernel = gemmKernel<MatmulParams>({
  name: 'matmul', shader: 'matmul',
  bindings: ['read', 'read', 'read', 'read_write'],
  constants: (p) => ({ TRANS_A: p.transA, TRANS_B: p.transB, HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }),
});

export interface GemmOptions { transA?: boolean; transB?: boolean; bias?: Tensor | null; act?: Activation }

/** act(op(a) . op(b) + bias) with no gradient recorded. a: [M,K] (or [K,M]), b: [K,N] (or [N,K]). */
export function gemmRaw(a: Tensor, b: Tensor, o: GemmOptions = {}): Tensor {
  const transA = o.transA ?? false;
  const transB = o.transB ?? false;
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`dawnflow: matmul needs 2-D operands, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
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
  const p = { plan, transA, transB, bias: fused && bias !== null, act: fused ? act : 'linear' as Activation };
  dispatcher().launch(matmulKernel, p, [a.buffer, b.buffer, (bias ?? a).buffer, out.buffer]);
  if (fused) return reshapeOwned(out, [M, N]);
  return epilogue(reduceMiddle(out, 1, plan.S, M * N), out, M, N, bias, act);
}

/** Split-K tail: partial sums reduced, then bias and activation as separate kernels. */
function epilogue(sum: Tensor, partial: Tensor, M: number, N: number, bias: Tensor | null, act: Activation): Tensor {
  partial.dispose();
  let y = reshapeOwned(sum, [M, N]);
  if (bias) {
    const z = binaryRaw('add', y, bias);
    y.dispose();
    y = z;
  }
  if (act !== 'linear') {
    const z = unaryRaw(act, y);
    y.dispose();
    y = z;
  }
  return y;
}

/** a . b with gradients. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const y = gemmRaw(a, b);
  return record(y, 'matmul', [a, b], (g, needs) => [
    needs[0] ? gemmRaw(g, b, { transB: true }) : null,
    needs[1] ? gemmRaw(a, g, { transA: true }) : null,
  ]);
}

/** Keras Dense: y = act(x . w + b). x: [M, in], w: [in, units], b: [units] or null. */
export function dense(x: Tensor, w: Tensor, b: Tensor | null, act: Activation = 'linear'): Tensor {
  if (w.rank !== 2 || x.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new Error(`dawnflow: dense input ${fmt(x.shape)} does not fit kernel ${fmt(w.shape)}`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
    throw new Error(`dawnflow: dense bias ${fmt(b.shape)} does not fit kernel ${fmt(w.shape)}`);
  }
  const y = gemmRaw(x, w, { bias: b, act });
  const inputs = b ? [x, w, b] : [x, w];
  return record(y, 'dense', inputs, (g, needs) => {
    const dz = activationGrad(g, y, act);
    const grads = [
      needs[0] ? gemmRaw(dz, w, { transB: true }) : null,
      needs[1] ? gemmRaw(x, dz, { transA: true }) : null,
      b && needs[2] ? reshapeOwned(reduceMiddle(dz, 1, dz.shape[0], dz.shape[1]), b.shape) : null,
    ];
    if (dz !== g) dz.dispose();
    return grads;
  });
}
