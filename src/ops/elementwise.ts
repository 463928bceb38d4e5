// Elementwise ops: unary maps (relu, sigmoid, exp, ...), scalar ops and broadcasting binary ops,
// each with its backward. Kernels and raw launchers: src/kernels/elementwise.ts.
import { dispatcher } from '../gpu/engine.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import { binaryRaw, unaryKernel, unaryRaw } from '../kernels/elementwise.js';
import { sumTo } from '../kernels/reduce.js';

export function relu(x: Tensor): Tensor {
  const y = unaryRaw('relu', x);
  return record(y, 'relu', [x], (g) => [binaryRaw('reluGrad', g, y)]);
}

export function sigmoid(x: Tensor): Tensor {
  const y = unaryRaw('sigmoid', x);
  return record(y, 'sigmoid', [x], (g) => [binaryRaw('sigmoidGrad', g, y)]);
}

export function neg(x: Tensor): Tensor {
  return record(unaryRaw('neg', x), 'neg', [x], (g) => [unaryRaw('neg', g)]);
}

export function exp(x: Tensor): Tensor {
  const y = unaryRaw('exp', x);
  return record(y, 'exp', [x], (g) => [binaryRaw('mul', g, y)]);
}

export function log(x: Tensor): Tensor {
  return record(unaryRaw('log', x), 'log', [x], (g) => [binaryRaw('div', g, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryRaw('sqrt', x);
  // d sqrt(x) = g / (2 sqrt(x))
  return record(y, 'sqrt', [x], (g) => {
    const twice = unaryRaw('scale', y, 2);
    const out = binaryRaw('div', g, twice);
    twice.dispose();
    return [out];
  });
}

export function square(x: Tensor): Tensor {
  return record(unaryRaw('square', x), 'square', [x], (g) => {
    const twice = unaryRaw('scale', x, 2);
    const out = binaryRaw('mul', g, twice);
    twice.dispose();
    return [out];
  });
}

export function mulScalar(x: Tensor, s: number): Tensor {
  return record(unaryRaw('scale', x, s), 'mulScalar', [x], (g) => [unaryRaw('scale', g, s)]);
}

export function addScalar(x: Tensor, s: number): Tensor {
  return record(unaryRaw('addScalar', x, s), 'addScalar', [x], (g) => [g]);
}

/** A new tensor with the values of x (no gradient link). */
export function copy(x: Tensor): Tensor {
  return unaryRaw('copy', x);
}

export function full(shape: Shape, value: number): Tensor {
  const y = Tensor.empty(shape, 'float32', 'fill');
  // x is unread by the fill op; y is bound as a stand-in input so the layout stays the same.
  const n = sizeOf(shape);
  const scratch = Tensor.empty([1]);
  dispatcher().launch(unaryKernel, { op: 'fill', n, alpha: value }, [scratch.buffer, y.buffer]);
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

/** Reduces g to `shape` (when broadcasting stretched it) and disposes the temporary. */
function reduceGrad(g: Tensor, shape: Shape): Tensor {
  return sameShape(g.shape, shape) ? g : sumTo(g, shape);
}

function binaryWithGrad(op: 'add' | 'sub' | 'mul' | 'div', a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(op, a, b);
  return record(y, op, [a, b], (g, needs) => [
    needs[0] ? gradA(op, g, a, b) : null,
    needs[1] ? gradB(op, g, a, b) : null,
  ]);
}

function gradA(op: string, g: Tensor, a: Tensor, b: Tensor): Tensor {
  if (op === 'add' || op === 'sub') return reduceGrad(g, a.shape);
  const full = binaryRaw(op === 'mul' ? 'mul' : 'div', g, b);
  const out = reduceGrad(full, a.shape);
  if (out !== full) full.dispose();
  return out;
}

function gradB(op: string, g: Tensor, a: Tensor, b: Tensor): Tensor {
  let full: Tensor;
  if (op === 'add') return reduceGrad(g, b.shape);
  if (op === 'sub') full = unaryRaw('neg', g);
  else if (op === 'mul') full = binaryRaw('mul', g, a);
  else {
    // d(a/b)/db = -a / b^2
    const q = binaryRaw('div', a, b);
    const gq = binaryRaw('mul', g, q);
    full = binaryRaw('div', gq, b);
    const neg = unaryRaw('neg', full);
    for (const t of [q, gq, full]) t.dispose();
    full = neg;
  }
  const out = reduceGrad(full, b.shape);
  if (out !== full) full.dispose();
  return out;
}

export const add = (a: Tensor, b: Tensor): Tensor => binaryWithGrad('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryWithGrad('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryWithGrad('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binaryWithGrad('div', a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binaryRaw('max', a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binaryRaw('min', a, b);
