// Elementwise ops: unary maps (relu, sigmoid, exp, ...), scalar ops and broadcasting binary ops,
// each with its backward. Every one is a record of the op table (src/kernels/elementwise_table.ts:
// WGSL, float64 map, derivative rule) run by elementwise_apply.ts; this module gives them their
// API names. Kernels and raw launchers: src/kernels/elementwise.ts.
import { dispatcher } from '../gpu/engine.js';
import { record } from '../autograd/tape.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, sizeOf, type Shape } from '../tensor/shape.js';
import { binaryRaw, unaryKernel, unaryParams } from '../kernels/elementwise.js';
import { sumTo } from '../kernels/reduce.js';
import { binaryOp, unaryOp } from './elementwise_apply.js';

export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const mulScalar = (x: Tensor, s: number): Tensor => unaryOp('scale', x, s);
export const addScalar = (x: Tensor, s: number): Tensor => unaryOp('addScalar', x, s);

/** A new tensor with the values of x (no gradient link). */
export const copy = (x: Tensor): Tensor => unaryOp('copy', x);

export function full(shape: Shape, value: number): Tensor {
  const y = Tensor.empty(shape, 'float32', 'fill');
  // x is unread by the fill op; y is bound as a stand-in input so the layout stays the same.
  const n = sizeOf(shape);
  const scratch = Tensor.empty([1]);
  dispatcher().launch(unaryKernel, unaryParams('fill', n, value), [scratch.buffer, y.buffer]);
  scratch.dispose();
  return y;
}

export const zeros = (shape: Shape): Tensor => full(shape, 0);
export const ones = (shape: Shape): Tensor => full(shape, 1);

// --- binary --------------------------------------------------------------------------------

/** x stretched to `shape` by broadcasting (a copy). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  broadcastShapes(x.shape, shape);
  const y = binaryRaw('left', x, x, shape);
  return record(y, 'broadcastTo', [x], (g) => [sumTo(g, x.shape)]);
}

export const add = (a: Tensor, b: Tensor): Tensor => binaryOp('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binaryOp('div', a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binaryOp('max', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binaryOp('min', a, b);
