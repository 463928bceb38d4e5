// Every record of the elementwise op table (src/kernels/elementwise_table.ts) on the GPU against
// its float64 map: unary ops on odd sizes and on the record's awkward inputs, binary ops across
// broadcasts and on awkward pairs; every derivative rule against central finite differences of
// the float64 map (binary gradients summed to each operand's shape by ref.sumTo). Plus fills,
// broadcastTo, the API names of the table's ops and the errors.
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import {
  add,
  addScalar,
  broadcastTo,
  copy,
  div,
  exp,
  full,
  log,
  maximum,
  minimum,
  mul,
  mulScalar,
  neg,
  ones,
  relu,
  sigmoid,
  sqrt,
  square,
  sub,
  zeros,
} from '../../src/ops/elementwise.js';
import { binaryOp, unaryOp } from '../../src/ops/elementwise_apply.js';
import {
  binaryParams,
  binaryRaw,
  unaryParams,
  unaryRaw,
  type BinaryOp,
  type UnaryOp,
} from '../../src/kernels/elementwise.js';
import { kernelTarget } from '../../src/gpu/engine.js';
import {
  BINARY_TABLE,
  drawDomain,
  UNARY_TABLE,
  type BinaryName,
  type Domain,
  type UnaryName,
} from '../../src/kernels/elementwise_table.js';
import { sum } from '../../src/ops/reduce.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { mulberry32 } from '../helpers/random.js';
import { nextSeed, randomPair, read64, size, upload } from '../helpers/tensors.js';

useGpu();

// One f32 op per element (exp/log/sqrt/div within a few ulp): 1e-5 relative is generous.
const TOL = { atol: 1e-6, rtol: 1e-5 };
// Binary gradients sum over stretched axes (up to 75 terms): a little more room than one op.
const GT = { atol: 1e-5, rtol: 1e-5 };
// 832 and 808 floats are 208 and 202 vec4s: on a software adapter the unary kernel takes runs of
// 4 over the first and 1 over the second, the binary one runs of 2 over both (RUNS below).
const SIZES = [1, 37, 75 * 75 * 3 + 1, 832, 808];

const UNARY = Object.entries(UNARY_TABLE).map(([name, r]) => ({ name: name as UnaryName, ...r }));
const BINARY = Object.entries(BINARY_TABLE).map(([name, r]) => ({ name: name as BinaryName, ...r }));

/** Seeded draws from a record's domain; the seed goes into every label. */
function draw(d: Domain, n: number): { host: Float64Array; seed: number } {
  const seed = nextSeed();
  return { host: drawDomain(d, n, mulberry32(seed)), seed };
}

/**
 * d f / d v by central differences in float64 with h = 1e-6 max(|v|, 1), or, where that step
 * would reach a singular point of f (0 of log, sqrt, 1/x, relu, ...) or leave f's domain, a
 * step 1e-6 times the distance to it. NaN where neither is finite.
 */
function slope(f: (v: number) => number, v: number, singular: readonly number[] = []): number {
  const far = 1e-6 * Math.max(Math.abs(v), 1);
  const dist = Math.min(Math.abs(v), ...singular.map((k) => Math.abs(v - k)));
  const steps = singular.some((k) => Math.abs(v - k) <= far) ? [1e-6 * dist] : [far, 1e-6 * dist];
  for (const h of steps) {
    const d = (f(v + h) - f(v - h)) / (2 * h);
    if (Number.isFinite(d)) return d;
  }
  return NaN;
}

// --- unary -----------------------------------------------------------------------------------

type UnaryCase = (typeof UNARY)[number];

/** y = op(x) against the map; with a rule, dx of L = sum(y * r), i.e. r * f'(x), against slope. */
async function checkUnary(u: UnaryCase, x: Float64Array, label: string): Promise<void> {
  const alpha = u.alpha ?? 0;
  const xt = upload(x, [x.length]);
  const r = randomPair([x.length]);
  xt.requiresGrad = !!u.grad;
  const y = tidy(() => {
    const y = unaryOp(u.name, xt, alpha);
    if (u.grad) backward(sum(mul(y, r.t)));
    return y;
  });
  const tag = `${label} seed ${r.seed}`;
  expectClose(
    await read64(y),
    x.map((v) => u.ref(v, alpha)),
    { ...TOL, label: `${tag} y` },
  );
  if (u.grad) {
    const f = (v: number) => u.ref(v, alpha);
    // At a singular point the gradient is a convention (0 at relu's kink, as TF) or infinite:
    // those cells are left out of both sides.
    const s = u.singular ?? [];
    const keep = [...x.keys()].filter((i) => !s.includes(x[i]) && Number.isFinite(slope(f, x[i], s)));
    const got = await read64(xt.grad!);
    const want = keep.map((i) => r.host[i] * slope(f, x[i], s));
    expectClose(
      keep.map((i) => got[i]),
      want,
      { ...TOL, label: `${tag} dx` },
    );
  }
  for (const t of [xt, y, r.t, xt.grad]) t?.dispose();
}

