// The conv launchers, which record no gradient: forward, backward-input and backward-weight each
// run the kernel plan (plan.ts) for their geometry: implicit GEMMs over the shared GEMM core
// (shaders/conv2d_*.wgsl), or the texture-fed kernels on channels padded as the plan says. The
// bias gradient is a column sum of dZ. The op with its shape rule and backward: src/ops/conv2d.ts.
import { dispatcher } from '../gpu/engine.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import { ACT_CODE, type Activation } from './activation.js';
import { CONV_GEOMETRY_UNIFORMS, type ConvGeometry } from './conv_types.js';
import { gemmKernel, type GemmPlan } from './gemm.js';
import { splitSum } from './gemm_split_sum.js';
import { reduceMiddle } from './reduce.js';
import { padAxisRaw } from './pad_axis.js';
import { isPooledGrad, type PooledGrad, type WinoTile, winogradConv } from './winograd.js';
import { winogradWeightGrads } from './winograd_weight.js';
import { WINO_TILE, winogradGeometry } from './plan_legal.js';
import {
  forwardKernel,
  sgBackwardInputKernels,
  sgBackwardWeightKernels,
  sgBackwardWeightPooledKernels,
  type TexWeightParams,
} from './conv_tex.js';
import { poolRowsBackward, type WindowRows } from './conv_patches.js';
import { convPlan } from './plan_context.js';
import type { KernelPlan, TexturePlan } from './plan_types.js';

// --- kernels -------------------------------------------------------------------------------

interface ConvParams {
  plan: GemmPlan;
  g: ConvGeometry;
  bias: boolean;
  act: Activation;
}

function convKernel(name: string, storage: number) {
  return gemmKernel<ConvParams>({
    name,
    shader: name,
    bindings: [...Array(storage - 1).fill('read'), 'read_write'],
    extraUniforms: CONV_GEOMETRY_UNIFORMS,
    extraValues: (p) => ({ ...p.g }),
    constants: name === 'conv2d_forward' ? (p) => ({ HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }) : undefined,
  });
}

export const conv2dForwardKernel = convKernel('conv2d_forward', 4);
export const conv2dBackwardInputKernel = convKernel('conv2d_backward_input', 3);
export const conv2dBackwardWeightKernel = convKernel('conv2d_backward_weight', 3);

/**
 * Runs a GEMM-shaped conv kernel; with K split, sums the [S, M, N] partials, adding the forward's
 * bias and activation in the same launch (the kernel applies them itself where K is whole).
 */
function runGemm(
  spec: typeof conv2dForwardKernel,
  p: ConvParams,
  inputs: GPUBuffer[],
  epilogue: { bias: Tensor | null; act: Activation } = { bias: null, act: 'linear' },
): Tensor {
  const { M, N, S } = p.plan;
  const out = Tensor.empty([S * M, N], 'float32', spec.name);
  dispatcher().launch(spec, p, [...inputs, out.buffer]);
  if (S === 1) return out;
  const sum = splitSum(out, S, M, N, epilogue.bias, epilogue.act);
  out.dispose();
  return sum;
}

// --- launchers ----------------------------------------------------------------------------

/**
 * dz as the gradient launchers take it: a tensor, or where takesPooledGrad holds, the gradient of
 * a fused 2x2 max pool and its winners, which the Winograd transforms read in place of dz.
 */
export type ConvGrad = Tensor | PooledGrad;

/** dz as a tensor, for the kernels that cannot read a pooled gradient. */
function denseGrad(dz: ConvGrad): Tensor {
  if (isPooledGrad(dz)) throw new Error('dawnflow: this conv kernel reads dz whole, not a pooled gradient');
  return dz;
}

/**
 * Whether the gradients `needs` asks for (of x, w and b) of conv g can all start from a fused
 * pool's gradient (PooledGrad), so that dz is never written: each runs Winograd on unpadded
 * channels (its transforms read the pool's gradient and winners), and db comes with dw.
 */
export function takesPooledGrad(g: ConvGeometry, needs: readonly boolean[], bias: boolean): boolean {
  const wino = (op: 'backward_input' | 'backward_weight') => {
    const plan = convPlan(op, g);
    return plan.variant !== 'gemm' && !plan.padding && !!WINO_TILE[plan.variant];
  };
  if ((!needs[0] && !needs[1]) || (bias && needs[2] && !needs[1])) return false;
  return (!needs[0] || wino('backward_input')) && (!needs[1] || wino('backward_weight'));
}

