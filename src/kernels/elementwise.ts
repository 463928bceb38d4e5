// The unary and binary elementwise kernels (shaders/unary.wgsl, shaders/binary.wgsl) and their
// raw launchers, which record no gradient: the ops in src/ops/elementwise.ts and every backward
// closure build on these. Each op's WGSL expression comes from its record in the op table
// (elementwise_table.ts) and is spliced into the shader as {{UNARY_F}} / {{BINARY_F}}, so every op
// compiles to straight-line code and no op code has to agree between WGSL and TypeScript.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import {
  BINARY_NAMES,
  BINARY_TABLE,
  UNARY_NAMES,
  UNARY_TABLE,
  type BinaryName,
  type BinaryRecord,
  type UnaryName,
  type UnaryRecord,
} from './elementwise_table.js';

const WG = 256;

/**
 * The element type of an elementwise launch over n floats, and the expression applying the op's
 * scalar function to one element: vec4 (the function per component) where n allows, since on
 * lavapipe a vec4 storage access costs about a third of four scalar ones.
 */
function elementType(n: number, vec: boolean, call: (v: string) => string): { T: string; APPLY: string } {
  if (!vec || n % 4 !== 0) return { T: 'f32', APPLY: call('') };
  const parts = ['x', 'y', 'z', 'w'].map((c) => call(`.${c}`));
  return { T: 'vec4f', APPLY: `vec4f(${parts.join(', ')})` };
}

/** Elements of the type elementType chose. */
const elements = (n: number, vec: boolean) => (vec && n % 4 === 0 ? n / 4 : n);

/** name -> index in the table's order. */
function codes<N extends string>(names: readonly N[]): Record<N, number> {
  return Object.fromEntries(names.map((n, i) => [n, i])) as Record<N, number>;
}

/** The op's record; the op name may come from user code, so an unknown one names the known ops. */
function record<N extends string, R>(kind: string, table: Record<N, R>, names: readonly N[], op: N): R {
  const r = table[op];
  if (!r) throw new Error(`dawnflow: unknown ${kind} op '${op}' (ops: ${names.join(', ')})`);
  return r;
}

const unaryRecord = (op: UnaryName): UnaryRecord => record('unary', UNARY_TABLE, UNARY_NAMES, op);
const binaryRecord = (op: BinaryName): BinaryRecord => record('binary', BINARY_TABLE, BINARY_NAMES, op);

// --- unary ---------------------------------------------------------------------------------

/** Each unary op's index in the op table. */
export const UNARY_OPS = codes(UNARY_NAMES);
export type UnaryOp = UnaryName;

interface UnaryParams {
  op: UnaryOp;
  n: number;
  alpha: number;
}

export const unaryKernel: KernelSpec<UnaryParams> = {
  name: 'unary',
  shader: 'unary',
  bindings: ['read', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['alpha', 'f32'],
  ],
  workgroup: [WG, 1, 1],
  defines: (p) => ({ UNARY_F: unaryRecord(p.op).wgsl, ...elementType(p.n ?? 1, true, (c) => `f(v${c}, alpha)`) }),
  values: (p) => ({ n: elements(p.n, true), alpha: p.alpha }),
  dispatch: (p) => grid1d(elements(p.n, true), WG),
  flops: (p) => p.n * unaryRecord(p.op).flops,
};

/** Launches the unary kernel without recording a gradient. */
export function unaryRaw(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  unaryRecord(op);
  const y = Tensor.empty(x.shape, 'float32', op);
  dispatcher().launch(unaryKernel, { op, n: x.size, alpha }, [x.buffer, y.buffer]);
  return y;
}

// --- binary --------------------------------------------------------------------------------

/** Each binary op's index in the op table. */
export const BINARY_OPS = codes(BINARY_NAMES);
export type BinaryOp = BinaryName;

interface BinaryParams {
  op: BinaryOp;
  out: Shape;
  a: Shape;
  b: Shape;
}

const MAX_RANK = 8;

function split8(v: number[]): { lo: number[]; hi: number[] } {
  return { lo: v.slice(0, 4), hi: v.slice(4, 8) };
}

const sameShapes = (p: BinaryParams) => sameShape(p.a, p.out) && sameShape(p.b, p.out);

export const binaryKernel: KernelSpec<BinaryParams> = {
  name: 'binary',
  shader: 'binary',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['rank', 'u32'],
    ['shape0', 'vec4u'],
    ['shape1', 'vec4u'],
    ['aStride0', 'vec4u'],
    ['aStride1', 'vec4u'],
    ['bStride0', 'vec4u'],
    ['bStride1', 'vec4u'],
  ],
  workgroup: [WG, 1, 1],
  defines: (p) => ({
    BINARY_F: binaryRecord(p.op).wgsl,
    ...elementType(sizeOf(p.out), sameShapes(p), (c) => `g(x${c}, y${c})`),
  }),
  constants: (p) => ({ SAME_SHAPE: sameShapes(p) }),
  values: (p) => {
    const s = split8([...p.out]);
    const a = split8(broadcastStrides(p.a, p.out));
    const b = split8(broadcastStrides(p.b, p.out));
    return {
      n: elements(sizeOf(p.out), sameShapes(p)),
      rank: p.out.length,
      shape0: s.lo,
      shape1: s.hi,
      aStride0: a.lo,
      aStride1: a.hi,
      bStride0: b.lo,
      bStride1: b.hi,
    };
  },
  dispatch: (p) => grid1d(elements(sizeOf(p.out), sameShapes(p)), WG),
  flops: (p) => sizeOf(p.out) * binaryRecord(p.op).flops,
};

/** Launches the binary kernel (broadcasting a and b to `out`) without recording a gradient. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, out?: Shape): Tensor {
  const shape = out ?? broadcastShapes(a.shape, b.shape);
  binaryRecord(op);
  if (shape.length > MAX_RANK) throw new Error(`dawnflow: ${op} supports rank <= ${MAX_RANK}`);
  const y = Tensor.empty(shape, 'float32', op);
  dispatcher().launch(binaryKernel, { op, out: shape, a: a.shape, b: b.shape }, [a.buffer, b.buffer, y.buffer]);
  return y;
}
