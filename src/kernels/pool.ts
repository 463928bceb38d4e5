// The 2-D pooling kernels (NHWC) and their raw launchers, which record no gradient; the ops and
// their shape rule are in src/ops/maxpool2d.ts. Every kernel shares shaders/pool_params.wgsl (the
// geometry uniforms and the NHWC index helper), so one descriptor factory serves them all, and
// each pooling kind is one record of POOLS, which the ops, the tests and the bench iterate.
// docs/adding-an-op.md walks through adding a kind.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type Access, type KernelSpec } from '../gpu/program.js';
import * as ref from '../cpu/reference.js';
import { Tensor } from '../tensor/tensor.js';
import type { PoolGeometry } from './pool_geometry.js';
import { NO_WINNER, vecOf, windowed, WINDOW_KERNELS, type WindowParams, type WindowVec } from './pool_window.js';

export type { PoolGeometry } from './pool_geometry.js';

/** One launch: the geometry and n, the number of invocations (output or input cells). */
export interface PoolParams {
  g: PoolGeometry;
  n: number;
}

const WG = 256;
const GEOMETRY = ['n', 'batch', 'H', 'W', 'C', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'PT', 'PL'] as const;

/**
 * A kernel over pool_params.wgsl's uniforms, one invocation per cell of n: shaders/<name>.wgsl's
 * main(), or another entry point of another shader (a kind's forward and backward in one file).
 */
export function poolKernel(
  name: string,
  bindings: readonly Access[],
  at: { shader?: string; entry?: string } = {},
): KernelSpec<PoolParams> {
  return {
    name,
    shader: at.shader ?? name,
    entry: at.entry,
    bindings,
    uniforms: GEOMETRY.map((k) => [k, 'u32'] as const),
    workgroup: [WG, 1, 1],
    values: (p) => ({ n: p.n, ...p.g }),
    dispatch: (p) => grid1d(p.n, WG),
    flops: (p) => p.n * p.g.KH * p.g.KW,
  };
}

export interface PoolRecord {
  /** y from x, one invocation per output cell; bindings [x, y] (+ argmax). */
  forward: KernelSpec<PoolParams>;
  /** dx from dy, one invocation per input cell (a gather: no float atomics); bindings [dy] (+ argmax) + [dx]. */
  backward: KernelSpec<PoolParams>;
  /** The forward also writes each window's winner (its flat index into x), which the backward gathers by. */
  argmax: boolean;
  /**
   * Faster kernels for non-overlapping unpadded windows (pool_window.ts), used where windowed(g);
   * their argmax is a uint32 tensor of the winners' places in their windows, packed a byte per channel.
   */
  window?: {
    forward: (vec: WindowVec, argmax: boolean) => KernelSpec<WindowParams>;
    backward: (vec: WindowVec) => KernelSpec<WindowParams>;
  };
  /** float64 forward and backward (src/cpu/reference.ts). */
  ref: { forward: typeof ref.maxPool2dForward; backward: typeof ref.maxPool2dBackward };
}

export type PoolKind = 'max';

export const POOLS: Record<PoolKind, PoolRecord> = {
  max: {
    forward: poolKernel('maxpool2d_forward', ['read', 'read_write', 'read_write']),
    backward: poolKernel('maxpool2d_backward', ['read', 'read', 'read_write']),
    argmax: true,
    window: WINDOW_KERNELS,
    ref: { forward: ref.maxPool2dForward, backward: ref.maxPool2dBackward },
  },
};

export const maxPoolForwardKernel = POOLS.max.forward;
export const maxPoolBackwardKernel = POOLS.max.backward;

/**
 * y and, for a kind that keeps one and when `argmax` asks (a gradient will follow), the argmax
 * of pooling x by `kind`.
 */
export function pool2dRaw(
  kind: PoolKind,
  x: Tensor,
  g: PoolGeometry,
  argmax = true,
  reluMask = false,
): { y: Tensor; argmax: Tensor | null; masked: boolean } {
  const rec = POOLS[kind];
  const shape = [g.batch, g.OH, g.OW, g.C];
  const y = Tensor.empty(shape, 'float32', `${kind}pool`);
  const keep = rec.argmax && argmax;
  if (rec.window && windowed(g)) {
    const vec = vecOf(g);
    // One u32 per vector of y: the winners' places, a byte per channel (pool_window.ts).
    const codes = keep ? Tensor.empty([g.batch, g.OH, g.OW, g.C / vec], 'uint32', `${kind}pool-argmax`) : null;
    const buffers = [x.buffer, y.buffer, ...(codes ? [codes.buffer] : [])];
    // x a relu output: a window whose max is not positive gets no winner (src/ops/relu_mask.ts).
    const masked = keep && reluMask && g.KH * g.KW < NO_WINNER;
    dispatcher().launch(rec.window.forward(vec, keep), { g, reluMask: masked }, buffers);
    return { y, argmax: codes, masked };
  }
  // The general kernel always writes the argmax; it is dropped at once when not asked for.
  const idx = rec.argmax ? Tensor.empty(shape, 'uint32', `${kind}pool-argmax`) : null;
  const buffers = [x.buffer, y.buffer, ...(idx ? [idx.buffer] : [])];
  dispatcher().launch(rec.forward, { g, n: y.size }, buffers);
  if (idx && !keep) idx.dispose();
  return { y, argmax: keep ? idx : null, masked: false };
}

/** dx from dy (and the forward's argmax, for a kind that keeps one); disposes nothing. */
export function pool2dBackwardRaw(kind: PoolKind, dy: Tensor, argmax: Tensor | null, g: PoolGeometry): Tensor {
  const rec = POOLS[kind];
  const dx = Tensor.empty([g.batch, g.H, g.W, g.C], 'float32', `${kind}pool-dx`);
  const buffers = [dy.buffer, ...(argmax ? [argmax.buffer] : []), dx.buffer];
  if (rec.window && windowed(g)) {
    dispatcher().launch(rec.window.backward(vecOf(g)), { g }, buffers);
    return dx;
  }
  dispatcher().launch(rec.backward, { g, n: dx.size }, buffers);
  return dx;
}
/** Max pooling's dx from dy and the forward's argmax; disposes nothing. */
export function maxPool2dBackward(dy: Tensor, argmax: Tensor, g: PoolGeometry): Tensor {
  return pool2dBackwardRaw('max', dy, argmax, g);
}
