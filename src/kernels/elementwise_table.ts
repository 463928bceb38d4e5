// The elementwise op table: one record per unary and binary op, holding what the engine, the
// tests and the bench know about it. From it come the kernels (each op's WGSL expression is
// spliced into shaders/unary.wgsl or binary.wgsl: src/kernels/elementwise.ts), the autograd ops
// (src/ops/elementwise_apply.ts runs each derivative rule), test/ops/elementwise.test.ts (every
// op against its float64 map, every derivative against finite differences) and the bench's
// elementwise cases (bench/kernels/elementwise.ts). docs/adding-an-op.md walks through adding one.
import * as ref from '../cpu/reference.js';
import type { Tensor } from '../tensor/tensor.js';

/** Unary ops in table order: an op's index is its code (UNARY_OPS). */
export const UNARY_NAMES = [
  'copy',
  'relu',
  'sigmoid',
  'neg',
  'exp',
  'log',
  'sqrt',
  'square',
  'abs',
  'scale',
  'addScalar',
  'fill',
  'reciprocal',
  'tanh',
  'sign',
] as const;
export type UnaryName = (typeof UNARY_NAMES)[number];

/** Binary ops in table order: an op's index is its code (BINARY_OPS). */
export const BINARY_NAMES = [
  'add',
  'sub',
  'mul',
  'div',
  'max',
  'min',
  'reluGrad',
  'sigmoidGrad',
  'left',
  'accHit',
] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

/**
 * The raw launchers a derivative rule builds its result with (no gradient recorded). Whoever
 * runs the rule frees every intermediate, so a rule is one expression.
 */
export interface GradKit {
  unary(op: UnaryName, x: Tensor, alpha?: number): Tensor;
  binary(op: BinaryName, a: Tensor, b: Tensor): Tensor;
}

/** Where the tests and the bench draw an operand: uniform in [lo, hi), seeded. */
export interface Domain {
  lo: number;
  hi: number;
  /** Negate every other value: a divisor kept away from 0 on both sides. */
  bothSigns?: boolean;
  /** Draw from these values instead (a 0/1 target). */
  pick?: readonly number[];
}

export interface UnaryRecord {
  /** f in WGSL, of the element `v` and the launch's scalar `alpha`. */
  wgsl: string;
  /** f(v, alpha) in float64: the op's map in src/cpu/reference.ts. */
  ref: (v: number, alpha: number) => number;
  /** dL/dx from the upstream gradient g, the input x and output y; none: no gradient is recorded. */
  grad?: (k: GradKit, g: Tensor, x: Tensor, y: Tensor, alpha: number) => Tensor;
  /** Floating-point operations per element (profiles and the bench). */
  flops: number;
  /** The scalar the tests and the bench launch the op with (the ops that read alpha). */
  alpha?: number;
  domain: Domain;
  /** Inputs checked besides the seeded ones: limits, overflow, signed zeros, tiny values. */
  awkward?: readonly number[];
  /**
   * Where f is not differentiable (a kink, a pole, the end of its domain): the gradient there is
   * a convention or infinite, so the tests compare none there and step their finite
   * differences short of it nearby.
   */
  singular?: readonly number[];
}

