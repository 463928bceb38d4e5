// The unary and binary elementwise kernels (shaders/unary.wgsl, shaders/binary.wgsl) and their
// raw launchers, which record no gradient: the ops in src/ops/elementwise.ts and every backward
// closure build on these. Each op's WGSL expression comes from its record in the op table
// (elementwise_table.ts) and is spliced into the shader as {{UNARY_F}} / {{BINARY_F}}, so every op
// compiles to straight-line code and no op code has to agree between WGSL and TypeScript.
import { dispatcher, kernelTarget } from '../gpu/engine.js';
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

/**
 * Elements per invocation on a software adapter, by kind. lavapipe pays for each invocation (its
 * index, its bounds test, its lane's turn) besides its accesses; a run of consecutive vec4s pays
 * that once. Measured on lavapipe (2-core AMD EPYC, AVX2, 2026-12-06; 4x150x150x64, kernel bench,
 * four interleaved rounds, min ms for runs of 1 / 2 / 4): copy 5.75 / 4.19 / 3.73, relu 5.69 /
 * 4.25 / 3.73, exp 6.51 / 5.15 / 4.39, sigmoid 6.85 / 5.42 / 4.76; add 7.03 / 5.70 / 6.14, mul
 * 7.01 / 5.95 / 6.13, reluGrad 7.07 / 5.72 / 6.14; runs of 8 were slower than 4. So 4 for the
 * unary ops (two streams) and 2 for the binary ones (three). A GPU keeps one element per
 * invocation: there neighbouring lanes then read neighbouring vec4s, which its memory coalesces.
 */
const SOFTWARE_RUN = { unary: 4, binary: 2 } as const;

/** The run of an elementwise launch over m elements: 1 where m is not a multiple of it. */
function runOf(kind: keyof typeof SOFTWARE_RUN, m: number): number {
  const run = kernelTarget() === 'software' ? SOFTWARE_RUN[kind] : 1;
  return m % run === 0 ? run : 1;
}

/** A launch's run (its launcher sets it from runOf): 1 when not given. */
const runIn = (p: { run?: number }) => p.run ?? 1;

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
  /** Elements (of the launch's type) per invocation; n's count of them is a multiple of it. */
  run?: number;
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
  constants: (p) => ({ RUN: runIn(p) }),
  values: (p) => ({ n: elements(p.n, true), alpha: p.alpha }),
  dispatch: (p) => grid1d(elements(p.n, true) / runIn(p), WG),
  flops: (p) => p.n * unaryRecord(p.op).flops,
};

/** The unary kernel's launch parameters for n floats, its run included. */
export function unaryParams(op: UnaryOp, n: number, alpha = 0): UnaryParams {
  return { op, n, alpha, run: runOf('unary', elements(n, true)) };
}

/** Launches the unary kernel without recording a gradient. */
export function unaryRaw(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  unaryRecord(op);
  const y = Tensor.empty(x.shape, 'float32', op);
  dispatcher().launch(unaryKernel, unaryParams(op, x.size, alpha), [x.buffer, y.buffer]);
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
  /** Elements per invocation where the shapes are the same (broadcasting indexes each alone). */
  run?: number;
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
  constants: (p) => ({ SAME_SHAPE: sameShapes(p), RUN: runIn(p) }),
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
  dispatch: (p) => grid1d(elements(sizeOf(p.out), sameShapes(p)) / runIn(p), WG),
  flops: (p) => sizeOf(p.out) * binaryRecord(p.op).flops,
};

/** The binary kernel's launch parameters, its run included (same shapes only). */
export function binaryParams(op: BinaryOp, a: Shape, b: Shape, out: Shape): BinaryParams {
  const p: BinaryParams = { op, out, a, b };
  return sameShapes(p) ? { ...p, run: runOf('binary', elements(sizeOf(out), true)) } : p;
}

/** Launches the binary kernel (broadcasting a and b to `out`) without recording a gradient. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, out?: Shape): Tensor {
  const shape = out ?? broadcastShapes(a.shape, b.shape);
  binaryRecord(op);
  if (shape.length > MAX_RANK) throw new Error(`dawnflow: ${op} supports rank <= ${MAX_RANK}`);
  const y = Tensor.empty(shape, 'float32', op);
  dispatcher().launch(binaryKernel, binaryParams(op, a.shape, b.shape, shape), [a.buffer, b.buffer, y.buffer]);
  return y;
}
