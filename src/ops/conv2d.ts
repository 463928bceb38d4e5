// Conv2D, NHWC x HWIO (Keras order), strides 1 or more, TF 'same'/'valid' padding, optional bias
// and fused relu/sigmoid. Forward, backward-input and backward-weight each run the kernel plan
// (src/kernels/plan.ts) for their geometry: implicit GEMMs over the shared GEMM core
// (shaders/conv2d_*.wgsl), or the texture-fed kernels on channels padded as the plan says. The
// bias gradient is a column sum of dY.
import { dispatcher } from '../gpu/engine.js';
import { record } from '../autograd/engine.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import { fmt, windowOutput, type Padding } from '../tensor/shape.js';
import { activationGrad, ACT_CODE, type Activation } from '../kernels/activation.js';
import type { ConvGeometry } from '../kernels/conv_types.js';
import { binaryRaw, unaryRaw } from '../kernels/elementwise.js';
import { gemmKernel, type GemmPlan } from '../kernels/gemm.js';
import { reduceMiddle } from '../kernels/reduce.js';
import { padAxisRaw } from '../kernels/pad_axis.js';
import { winogradForward } from '../kernels/winograd.js';
import { texBackwardInputKernel, texBackwardWeightKernel, texForwardKernels } from '../kernels/conv_tex.js';
import { convPlan } from '../kernels/plan_context.js';
import type { KernelPlan } from '../kernels/plan_types.js';

export interface Conv2DOptions {
  strides?: number | [number, number];
  padding?: Padding;
  activation?: Activation;
}

// --- shape rule ----------------------------------------------------------------------------

export function conv2dGeometry(x: readonly number[], w: readonly number[], o: Conv2DOptions = {}): ConvGeometry {
  if (x.length !== 4) throw new Error(`dawnflow: conv2d input must be NHWC, got ${fmt(x)}`);
  if (w.length !== 4) throw new Error(`dawnflow: conv2d kernel must be HWIO, got ${fmt(w)}`);
  const [batch, H, W, CI] = x;
  const [KH, KW, wCI, CO] = w;
  if (wCI !== CI) throw new Error(`dawnflow: conv2d kernel ${fmt(w)} expects ${wCI} channels, input ${fmt(x)} has ${CI}`);
  const [SH, SW] = typeof o.strides === 'number' ? [o.strides, o.strides] : (o.strides ?? [1, 1]);
  if (!(SH >= 1 && SW >= 1)) throw new Error(`dawnflow: conv2d strides must be >= 1`);
  const padding = o.padding ?? 'valid';
  const rows = windowOutput(H, KH, SH, padding);
  const cols = windowOutput(W, KW, SW, padding);
  if (rows.out < 1 || cols.out < 1) {
    throw new Error(`dawnflow: conv2d kernel ${KH}x${KW} does not fit input ${fmt(x)} with '${padding}' padding`);
  }
  return { batch, H, W, CI, OH: rows.out, OW: cols.out, CO, KH, KW, SH, SW, PT: rows.before, PL: cols.before };
}

// --- kernels -------------------------------------------------------------------------------

interface ConvParams { plan: GemmPlan; g: ConvGeometry; bias: boolean; act: Activation }

const GEOMETRY_UNIFORMS = [
  ['batch', 'u32'], ['H', 'u32'], ['W', 'u32'], ['CI', 'u32'], ['OH', 'u32'], ['OW', 'u32'],
  ['CO', 'u32'], ['KH', 'u32'], ['KW', 'u32'], ['SH', 'u32'], ['SW', 'u32'], ['PT', 'u32'], ['PL', 'u32'],
] as const;

function convKernel(name: string, storage: number) {
  return gemmKernel<ConvParams>({
    name, shader: name,
    bindings: [...Array(storage - 1).fill('read'), 'read_write'],
    extraUniforms: GEOMETRY_UNIFORMS,
    extraValues: (p) => ({ ...p.g }),
    constants: name === 'conv2d_forward' ? (p) => ({ HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }) : undefined,
  });
}

export const conv2dForwardKernel = convKernel('conv2d_forward', 4);
export const conv2dBackwardInputKernel = convKernel('conv2d_backward_input', 3);
export const conv2dBackwardWeightKernel = convKernel('conv2d_backward_weight', 3);

/** Runs a GEMM-shaped conv kernel; with K split, sums the [S, M, N] partials. */
function runGemm(spec: typeof conv2dForwardKernel, p: ConvParams, inputs: GPUBuffer[]): Tensor {
  const { M, N, S } = p.plan;
  const out = Tensor.empty([S * M, N], 'float32', spec.name);
  dispatcher().launch(spec, p, [...inputs, out.buffer]);
  if (S === 1) return out;
  const sum = reduceMiddle(out, 1, S, M * N);
  out.dispose();
  return sum;
}

// --- forward and backward ------------------------------------------------------------------

/** y = act(conv2d(x, w) + b). x: NHWC, w: HWIO, b: [CO] or null. */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, o: Conv2DOptions = {}): Tensor {
  const g = conv2dGeometry(x.shape, w.shape, o);
  if (b && (b.rank !== 1 || b.shape[0] !== g.CO)) {
    throw new Error(`dawnflow: conv2d bias ${fmt(b.shape)} does not fit ${g.CO} filters`);
  }
  const act = o.activation ?? 'linear';
  const y = convForward(x, w, b, g, act);
  return record(y, 'conv2d', b ? [x, w, b] : [x, w], (dy, needs) => {
    const dz = activationGrad(dy, y, act);
    const grads = [
      needs[0] ? conv2dBackwardInput(dz, w, g) : null,
      needs[1] ? conv2dBackwardWeight(x, dz, g) : null,
      b && needs[2] ? conv2dBackwardBias(dz, g) : null,
    ];
    if (dz !== dy) dz.dispose();
    return grads;
  });
}