/** The forward on its plan: channels padded first where the plan says (x and w alike). */
export function conv2dForwardRaw(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, act: Activation): Tensor {
  const plan = convPlan('forward', g);
  if (plan.variant === 'gemm' || !plan.padding) return runForward(plan, x, w, b, act);
  const xp = padAxisRaw(x, 3, plan.g.CI);
  const wp = padAxisRaw(w, 2, plan.g.CI);
  const y = runForward(plan, xp, wp, b, act);
  xp.dispose();
  wp.dispose();
  return y;
}

/** x's Winograd transform, kept by a forward for the weight gradient of the same conv. */
export interface SavedTransform {
  tile: WinoTile;
  v: Tensor;
}

/**
 * The forward; with `forGrad` (the weight will want a gradient) and where the forward and the
 * weight gradient both run Winograd with one tile on unpadded channels, it also keeps x's
 * transform V for conv2dBackwardWeight, which then skips recomputing it (2.3 ms of the
 * from-scratch convnet's conv2d_2 on lavapipe). V is 2.25x (F(4x4)) x's size until then.
 */
export function conv2dForwardKeeping(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  forGrad: boolean,
): { y: Tensor; saved: SavedTransform | null } {
  const plan = convPlan('forward', g);
  const tile = plan.variant === 'gemm' ? undefined : WINO_TILE[plan.variant];
  if (!forGrad || !tile || plan.variant === 'gemm' || !keepsTransform(plan, g)) {
    return { y: conv2dForwardRaw(x, w, b, g, act), saved: null };
  }
  const o = { tile, act, precision: plan.precision, keep: true };
  const { y, v } = winogradConv(x, w, b, plan.g, o, plan.share!);
  return { y, saved: { tile, v: v! } };
}

/** Whether the forward `plan` on g can keep x's transform for the weight gradient (same Winograd). */
export function keepsTransform(plan: KernelPlan, g: ConvGeometry): boolean {
  return sameWinograd(plan, convPlan('backward_weight', g));
}

/** Whether two plans run Winograd with the same tile and staging on unpadded channels. */
function sameWinograd(a: KernelPlan, b: KernelPlan): boolean {
  if (a.variant === 'gemm' || b.variant === 'gemm' || a.padding || b.padding) return false;
  return !!WINO_TILE[a.variant] && WINO_TILE[a.variant] === WINO_TILE[b.variant] && a.precision === b.precision;
}

/** The forward launch of `plan` (operands already padded), bias and activation fused where possible. */
function runForward(plan: KernelPlan, x: Tensor, w: Tensor, b: Tensor | null, act: Activation): Tensor {
  const g = plan.g;
  if (plan.variant === 'wino' || plan.variant === 'wino4') {
    const o = { tile: WINO_TILE[plan.variant]!, act, precision: plan.precision };
    return winogradConv(x, w, b, g, o, plan.share!).y;
  }
  if (plan.variant !== 'gemm') {
    const y = Tensor.empty([g.batch, g.OH, g.OW, g.CO], 'float32', 'conv2d_forward');
    dispatcher().launch(
      forwardKernel(plan.share),
      { g, M: g.batch * g.OH * g.OW, N: g.CO, bias: !!b, act, precision: plan.precision },
      [x.buffer, w.buffer, (b ?? x).buffer, y.buffer],
    );
    return y;
  }
  const fused = plan.gemm.S === 1;
  const p = { plan: plan.gemm, g, bias: fused && !!b, act: fused ? act : ('linear' as const) };
  const flat = runGemm(conv2dForwardKernel, p, [x.buffer, w.buffer, (b ?? x).buffer], { bias: b, act });
  return reshapeOwned(flat, [g.batch, g.OH, g.OW, g.CO]);
}

/** dx from dz (the gradient w.r.t. the linear conv output) and w. */
export function conv2dBackwardInput(dz: ConvGrad, w: Tensor, g: ConvGeometry): Tensor {
  const plan = convPlan('backward_input', g);
  if (plan.variant === 'gemm' || !plan.padding) return runBackwardInput(plan, dz, w);
  // As the forward: w's input channels padded, the padded dx channels (zero) cropped off.
  return throughPadding(w, 2, 3, plan, g, (wp) => runBackwardInput(plan, dz, wp));
}

function runBackwardInput(plan: KernelPlan, grad: ConvGrad, w: Tensor): Tensor {
  const g = plan.g;
  if (plan.variant === 'wino' || plan.variant === 'wino4') {
    const o = { tile: WINO_TILE[plan.variant]!, flip: true, precision: plan.precision };
    return winogradConv(grad, w, null, winogradGeometry('backward_input', g), o, plan.share!).y;
  }
  const dz = denseGrad(grad);
  if (plan.variant === 'gemm') {
    const p = { plan: plan.gemm, g, bias: false, act: 'linear' as const };
    const flat = runGemm(conv2dBackwardInputKernel, p, [dz.buffer, w.buffer]);
    return reshapeOwned(flat, [g.batch, g.H, g.W, g.CI]);
  }
  const dx = Tensor.empty([g.batch, g.H, g.W, g.CI], 'float32', 'conv2d_backward_input');
  // The bias binding is unused (HAS_BIAS off); dz's buffer fills it.
  dispatcher().launch(
    sgBackwardInputKernels.of(plan.share!),
    { g, M: g.batch * g.H * g.W, N: g.CI, bias: false, act: 'linear', precision: plan.precision },
    [dz.buffer, w.buffer, dz.buffer, dx.buffer],
  );
  return dx;
}

