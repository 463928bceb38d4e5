// Elementwise ops on the GPU against float64 formulas: unary maps and scalar ops (forward and
// gradient), fills, broadcasting binary ops (forward vs ref.broadcastBinary, both gradients vs
// ref.sumTo of the analytic full-shape gradient) and broadcastTo, on odd sizes.
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/engine.js';
import {
  add, addScalar, broadcastTo, div, exp, full, log, mul, mulScalar, neg, ones, relu, sigmoid, sqrt,
  square, sub, zeros,
} from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64, size, upload } from '../helpers/tensors.js';

useGpu();

// One f32 op per element (exp/log/sqrt/div within a few ulp): 1e-5 relative is generous.
const TOL = { atol: 1e-6, rtol: 1e-5 };
const SIZES = [1, 37, 75 * 75 * 3 + 1];

interface Unary {
  name: string;
  op: (x: Tensor) => Tensor;
  f: (x: number) => number;
  /** d f / d x, in float64. */
  df: (x: number) => number;
  lo: number;
  hi: number;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const UNARY: Unary[] = [
  { name: 'relu', op: relu, f: (v) => Math.max(v, 0), df: (v) => (v > 0 ? 1 : 0), lo: -2, hi: 2 },
  { name: 'sigmoid', op: sigmoid, f: sig, df: (v) => sig(v) * (1 - sig(v)), lo: -8, hi: 8 },
  { name: 'neg', op: neg, f: (v) => -v, df: () => -1, lo: -2, hi: 2 },
  { name: 'exp', op: exp, f: Math.exp, df: Math.exp, lo: -3, hi: 3 },
  { name: 'log', op: log, f: Math.log, df: (v) => 1 / v, lo: 0.1, hi: 5 },
  { name: 'sqrt', op: sqrt, f: Math.sqrt, df: (v) => 0.5 / Math.sqrt(v), lo: 0.01, hi: 4 },
  { name: 'square', op: square, f: (v) => v * v, df: (v) => 2 * v, lo: -2, hi: 2 },
  {
    name: 'mulScalar(-2.5)', op: (x) => mulScalar(x, -2.5), f: (v) => -2.5 * v, df: () => -2.5,
    lo: -2, hi: 2,
  },
  {
    name: 'addScalar(0.75)', op: (x) => addScalar(x, 0.75), f: (v) => v + 0.75, df: () => 1,
    lo: -2, hi: 2,
  },
];

/** y = op(x) and dx of L = sum(y * r), i.e. dx = r * f'(x), both checked against float64. */
async function checkUnary(u: Unary, x: Float64Array, xt: Tensor, r: { host: Float64Array; t: Tensor },
  label: string): Promise<void> {
  xt.requiresGrad = true;
  const y = tidy(() => {
    const y = u.op(xt);
    backward(sum(mul(y, r.t)));
    return y;
  });
  expect(y.shape).toEqual(xt.shape);
  expectClose(await read64(y), x.map(u.f), { ...TOL, label: `${label} y` });
  expectClose(await read64(xt.grad!), x.map((v, i) => r.host[i] * u.df(v)), { ...TOL, label: `${label} dx` });
  for (const t of [xt, y, r.t, xt.grad!]) t.dispose();
}

describe.each(UNARY)('unary $name', (u) => {
  test.each(SIZES)('n=%i: forward and gradient', async (n) => {
    const x = randomPair([n], u.lo, u.hi);
    const r = randomPair([n]);
    await checkUnary(u, x.host, x.t, r, `${u.name} seeds ${x.seed},${r.seed} n=${n}`);
  });
});

test('sigmoid saturates cleanly at |x| = 100, 88, 30 (no NaN, gradient 0 in the limit)', async () => {
  const host = Float64Array.of(-100, 100, -88, 88, -30, 30, 0);
  const r = randomPair([host.length]);
  const u = UNARY.find((v) => v.name === 'sigmoid')!;
  await checkUnary(u, host, upload(host, [host.length]), r, `sigmoid large seed ${r.seed}`);
});

test('relu gradient at exactly 0 is 0 (as TF)', async () => {
  const x = upload(Float64Array.of(0, -0, 1), [3]);
  x.requiresGrad = true;
  backward(sum(relu(x)));
  expect(Array.from(await x.grad!.data())).toEqual([0, 0, 1]);
});

test.each([
  [[2, 3], 2.5], [[37], 0], [[1], 1], [[5, 1, 3], -7.25], [[75 * 75 * 3 + 1], 0.1],
] as [number[], number][])('full(%j, %d), zeros, ones', async (shape, value) => {
  const n = size(shape);
  const label = `shape [${shape}] value ${value}`;
  const made = [[full(shape, value), Math.fround(value)], [zeros(shape), 0], [ones(shape), 1]] as const;
  for (const [t, v] of made) {
    expect(t.shape).toEqual(shape);
    expectClose(await read64(t), new Float64Array(n).fill(v), { atol: 0, rtol: 0, label });
    t.dispose();
  }
});

// --- binary ----------------------------------------------------------------------------------

type BinOp = 'add' | 'sub' | 'mul' | 'div';
const BIN: Record<BinOp, (a: Tensor, b: Tensor) => Tensor> = { add, sub, mul, div };

/** dL/da and dL/db of L = sum(op(a, b) * r), elementwise on the broadcast shape. */
function partials(op: BinOp, a: number, b: number): [number, number] {
  if (op === 'add') return [1, 1];
  if (op === 'sub') return [1, -1];
  if (op === 'mul') return [b, a];
  return [1 / b, -a / (b * b)];
}

/** `v` of shape `shape` copied out to `out` (adding a zero of the other shape is exact). */
function stretch(v: Float64Array, shape: number[], out: number[]): Float64Array {
  return ref.broadcastBinary('add', v, shape, new Float64Array(size(out)), out).y;
}

const BCASTS: [number[], number[]][] = [
  [[37], [37]],
  [[75 * 75 * 3 + 1], [75 * 75 * 3 + 1]],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [[4, 1, 3], [1, 5, 1]],
  [[7], []],
  [[], [7]],
  [[1], [1]],
  [[2, 1, 3, 1, 2], [4, 1, 5, 2]],
  [[1, 4, 1, 5, 1, 3, 1, 2], [1, 3, 5, 2, 3, 2, 1]],
];

describe.each(['add', 'sub', 'mul', 'div'] as BinOp[])('binary %s', (op) => {
  test.each(BCASTS)('%j with %j: forward and both gradients', async (as, bs) => {
    const a = randomPair(as);
    // div: b away from 0 (either sign) so the quotient and its gradient stay well scaled.
    const b = op === 'div' ? randomPair(bs, 0.5, 2) : randomPair(bs);
    if (op === 'div') b.host.forEach((v, i) => { if (i % 2) b.host[i] = -v; });
    const bt = op === 'div' ? upload(b.host, bs) : b.t;
    const want = ref.broadcastBinary(op, a.host, as, b.host, bs);
    const r = randomPair(want.shape);
    const label = `${op} seeds ${a.seed},${b.seed},${r.seed} [${as}] with [${bs}]`;
    a.t.requiresGrad = true;
    bt.requiresGrad = true;
    const y = tidy(() => {
      const y = BIN[op](a.t, bt);
      backward(sum(mul(y, r.t)));
      return y;
    });
    expect(y.shape).toEqual(want.shape);
    expectClose(await read64(y), want.y, { ...TOL, label: `${label} y` });
    const A = stretch(a.host, as, want.shape);
    const B = stretch(b.host, bs, want.shape);
    const ga = A.map((v, i) => r.host[i] * partials(op, v, B[i])[0]);
    const gb = A.map((v, i) => r.host[i] * partials(op, v, B[i])[1]);
    // The gradients sum over stretched axes (up to 75 terms): a little more room than one op.
    const GT = { atol: 1e-5, rtol: 1e-5 };
    expect(a.t.grad!.shape).toEqual(as);
    expect(bt.grad!.shape).toEqual(bs);
    expectClose(await read64(a.t.grad!), ref.sumTo(ga, want.shape, as), { ...GT, label: `${label} da` });
    expectClose(await read64(bt.grad!), ref.sumTo(gb, want.shape, bs), { ...GT, label: `${label} db` });
    for (const t of [a.t, b.t, bt, r.t, y, a.t.grad!, bt.grad!]) t.dispose();
  });
});

test('a tensor combined with itself: mul(x, x) gives 2x, sub(x, x) gives 0', async () => {
  const x = randomPair([37]);
  x.t.requiresGrad = true;
  backward(sum(mul(x.t, x.t)));
  expectClose(await read64(x.t.grad!), x.host.map((v) => 2 * v), { ...TOL, label: `seed ${x.seed} mul` });
  x.t.grad!.dispose();
  x.t.grad = null;
  backward(sum(sub(x.t, x.t)));
  expectClose(await read64(x.t.grad!), new Float64Array(37), { ...TOL, label: `seed ${x.seed} sub` });
});

test('shapes that do not broadcast, and rank > 8, throw', () => {
  const a = zeros([2, 3]);
  const b = zeros([4]);
  expect(() => add(a, b)).toThrow(/do not broadcast/);
  expect(() => broadcastTo(a, [3, 3])).toThrow(/do not broadcast/);
  const deep = zeros(new Array(9).fill(1));
  expect(() => mul(deep, deep)).toThrow(/rank <= 8/);
});

describe('broadcastTo', () => {
  test.each([
    [[3], [2, 3]], [[4, 1], [2, 4, 5]], [[], [37]], [[1, 1], [3, 1]], [[2, 3], [2, 3]],
    [[75, 1, 3], [2, 75, 75, 3]],
  ] as [number[], number[]][])('%j -> %j: values and gradient', async (xs, out) => {
    const x = randomPair(xs);
    const r = randomPair(out);
    const label = `seeds ${x.seed},${r.seed} [${xs}] -> [${out}]`;
    x.t.requiresGrad = true;
    const y = tidy(() => {
      const y = broadcastTo(x.t, out);
      backward(sum(mul(y, r.t)));
      return y;
    });
    expect(y.shape).toEqual(out);
    expectClose(await read64(y), stretch(x.host, xs, out), { atol: 0, rtol: 0, label: `${label} y` });
    // Up to 150 terms per gradient cell.
    const dx = ref.sumTo(r.host, out, xs);
    expectClose(await read64(x.t.grad!), dx, { atol: 1e-5, rtol: 1e-5, label: `${label} dx` });
    for (const t of [x.t, r.t, y, x.t.grad!]) t.dispose();
  });
});