/** The forward on its plan: channels padded first where the plan says (x and w alike). */
function convForward(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, act: Activation): Tensor {
  const plan = convPlan('forward', g);
  if (plan.variant === 'gemm' || !plan.padding) return runForward(plan, x, w, b, act);
  const xp = padAxisRaw(x, 3, plan.g.CI);
  const wp = padAxisRaw(w, 2, plan.g.CI);
  const y = runForward(plan, xp, wp, b, act);
  xp.dispose();
  wp.dispose();
  return y;
}

/** The forward launch of `plan` (operands already padded), bias and activation fused where possible. */
function runForward(plan: KernelPlan, x: Tensor, w: Tensor, b: Tensor | null, act: Activation): Tensor {
  const g = plan.g;
  if (plan.variant === 'wino') return winogradForward(x, w, b, g, act, plan.precision);
  if (plan.variant !== 'gemm') {
    const y = Tensor.empty([g.batch, g.OH, g.OW, g.CO], 'float32', 'conv2d_forward');
    dispatcher().launch(texForwardKernels[plan.variant],
      { g, M: g.batch * g.OH * g.OW, N: g.CO, bias: !!b, act, precision: plan.precision },
      [x.buffer, w.buffer, (b ?? x).buffer, y.buffer]);
    return y;
  }
  const fused = plan.gemm.S === 1;
  const flat = runGemm(conv2dForwardKernel, { plan: plan.gemm, g, bias: fused && !!b, act: fused ? act : 'linear' },
    [x.buffer, w.buffer, (b ?? x).buffer]);
  const y = reshapeOwned(flat, [g.batch, g.OH, g.OW, g.CO]);
  return fused ? y : splitEpilogue(y, b, act);
}

function splitEpilogue(y: Tensor, b: Tensor | null, act: Activation): Tensor {
  let out = y;
  if (b) {
    out = binaryRaw('add', y, b);
    y.dispose();
  }
  if (act === 'linear') return out;
  const z = unaryRaw(act, out);
  out.dispose();
  return z;
}

/** dx from dz (the gradient w.r.t. the linear conv output) and w. */
export function conv2dBackwardInput(dz: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const plan = convPlan('backward_input', g);
  if (plan.variant === 'gemm' || !plan.padding) return runBackwardInput(plan, dz, w);
  // As the forward: w's input channels padded, the padded dx channels (zero) cropped off.
  const wp = padAxisRaw(w, 2, plan.g.CI);
  const dxp = runBackwardInput(plan, dz, wp);
  const dx = padAxisRaw(dxp, 3, g.CI);
  wp.dispose();
  dxp.dispose();
  return dx;
}

function runBackwardInput(plan: KernelPlan, dz: Tensor, w: Tensor): Tensor {
  const g = plan.g;
  if (plan.variant === 'gemm') {
    const p = { plan: plan.gemm, g, bias: false, act: 'linear' as const };
    const flat = runGemm(conv2dBackwardInputKernel, p, [dz.buffer, w.buffer]);
    return reshapeOwned(flat, [g.batch, g.H, g.W, g.CI]);
  }
  const dx = Tensor.empty([g.batch, g.H, g.W, g.CI], 'float32', 'conv2d_backward_input');
  // The bias binding is unused (HAS_BIAS off); dz's buffer fills it.
  dispatcher().launch(texBackwardInputKernel,
    { g, M: g.batch * g.H * g.W, N: g.CI, bias: false, act: 'linear', precision: plan.precision },
    [dz.buffer, w.buffer, dz.buffer, dx.buffer]);
  return dx;
}

/** dw from x and dz; K = batch*OH*OW is long, so it is usually split. */
export function conv2dBackwardWeight(x: Tensor, dz: Tensor, g: ConvGeometry): Tensor {
  const plan = convPlan('backward_weight', g);
  if (plan.variant === 'gemm' || !plan.padding) return runBackwardWeight(plan, x, dz);
  // x's channels padded to the 8-row blocks; the padded rows of dw (zero) cropped off.
  const xp = padAxisRaw(x, 3, plan.g.CI);
  const dwp = runBackwardWeight(plan, xp, dz);
  const dw = padAxisRaw(dwp, 2, g.CI);
  xp.dispose();
  dwp.dispose();
  return dw;
}

function runBackwardWeight(plan: KernelPlan, x: Tensor, dz: Tensor): Tensor {
  const g = plan.g;
  const shape = [g.KH, g.KW, g.CI, g.CO];
  if (plan.variant === 'gemm') {
    const p = { plan: plan.gemm, g, bias: false, act: 'linear' as const };
    const flat = runGemm(conv2dBackwardWeightKernel, p, [x.buffer, dz.buffer]);
    return reshapeOwned(flat, shape);
  }
  const p = { g, precision: plan.precision, S: plan.split!.S, chunk: plan.split!.chunk };
  const M = g.KH * g.KW * g.CI;
  const part = Tensor.empty([p.S * M, g.CO], 'float32', 'conv2d_backward_weight');
  dispatcher().launch(texBackwardWeightKernel, p, [x.buffer, dz.buffer, part.buffer]);
  const dw = p.S === 1 ? part : reduceMiddle(part, 1, p.S, M * g.CO);
  if (dw !== part) part.dispose();
  return reshapeOwned(dw, shape);
}

export function conv2dBackwardBias(dz: Tensor, g: ConvGeometry): Tensor {
  return reshapeOwned(reduceMiddle(dz, 1, g.batch * g.OH * g.OW, g.CO), [g.CO]);
}