/**
 * dw from x and dz; K = batch*OH*OW is long, so it is usually split. `saved`, x's transform kept
 * by conv2dForwardKeeping, is used where the plan's tile matches and disposed either way.
 */
export function conv2dBackwardWeight(
  x: Tensor,
  grad: ConvGrad,
  g: ConvGeometry,
  saved: SavedTransform | null = null,
): Tensor {
  const plan = convPlan('backward_weight', g);
  const wino = winogradWeight(plan, x, grad, saved, false);
  if (wino) return wino.dw;
  saved?.v.dispose();
  const dz = denseGrad(grad);
  if (plan.variant === 'gemm' || !plan.padding) return runBackwardWeight(plan, x, dz);
  // x's channels padded to the 8-row blocks; the padded rows of dw (zero) cropped off.
  return throughPadding(x, 3, 2, plan, g, (xp) => runBackwardWeight(plan, xp, dz));
}

/**
 * The weight gradient (and db with `bias`) of a Winograd plan on unpadded channels, from the
 * forward's kept transform where its tile matches (`saved` is used or disposed), else null.
 */
function winogradWeight(
  plan: KernelPlan,
  x: Tensor,
  dz: ConvGrad,
  saved: SavedTransform | null,
  bias: boolean,
): { dw: Tensor; db: Tensor | null } | null {
  if (plan.variant === 'gemm' || plan.padding || !WINO_TILE[plan.variant]) return null;
  const tile = WINO_TILE[plan.variant]!;
  const v = saved?.tile === tile ? saved.v : null;
  if (!v) saved?.v.dispose();
  return winogradWeightGrads(x, dz, plan.g, { tile, precision: plan.precision, share: plan.share!, saved: v, bias });
}

/**
 * Runs a gradient kernel on `t` with its channel axis `padAxis` padded to the plan's channel
 * count, then crops the result's axis `cropAxis` back to the layer's own channels.
 */
function throughPadding(
  t: Tensor,
  padAxis: number,
  cropAxis: number,
  plan: KernelPlan,
  g: ConvGeometry,
  run: (padded: Tensor) => Tensor,
): Tensor {
  const padded = padAxisRaw(t, padAxis, plan.g.CI);
  const out = run(padded);
  const cropped = padAxisRaw(out, cropAxis, g.CI);
  padded.dispose();
  out.dispose();
  return cropped;
}

/**
 * The tap (kh * KW + kw) that reads x inside the image at every output pixel, or null: with
 * 'valid' padding any tap, with 'same' and stride 1 the centre one.
 */
export function fullTap(g: ConvGeometry): number | null {
  const inside = (k: number, pad: number, stride: number, out: number, size: number) =>
    k >= pad && (out - 1) * stride + k - pad <= size - 1;
  for (let kh = 0; kh < g.KH; kh++) {
    if (!inside(kh, g.PT, g.SH, g.OH, g.H)) continue;
    for (let kw = 0; kw < g.KW; kw++) if (inside(kw, g.PL, g.SW, g.OW, g.W)) return kh * g.KW + kw;
  }
  return null;
}

/**
 * dw and the bias gradient db together. Where the plan pads x's channels (RGB) and some tap sees
 * x at every output pixel, the first padded channel is filled with ones instead of zeros: the
 * weight gradient's row for that tap and channel is then the sum of dz over the pixels, db, out
 * of a kernel that computed that row anyway; this skips the column sum of dz, a full read of the
 * layer's largest gradient (2.2 ms of the from-scratch convnet's first layer on lavapipe).
 * A Winograd plan sums the transformed dz's tile sums instead (1/m^2 of the rows); elsewhere
 * the two separately. `saved`: as conv2dBackwardWeight.
 */
