// Plain matrix products on the texture-fed conv kernels: a dense layer is a 1x1 convolution of
// a [M, 1, 1, K] image, so X.W, dZ.W^T and X^T.dZ are its forward, backward-input and
// backward-weight. Runs a dense plan (plan.ts) whose variant is texture-fed; the planner decided
// where that applies (the conv kernels' channel rules, and which products map to which op).
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import type { Activation } from './activation.js';
import { forwardKernel, sgBackwardInputKernels, sgBackwardWeightKernels } from './conv_tex.js';
import type { TexturePlan } from './plan_types.js';
import { reduceMiddle } from './reduce.js';

/**
 * The product `plan` describes: act(a . b + bias) for the forward, a . b^T for the
 * backward-input (a = dz, b = w), a^T . b for the backward-weight (a = x, b = dz).
 */
export function texDense(plan: TexturePlan, a: Tensor, b: Tensor, bias: Tensor | null, act: Activation): Tensor {
  if (plan.op === 'backward_input') return texMatmulTransB(plan, a, b);
  if (plan.op === 'backward_weight') return texMatmulTransA(plan, a, b);
  if (plan.variant === 'wino' || plan.variant === 'wino4')
    throw new Error('dawnflow: a dense product has no Winograd form');
  const { g, precision } = plan;
  const y = Tensor.empty([g.batch, g.CO], 'float32', 'matmul');
  dispatcher().launch(forwardKernel(plan.share), { g, M: g.batch, N: g.CO, bias: !!bias, act, precision }, [
    a.buffer,
    b.buffer,
    (bias ?? a).buffer,
    y.buffer,
  ]);
  return y;
}

/** dz . w^T, dz [M, N], w [K, N] -> [M, K] (g: M pixels, K -> N channels). */
function texMatmulTransB(plan: TexturePlan, dz: Tensor, w: Tensor): Tensor {
  const { g, precision } = plan;
  const dx = Tensor.empty([g.batch, g.CI], 'float32', 'matmul');
  dispatcher().launch(
    sgBackwardInputKernels.of(plan.share!),
    { g, M: g.batch, N: g.CI, bias: false, act: 'linear', precision },
    [dz.buffer, w.buffer, dz.buffer, dx.buffer],
  );
  return dx;
}

interface OuterParams {
  P: number;
  K: number;
  N: number;
}

const OUTER_WG = 64;
/** Quads of rows per invocation of the outer-product kernel (dz's vec4s load once per run). */
const OUTER_RUN = 16;
/** The most rows (batch) the outer-product weight gradient takes. */
const OUTER_MAX_ROWS = 4;

const outerInvocations = (p: OuterParams) => (p.N / 4) * Math.ceil(p.K / 4 / OUTER_RUN);

/** x^T . dz for at most OUTER_MAX_ROWS rows: shaders/dense_weight_outer.wgsl. */
export const denseWeightOuterKernel: KernelSpec<OuterParams> = {
  name: 'dense_weight_outer',
  shader: 'dense_weight_outer',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [['n', 'u32']],
  workgroup: [OUTER_WG, 1, 1],
  constants: (p) => ({ P: p.P, K4: p.K / 4, N4: p.N / 4, KR4: OUTER_RUN }),
  values: (p) => ({ n: outerInvocations(p) }),
  dispatch: (p) => grid1d(outerInvocations(p), OUTER_WG),
  flops: (p) => 2 * p.P * p.K * p.N,
};

/** Whether the weight gradient of x [P, K] and dz [P, N] runs as an outer product. */
function outerProductFits(P: number, K: number, N: number): boolean {
  return P <= OUTER_MAX_ROWS && K % 4 === 0 && N % 4 === 0;
}

/** x^T . dz, x [P, K], dz [P, N] -> [K, N] (g: P pixels, K -> N channels). */
function texMatmulTransA(plan: TexturePlan, x: Tensor, dz: Tensor): Tensor {
  const { g, precision, split } = plan;
  if (outerProductFits(g.batch, g.CI, g.CO)) {
    const dw = Tensor.empty([g.CI, g.CO], 'float32', 'matmul');
    const p = { P: g.batch, K: g.CI, N: g.CO };
    dispatcher().launch(denseWeightOuterKernel, p, [x.buffer, dz.buffer, dw.buffer]);
    return dw;
  }
  const p = { g, precision, S: split!.S, chunk: split!.chunk };
  const part = Tensor.empty([p.S * g.CI, g.CO], 'float32', 'matmul');
  dispatcher().launch(sgBackwardWeightKernels.of(plan.share!), p, [x.buffer, dz.buffer, part.buffer]);
  if (p.S === 1) return part;
  const dw = reduceMiddle(part, 1, p.S, g.CI * g.CO);
  part.dispose();
  return reshapeOwned(dw, [g.CI, g.CO]);
}
