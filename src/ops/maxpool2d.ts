// MaxPooling2D, NHWC, any pool size, strides and TF padding. Forward keeps the argmax of each
// window (a uint32 tensor); backward gathers dy by it. Kernels: shaders/maxpool2d_*.wgsl.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { fmt, sizeOf, windowOutput, type Padding } from '../tensor/shape.js';

export interface Pool2DOptions {
  poolSize?: number | [number, number];
  /** Defaults to poolSize, as in Keras. */
  strides?: number | [number, number] | null;
  padding?: Padding;
}

export interface PoolGeometry {
  batch: number; H: number; W: number; C: number; OH: number; OW: number;
  KH: number; KW: number; SH: number; SW: number; PT: number; PL: number;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

export function pool2dGeometry(x: readonly number[], o: Pool2DOptions = {}): PoolGeometry {
  if (x.length !== 4) throw new Error(`dawnflow: max pooling input must be NHWC, got ${fmt(x)}`);
  const [KH, KW] = pair(o.poolSize ?? 2);
  const [SH, SW] = pair(o.strides ?? [KH, KW]);
  if (!(KH >= 1 && KW >= 1 && SH >= 1 && SW >= 1)) throw new Error('dawnflow: pool size and strides must be >= 1');
  const padding = o.padding ?? 'valid';
  const [batch, H, W, C] = x;
  const rows = windowOutput(H, KH, SH, padding);
  const cols = windowOutput(W, KW, SW, padding);
  if (rows.out < 1 || cols.out < 1) {
    throw new Error(`dawnflow: pool ${KH}x${KW} does not fit input ${fmt(x)} with '${padding}' padding`);
  }
  return { batch, H, W, C, OH: rows.out, OW: cols.out, KH, KW, SH, SW, PT: rows.before, PL: cols.before };
}

interface PoolParams { g: PoolGeometry; n: number }

const WG = 256;

function poolKernel(name: string, bindings: KernelSpec<PoolParams>['bindings']): KernelSpec<PoolParams> {
  return {
    name, shader: name, bindings,
    uniforms: ['n', 'batch', 'H', 'W', 'C', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'PT', 'PL'].map((k) => [k, 'u32'] as const),
    workgroup: [WG, 1, 1],
    values: (p) => ({ n: p.n, ...p.g }),
    dispatch: (p) => grid1d(p.n, WG),
    flops: (p) => p.n * p.g.KH * p.g.KW,
  };
}

export const maxPoolForwardKernel = poolKernel('maxpool2d_forward', ['read', 'read_write', 'read_write']);
export const maxPoolBackwardKernel = poolKernel('maxpool2d_backward', ['read', 'read', 'read_write']);

export function maxPool2d(x: Tensor, o: Pool2DOptions = {}): Tensor {
  const g = pool2dGeometry(x.shape, o);
  const outShape = [g.batch, g.OH, g.OW, g.C];
  const y = Tensor.empty(outShape, 'float32', 'maxpool');
  const argmax = Tensor.empty(outShape, 'uint32', 'maxpool-argmax');
  dispatcher().launch(maxPoolForwardKernel, { g, n: sizeOf(outShape) }, [x.buffer, y.buffer, argmax.buffer]);
  // argmax lives as long as the graph needs it: freed after backward, or now at inference.
  const recorded = record(y, 'maxPool2d', [x], (dy) => {
    const dx = maxPool2dBackward(dy, argmax, g);
    argmax.dispose();
    return [dx];
  });
  if (!recorded.node) argmax.dispose();
  return y;
}

/** dx from dy and the forward's argmax; disposes nothing (the caller owns argmax). */
export function maxPool2dBackward(dy: Tensor, argmax: Tensor, g: PoolGeometry): Tensor {
  const dx = Tensor.empty([g.batch, g.H, g.W, g.C], 'float32', 'maxpool-dx');
  dispatcher().launch(maxPoolBackwardKernel, { g, n: dx.size }, [dy.buffer, argmax.buffer, dx.buffer]);
  return dx;
}
