// Pooling over NHWC, any pool size, strides and TF padding: the shape rule and each kind's op
// with its backward. MaxPooling2D's forward keeps the argmax of each window (a uint32 tensor:
// flat indices, or for non-overlapping windows their packed places) when a gradient will be
// asked for, and the backward gathers dy by it. Kernels and raw launchers: src/kernels/pool.ts.
import { isGradEnabled, record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt, windowOutput, type Padding } from '../tensor/shape.js';
import { isReluOutput, markMaskedGradient } from './relu_mask.js';
import { pool2dBackwardRaw, pool2dRaw, type PoolGeometry, type PoolKind } from '../kernels/pool.js';

export type { PoolGeometry } from '../kernels/pool.js';

export interface Pool2DOptions {
  poolSize?: number | [number, number];
  /** Defaults to poolSize, as in Keras. */
  strides?: number | [number, number] | null;
  padding?: Padding;
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

/** Pooling of kind `kind` (a record of POOLS), recorded with its backward. */
export function pool2d(kind: PoolKind, x: Tensor, o: Pool2DOptions = {}): Tensor {
  const g = pool2dGeometry(x.shape, o);
  // No gradient to come (noGrad, or a frozen input): the forward writes y alone.
  const grad = isGradEnabled() && x.requiresGrad;
  const { y, argmax, masked } = pool2dRaw(kind, x, g, grad, isReluOutput(x));
  // argmax lives as long as the graph needs it: freed after backward (or now, had record() not recorded).
  const recorded = record(y, `${kind}Pool2d`, [x], (dy) => {
    const dx = pool2dBackwardRaw(kind, dy, argmax, g);
    argmax?.dispose();
    if (masked) markMaskedGradient(dx, x);
    return [dx];
  });
  if (!recorded.node) argmax?.dispose();
  return y;
}

export const maxPool2d = (x: Tensor, o: Pool2DOptions = {}): Tensor => pool2d('max', x, o);
