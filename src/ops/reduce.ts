// Sum and mean over axes, with their gradients. The kernel and its raw launchers (reduceMiddle,
// sumTo) are in src/kernels/reduce.ts.
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { unaryRaw } from '../kernels/elementwise.js';
import { sumKeep } from '../kernels/reduce.js';
import { broadcastTo } from './elementwise.js';

function normAxes(axes: number[] | undefined, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : axes.map((a) => (a < 0 ? a + rank : a));
  for (const a of list) if (a < 0 || a >= rank) throw new Error(`dawnflow: axis ${a} out of range for rank ${rank}`);
  return [...new Set(list)].sort((p, q) => p - q);
}

function reduceOp(x: Tensor, axes: number[] | undefined, keepDims: boolean, isMean: boolean): Tensor {
  const list = normAxes(axes, x.rank);
  const count = sizeOf(list.map((a) => x.shape[a]));
  const kept = sumKeep(x, list, isMean ? 1 / Math.max(count, 1) : 1);
  const outShape = keepDims ? kept.shape : x.shape.filter((_, i) => !list.includes(i));
  const y = keepDims ? kept : kept.view(outShape);
  if (y !== kept) kept.dispose();
  return record(y, isMean ? 'mean' : 'sum', [x], (g) => {
    const gk = g.view(kept.shape);
    const spread = broadcastTo(gk, x.shape);
    gk.dispose();
    if (!isMean) return [spread];
    const scaled = unaryRaw('scale', spread, 1 / Math.max(count, 1));
    spread.dispose();
    return [scaled];
  });
}

export function sum(x: Tensor, axes?: number[], keepDims = false): Tensor {
  return reduceOp(x, axes, keepDims, false);
}

export function mean(x: Tensor, axes?: number[], keepDims = false): Tensor {
  return reduceOp(x, axes, keepDims, true);
}