describe.each(UNARY)('unary $name', (u) => {
  test.each(SIZES)('n=%i: forward against the float64 map, gradient against finite differences', async (n) => {
    const x = draw(u.domain, n);
    await checkUnary(u, x.host, `${u.name} n=${n} seed ${x.seed}`);
  });

  test.runIf(!!u.awkward)('awkward inputs', async () => {
    await checkUnary(u, Float64Array.from(u.awkward!, Math.fround), `${u.name} awkward [${u.awkward}]`);
  });
});

test.each(['relu', 'abs'] as const)('%s gradient at exactly 0 is 0 (as TF)', async (op) => {
  const x = upload(Float64Array.of(0, -0, 1), [3]);
  x.requiresGrad = true;
  backward(sum(unaryOp(op, x)));
  expect(Array.from(await x.grad!.data())).toEqual([0, 0, 1]);
});

test.each([
  [[2, 3], 2.5],
  [[37], 0],
  [[1], 1],
  [[5, 1, 3], -7.25],
  [[75 * 75 * 3 + 1], 0.1],
] as [number[], number][])('full(%j, %d), zeros, ones', async (shape, value) => {
  const n = size(shape);
  const label = `shape [${shape}] value ${value}`;
  const made = [
    [full(shape, value), Math.fround(value)],
    [zeros(shape), 0],
    [ones(shape), 1],
  ] as const;
  for (const [t, v] of made) {
    expect(t.shape).toEqual(shape);
    expectClose(await read64(t), new Float64Array(n).fill(v), { atol: 0, rtol: 0, label });
    t.dispose();
  }
});

// --- binary ----------------------------------------------------------------------------------

type BinaryCase = (typeof BINARY)[number];

/** `v` of shape `shape` copied out to `out` (adding a zero of the other shape is exact). */
function stretch(v: Float64Array, shape: number[], out: number[]): Float64Array {
  return ref.broadcastBinary('add', v, shape, new Float64Array(size(out)), out).y;
}

/**
 * op(a, b) against the map on the broadcast shape; with a rule, da and db of L = sum(y * r)
 * against r times each partial by finite differences, summed to the operand's shape.
 */
async function checkBinary(
  o: BinaryCase,
  a: Float64Array,
  as: number[],
  b: Float64Array,
  bs: number[],
  label: string,
): Promise<void> {
  const out = ref.broadcastBinary('add', a, as, b, bs).shape;
  const [at, bt] = [upload(a, as), upload(b, bs)];
  const r = randomPair(out);
  at.requiresGrad = bt.requiresGrad = !!o.grad;
  const y = tidy(() => {
    const y = binaryOp(o.name, at, bt);
    if (o.grad) backward(sum(mul(y, r.t)));
    return y;
  });
  const tag = `${label} seed ${r.seed}`;
  const [A, B] = [stretch(a, as, out), stretch(b, bs, out)];
  expect(y.shape).toEqual(out);
  expectClose(
    await read64(y),
    A.map((x, i) => o.ref(x, B[i])),
    { ...TOL, label: `${tag} y` },
  );
  if (o.grad) {
    const da = A.map((x, i) => r.host[i] * slope((v) => o.ref(v, B[i]), x));
    const db = A.map((x, i) => r.host[i] * slope((v) => o.ref(x, v), B[i], o.singularB));
    expect(at.grad!.shape).toEqual(as);
    expect(bt.grad!.shape).toEqual(bs);
    expectClose(await read64(at.grad!), ref.sumTo(da, out, as), { ...GT, label: `${tag} da` });
    expectClose(await read64(bt.grad!), ref.sumTo(db, out, bs), { ...GT, label: `${tag} db` });
  }
  for (const t of [at, bt, r.t, y, at.grad, bt.grad]) t?.dispose();
}

const BCASTS: [number[], number[]][] = [
  [[37], [37]],
  [[75 * 75 * 3 + 1], [75 * 75 * 3 + 1]],
  [[832], [832]],
  [
    [4, 202],
    [4, 202],
  ],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [
    [4, 1, 3],
    [1, 5, 1],
  ],
  [[7], []],
  [[], [7]],
  [[1], [1]],
  [
    [2, 1, 3, 1, 2],
    [4, 1, 5, 2],
  ],
  [
    [1, 4, 1, 5, 1, 3, 1, 2],
    [1, 3, 5, 2, 3, 2, 1],
  ],
];