export function conv2dBackwardWeightBias(
  x: Tensor,
  grad: ConvGrad,
  g: ConvGeometry,
  saved: SavedTransform | null = null,
): { dw: Tensor; db: Tensor } {
  const plan = convPlan('backward_weight', g);
  // Winograd: db from the transformed dz's tile sums (winograd_weight.ts).
  const wino = winogradWeight(plan, x, grad, saved, true);
  if (wino) return { dw: wino.dw, db: wino.db! };
  const dz = denseGrad(grad);
  const tap = plan.variant !== 'gemm' && plan.padding ? fullTap(g) : null;
  if (tap === null) return { dw: conv2dBackwardWeight(x, dz, g, saved), db: conv2dBackwardBias(dz, g) };
  saved?.v.dispose();
  const CIp = plan.g.CI;
  const padded = padAxisRaw(x, 3, CIp, g.CI);
  const out = runBackwardWeight(plan, padded, dz);
  const db = Tensor.empty([g.CO], 'float32', 'conv2d_backward_bias');
  dispatcher().copy(out.buffer, db.buffer, g.CO * 4, (tap * CIp + g.CI) * g.CO * 4);
  const dw = padAxisRaw(out, 2, g.CI);
  padded.dispose();
  out.dispose();
  return { dw, db };
}

function runBackwardWeight(plan: KernelPlan, x: Tensor, dz: Tensor): Tensor {
  const g = plan.g;
  const shape = [g.KH, g.KW, g.CI, g.CO];
  if (plan.variant === 'gemm') {
    const p = { plan: plan.gemm, g, bias: false, act: 'linear' as const };
    const flat = runGemm(conv2dBackwardWeightKernel, p, [x.buffer, dz.buffer]);
    return reshapeOwned(flat, shape);
  }
  if (plan.variant === 'wino' || plan.variant === 'wino4') {
    const o = {
      tile: WINO_TILE[plan.variant]!,
      precision: plan.precision,
      share: plan.share!,
      saved: null,
      bias: false,
    };
    return winogradWeightGrads(x, dz, g, o).dw;
  }
  return sgWeight(plan, (p, part) =>
    dispatcher().launch(sgBackwardWeightKernels.of(plan.share!), p, [x.buffer, dz.buffer, part.buffer]),
  );
}

/** The sg weight gradient's launch on `plan` (by `launch`, into its partials), summed over its split. */
function sgWeight(plan: TexturePlan, launch: (p: TexWeightParams, part: Tensor) => void): Tensor {
  const g = plan.g;
  const p = { g, precision: plan.precision, S: plan.split!.S, chunk: plan.split!.chunk };
  const M = g.KH * g.KW * g.CI;
  const part = Tensor.empty([p.S * M, g.CO], 'float32', 'conv2d_backward_weight');
  launch(p, part);
  const dw = p.S === 1 ? part : reduceMiddle(part, 1, p.S, M * g.CO);
  if (dw !== part) part.dispose();
  return reshapeOwned(dw, [g.KH, g.KW, g.CI, g.CO]);
}

/** A pooled patch product's dz, as the pool's gradient and the forward's winners (conv_pool.ts). */
export interface PooledRows {
  dy: Tensor;
  codes: Tensor;
  /** The patch rows' window order (the rows are g's pixels). */
  rows: WindowRows;
  /** Whether the patch rows (x) are laid out channel group by channel group (patchesRaw). */
  channelsOuter: boolean;
}

/**
 * dw of the patch product g (its pixels the window-ordered patch rows x) with dz given as the
 * pool's gradient: where the plan runs the sg weight kernel on unpadded channels, that kernel
 * reads dy and the winners in place of the rows' dz (sgBackwardWeightPooledKernels); elsewhere
 * the rows' dz is written first (poolRowsBackward).
 */
export function conv2dBackwardWeightPooledRows(x: Tensor, src: PooledRows, g: ConvGeometry): Tensor {
  const plan = convPlan('backward_weight', g);
  if (plan.variant !== 'sg' || plan.padding) {
    if (src.channelsOuter) {
      throw new Error(
        'dawnflow: channel-outer patch rows planned for the sg weight kernel met another (a plan changed)',
      );
    }
    const dz = poolRowsBackward(src.dy, src.codes, src.rows);
    const dw = conv2dBackwardWeight(x, dz, g);
    dz.dispose();
    return dw;
  }
  // Channel-outer rows are read as one segment of tiles is (SEGMENT_TILES: [CI/4][pixels]).
  const segment = src.channelsOuter ? src.rows.rows : undefined;
  return sgWeight(plan, (p, part) =>
    dispatcher().launch(sgBackwardWeightPooledKernels.of(plan.share!), { ...p, rows: src.rows, segment }, [
      x.buffer,
      src.dy.buffer,
      part.buffer,
      src.codes.buffer,
    ]),
  );
}

export function conv2dBackwardBias(dz: ConvGrad, g: ConvGeometry): Tensor {
  return reshapeOwned(reduceMiddle(denseGrad(dz), 1, g.batch * g.OH * g.OW, g.CO), [g.CO]);
}