type BinaryGrad = (k: GradKit, g: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;

export interface BinaryRecord {
  /** g in WGSL, of a's element `x` and b's element `y`. */
  wgsl: string;
  /** g(x, y) in float64: the op's map in src/cpu/reference.ts. */
  ref: (x: number, y: number) => number;
  /** dL/da and dL/db on the broadcast shape (the op sums each down to its operand's shape). */
  grad?: { a: BinaryGrad; b: BinaryGrad };
  flops: number;
  domain: { a: Domain; b: Domain };
  /** (x, y) pairs checked besides the seeded ones. */
  awkward?: readonly (readonly [number, number])[];
  /** Values of y where g is not differentiable in y (div's pole), as UnaryRecord.singular. */
  singularB?: readonly number[];
}

const ANY: Domain = { lo: -2, hi: 2 };

export const UNARY_TABLE: Record<UnaryName, UnaryRecord> = {
  copy: { wgsl: 'v', ref: ref.unary.copy, flops: 0, domain: ANY, awkward: [0, -0, 3e38, -3e38, 1e-30] },
  relu: {
    wgsl: 'max(v, 0.0)',
    ref: ref.unary.relu,
    flops: 1,
    domain: ANY,
    grad: (k, g, _x, y) => k.binary('reluGrad', g, y),
    awkward: [0, -0, 1e-30, -1e-30],
    singular: [0],
  },
  sigmoid: {
    // tf.nn.sigmoid; exp(-v) overflows to +inf below about -88, which still gives the limit 0.
    wgsl: '1.0 / (1.0 + exp(-v))',
    ref: ref.unary.sigmoid,
    flops: 4,
    domain: { lo: -8, hi: 8 },
    grad: (k, g, _x, y) => k.binary('sigmoidGrad', g, y),
    awkward: [-100, 100, -88, 88, -30, 30, 0],
  },
  neg: { wgsl: '-v', ref: ref.unary.neg, flops: 1, domain: ANY, grad: (k, g) => k.unary('neg', g), awkward: [0, 3e38] },
  exp: {
    wgsl: 'exp(v)',
    ref: ref.unary.exp,
    flops: 1,
    domain: { lo: -3, hi: 3 },
    grad: (k, g, _x, y) => k.binary('mul', g, y),
    awkward: [-100, 0, 20, -20],
  },
  log: {
    wgsl: 'log(v)',
    ref: ref.unary.log,
    flops: 1,
    domain: { lo: 0.1, hi: 5 },
    grad: (k, g, x) => k.binary('div', g, x),
    awkward: [1e-30, 1, 1e30],
    singular: [0],
  },
  sqrt: {
    // d sqrt(x) = g / (2 sqrt(x)), from the output.
    wgsl: 'sqrt(v)',
    ref: ref.unary.sqrt,
    flops: 1,
    domain: { lo: 0.01, hi: 4 },
    grad: (k, g, _x, y) => k.binary('div', g, k.unary('scale', y, 2)),
    awkward: [0, 1e-30, 1e30],
    singular: [0],
  },
  square: {
    wgsl: 'v * v',
    ref: ref.unary.square,
    flops: 1,
    domain: ANY,
    grad: (k, g, x) => k.binary('mul', g, k.unary('scale', x, 2)),
    awkward: [0, 1e19, -1e19],
  },
  abs: {
    // The gradient is g sign(x): 0 at the kink, as TF.
    wgsl: 'abs(v)',
    ref: ref.unary.abs,
    flops: 1,
    domain: ANY,
    grad: (k, g, x) => k.binary('mul', g, k.unary('sign', x)),
    awkward: [0, -0, 1e-30, -1e-30],
    singular: [0],
  },
  scale: {
    wgsl: 'v * alpha',
    ref: ref.unary.scale,
    flops: 1,
    alpha: -2.5,
    domain: ANY,
    grad: (k, g, _x, _y, alpha) => k.unary('scale', g, alpha),
    awkward: [0, 1e-30, 1e30],
  },
  addScalar: {
    // 1e8 + 0.75 rounds back to 1e8 in f32.
    wgsl: 'v + alpha',
    ref: ref.unary.addScalar,
    flops: 1,
    alpha: 0.75,
    domain: ANY,
    grad: (_k, g) => g,
    awkward: [0, -0.75, 1e8],
  },
  // The output of full(); x is not read.
  fill: { wgsl: 'alpha', ref: ref.unary.fill, flops: 0, alpha: 2.5, domain: ANY, awkward: [0, 3e38] },
  reciprocal: {
    // d(1/x) = -1/x^2 = -y^2.
    wgsl: '1.0 / v',
    ref: ref.unary.reciprocal,
    flops: 1,
    domain: { lo: 0.25, hi: 4, bothSigns: true },
    grad: (k, g, _x, y) => k.unary('neg', k.binary('mul', k.binary('mul', g, y), y)),
    awkward: [1, 1e-15, -1e15],
    singular: [0],
  },
  tanh: {
    // d tanh(x) = 1 - tanh(x)^2, from the output.
    wgsl: 'tanh(v)',
    ref: ref.unary.tanh,
    flops: 1,
    domain: { lo: -4, hi: 4 },
    grad: (k, g, _x, y) => k.binary('mul', g, k.unary('addScalar', k.unary('neg', k.unary('square', y)), 1)),
    awkward: [0, 20, -20, 100, -100],
  },
  sign: {
    // Flat on both sides of its step: the gradient is 0 everywhere, as TF.
    wgsl: 'sign(v)',
    ref: ref.unary.sign,
    flops: 1,
    domain: ANY,
    grad: (k, g) => k.unary('fill', g, 0),
    awkward: [0, -0, 1e-30, -1e-30],
    singular: [0],
  },
};

/** A divisor: 0.5 to 2 on either side of 0, so quotients and their gradients stay well scaled. */
const DIVISOR: Domain = { lo: 0.5, hi: 2, bothSigns: true };

export const BINARY_TABLE: Record<BinaryName, BinaryRecord> = {
  add: {
    wgsl: 'x + y',
    ref: ref.binary.add,
    flops: 1,
    domain: { a: ANY, b: ANY },
    grad: { a: (_k, g) => g, b: (_k, g) => g },
    awkward: [
      [3e38, -3e38],
      [1e-30, -1e-30],
    ],
  },
  sub: {
    wgsl: 'x - y',
    ref: ref.binary.sub,
    flops: 1,
    domain: { a: ANY, b: ANY },
    grad: { a: (_k, g) => g, b: (k, g) => k.unary('neg', g) },
    awkward: [[3e38, 3e38]],
  },
  mul: {
    wgsl: 'x * y',
    ref: ref.binary.mul,
    flops: 1,
    domain: { a: ANY, b: ANY },
    grad: { a: (k, g, _a, b) => k.binary('mul', g, b), b: (k, g, a) => k.binary('mul', g, a) },
    awkward: [
      [1e19, 1e19],
      [-0, 5],
    ],
  },
  div: {
    // d(a/b)/db = -a / b^2 = -y / b.
    wgsl: 'x / y',
    ref: ref.binary.div,
    flops: 1,
    domain: { a: ANY, b: DIVISOR },
    grad: {
      a: (k, g, _a, b) => k.binary('div', g, b),
      b: (k, g, _a, b, y) => k.unary('neg', k.binary('div', k.binary('mul', g, y), b)),
    },
    awkward: [
      [1, 1e-15],
      [0, -3],
      [1e30, 1e5],
      [-7, 7],
    ],
    singularB: [0],
  },
  max: {
    wgsl: 'max(x, y)',
    ref: ref.binary.max,
    flops: 1,
    domain: { a: ANY, b: ANY },
    awkward: [
      [1, 1],
      [-1, -2],
    ],
  },
  min: {
    wgsl: 'min(x, y)',
    ref: ref.binary.min,
    flops: 1,
    domain: { a: ANY, b: ANY },
    awkward: [
      [1, 1],
      [-1, -2],
    ],
  },
  // relu backward: dy where the output y > 0.
  reluGrad: {
    wgsl: 'select(0.0, x, y > 0.0)',
    ref: ref.binary.reluGrad,
    flops: 1,
    domain: { a: ANY, b: ANY },
    awkward: [
      [5, 0],
      [5, -0],
      [5, 1e-30],
    ],
  },
  // sigmoid backward from its output y.
  sigmoidGrad: {
    wgsl: 'x * y * (1.0 - y)',
    ref: ref.binary.sigmoidGrad,
    flops: 3,
    domain: { a: ANY, b: { lo: 0, hi: 1 } },
    awkward: [
      [1, 0],
      [1, 1],
    ],
  },
  // a broadcast to the output shape (broadcastTo).
  left: { wgsl: 'x', ref: ref.binary.left, flops: 0, domain: { a: ANY, b: ANY }, awkward: [[-0, 1]] },
  // Keras binary_accuracy of target x and probability y: equal(x, round(y)), where round is
  // half-to-even, so y = 0.5 counts as class 0.
  accHit: {
    wgsl: 'select(0.0, 1.0, x == select(0.0, 1.0, y > 0.5))',
    ref: ref.binary.accHit,
    flops: 2,
    domain: { a: { lo: 0, hi: 1, pick: [0, 1] }, b: { lo: 0, hi: 1 } },
    awkward: [
      [0, 0.5],
      [1, 0.5],
      [1, 0.50001],
      [0, 0.49999],
      [1, 1],
      [0, 0],
    ],
  },
};

/** n draws from a domain, rounded to f32 (tests and bench); `next` is uniform in [0, 1). */
export function drawDomain(d: Domain, n: number, next: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = d.pick ? d.pick[Math.floor(next() * d.pick.length)] : d.lo + (d.hi - d.lo) * next();
    out[i] = Math.fround(d.bothSigns && i % 2 ? -v : v);
  }
  return out;
}