describe.each(BINARY)('binary $name', (o) => {
  test.each(BCASTS)(
    '%j with %j: forward against the float64 map, gradients against finite differences',
    async (as, bs) => {
      const [a, b] = [draw(o.domain.a, size(as)), draw(o.domain.b, size(bs))];
      await checkBinary(o, a.host, as, b.host, bs, `${o.name} seeds ${a.seed},${b.seed} [${as}] with [${bs}]`);
    },
  );

  test.runIf(!!o.awkward)('awkward pairs', async () => {
    const pairs = o.awkward!;
    const [a, b] = [0, 1].map((k) => Float64Array.from(pairs, (p) => Math.fround(p[k])));
    await checkBinary(o, a, [pairs.length], b, [pairs.length], `${o.name} awkward ${JSON.stringify(pairs)}`);
  });
});

test('a tensor combined with itself: mul(x, x) gives 2x, sub(x, x) gives 0', async () => {
  const x = randomPair([37]);
  x.t.requiresGrad = true;
  backward(sum(mul(x.t, x.t)));
  expectClose(
    await read64(x.t.grad!),
    x.host.map((v) => 2 * v),
    { ...TOL, label: `seed ${x.seed} mul` },
  );
  x.t.grad!.dispose();
  x.t.grad = null;
  backward(sum(sub(x.t, x.t)));
  expectClose(await read64(x.t.grad!), new Float64Array(37), { ...TOL, label: `seed ${x.seed} sub` });
});

// The sizes above reach each run length the kernels take here (elementwise.ts runOf).
test('runs: 4 vec4s per unary and 2 per binary invocation on a software plan, where they divide', () => {
  const software = kernelTarget() === 'software';
  const runs = (n: number) => [unaryParams('relu', n).run, binaryParams('add', [n], [n], [n]).run];
  expect(runs(832)).toEqual(software ? [4, 2] : [1, 1]);
  expect(runs(808)).toEqual(software ? [1, 2] : [1, 1]);
  expect(runs(75 * 75 * 3 + 1)).toEqual([1, 1]);
  expect(runs(37)).toEqual([1, 1]);
  expect(binaryParams('add', [2, 3], [3], [2, 3]).run ?? 1).toBe(1);
});

test('shapes that do not broadcast, rank > 8 and unknown ops throw', () => {
  const a = zeros([2, 3]);
  const b = zeros([4]);
  expect(() => add(a, b)).toThrow(/do not broadcast/);
  expect(() => broadcastTo(a, [3, 3])).toThrow(/do not broadcast/);
  const deep = zeros(new Array(9).fill(1));
  expect(() => mul(deep, deep)).toThrow(/rank <= 8/);
  expect(() => unaryRaw('pow' as UnaryOp, a)).toThrow(/unknown unary op 'pow'/);
  expect(() => binaryRaw('pow' as BinaryOp, a, a)).toThrow(/unknown binary op 'pow'/);
});

// The API names are the table's ops (elementwise.ts): same values, bit for bit.
test('the public ops are their table records', async () => {
  const x = randomPair([37], 0.5, 2);
  const y = randomPair([37], 0.5, 2);
  const pairs: [Tensor, Tensor][] = [
    [relu(x.t), unaryOp('relu', x.t)],
    [sigmoid(x.t), unaryOp('sigmoid', x.t)],
    [neg(x.t), unaryOp('neg', x.t)],
    [exp(x.t), unaryOp('exp', x.t)],
    [log(x.t), unaryOp('log', x.t)],
    [sqrt(x.t), unaryOp('sqrt', x.t)],
    [square(x.t), unaryOp('square', x.t)],
    [mulScalar(x.t, 3), unaryOp('scale', x.t, 3)],
    [addScalar(x.t, 3), unaryOp('addScalar', x.t, 3)],
    [copy(x.t), unaryOp('copy', x.t)],
    [add(x.t, y.t), binaryOp('add', x.t, y.t)],
    [sub(x.t, y.t), binaryOp('sub', x.t, y.t)],
    [mul(x.t, y.t), binaryOp('mul', x.t, y.t)],
    [div(x.t, y.t), binaryOp('div', x.t, y.t)],
    [maximum(x.t, y.t), binaryOp('max', x.t, y.t)],
    [minimum(x.t, y.t), binaryOp('min', x.t, y.t)],
  ];
  for (const [api, rec] of pairs) {
    expectClose(await read64(api), await read64(rec), { atol: 0, rtol: 0, label: `seeds ${x.seed},${y.seed}` });
    api.dispose();
    rec.dispose();
  }
});

describe('broadcastTo', () => {
  test.each([
    [[3], [2, 3]],
    [
      [4, 1],
      [2, 4, 5],
    ],
    [[], [37]],
    [
      [1, 1],
      [3, 1],
    ],
    [
      [2, 3],
      [2, 3],
    ],
    [
      [75, 1, 3],
      [2, 75, 75, 3],
    ],
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
