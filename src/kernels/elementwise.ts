// The unary and binary elementwise kernels (shaders/unary.wgsl, shaders/binary.wgsl) and their
// raw launchers, which record no gradient: the ops in src/ops/elementwise.ts and every backward
// closure build on these.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf, type Shape } from '../tensor/shape.js';

const WG = 256;

// --- unary ---------------------------------------------------------------------------------

export const UNARY_OPS = {
  copy: 0, relu: 1, sigmoid: 2, neg: 3, exp: 4, log: 5, sqrt: 6, square: 7, abs: 8,
  scale: 9, addScalar: 10, fill: 11, reciprocal: 12, tanh: 13,
} as const;
export type UnaryOp = keyof typeof UNARY_OPS;

interface UnaryParams { op: UnaryOp; n: number; alpha: number }

export const unaryKernel: KernelSpec<UnaryParams> = {
  name: 'unary', shader: 'unary',
  bindings: ['read', 'read_write'],
  uniforms: [['n', 'u32'], ['alpha', 'f32']],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ OP: UNARY_OPS[p.op] }),
  values: (p) => ({ n: p.n, alpha: p.alpha }),
  dispatch: (p) => grid1d(p.n, WG),
  flops: (p) => p.n,
};

/** Launches the unary kernel without recording a gradient. */
export function unaryRaw(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const y = Tensor.empty(x.shape, 'float32', op);
  dispatcher().launch(unaryKernel, { op, n: x.size, alpha }, [x.buffer, y.buffer]);
  return y;
}

// --- binary --------------------------------------------------------------------------------

export const BINARY_OPS = {
  add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, reluGrad: 6, sigmoidGrad: 7, left: 8, accHit: 9,
} as const;
export type BinaryOp = keyof typeof BINARY_OPS;

interface BinaryParams { op: BinaryOp; out: Shape; a: Shape; b: Shape }

const MAX_RANK = 8;

function split8(v: number[]): { lo: number[]; hi: number[] } {
  return { lo: v.slice(0, 4), hi: v.slice(4, 8) };
}

export const binaryKernel: KernelSpec<BinaryParams> = {
  name: 'binary', shader: 'binary',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [
    ['n', 'u32'], ['rank', 'u32'], ['shape0', 'vec4u'], ['shape1', 'vec4u'],
    ['aStride0', 'vec4u'], ['aStride1', 'vec4u'], ['bStride0', 'vec4u'], ['bStride1', 'vec4u'],
  ],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ OP: BINARY_OPS[p.op], SAME_SHAPE: sameShape(p.a, p.out) && sameShape(p.b, p.out) }),
  values: (p) => {
    const s = split8([...p.out]);
    const a = split8(broadcastStrides(p.a, p.out));
    const b = split8(broadcastStrides(p.b, p.out));
    return {
      n: sizeOf(p.out), rank: p.out.length, shape0: s.lo, shape1: s.hi,
      aStride0: a.lo, aStride1: a.hi, bStride0: b.lo, bStride1: b.hi,
    };
  },
  dispatch: (p) => grid1d(sizeOf(p.out), WG),
  flops: (p) => sizeOf(p.out),
};

/** Launches the binary kernel (broadcasting a and b to `out`) without recording a gradient. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, out?: Shape): Tensor {
  const shape = out ?? broadcastShapes(a.shape, b.shape);
  if (shape.length > MAX_RANK) throw new Error(`dawnflow: ${op} supports rank <= ${MAX_RANK}`);
  const y = Tensor.empty(shape, 'float32', op);
  dispatcher().launch(binaryKernel, { op, out: shape, a: a.shape, b: b.shape }, [a.buffer, b.buffer, y.buffer]);
  return y;
}
