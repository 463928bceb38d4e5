// Proves the float64 CPU reference (the oracle for every GPU test): forward passes against
// hand-computed cases, backward passes against central finite differences of
// L = sum(out * R) with a fixed random R, so every output element carries a different weight.
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import type { Activation, Padding } from '../../src/cpu/reference.js';
import { expectClose, maxAbsDiff } from '../helpers/allclose.js';
import { numericGrad } from '../helpers/gradcheck.js';
import { f32, mulberry32, uniform } from '../helpers/random.js';

// Central differences with h = 1e-6 in float64 are good to ~1e-9 here; 1e-6 relative is loose.
const GC = { atol: 1e-8, rtol: 1e-6 };

function dot(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const arange = (n: number, start = 1): Float64Array => Float64Array.from({ length: n }, (_, i) => start + i);

// A shuffled ladder 0, 0.1, 0.2, ...: all values distinct and 0.1 apart, so an h = 1e-6 nudge
// never changes which cell of a pooling window is the maximum.
function distinct(n: number, seed: number): Float64Array {
  const rnd = mulberry32(seed);
  const v = Float64Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

describe('test helpers', () => {
  it('numericGrad of sum(x^3) is 3x^2', () => {
    const x = uniform(7, -2, 2, 1);
    const g = numericGrad((v) => v.reduce((s, t) => s + t * t * t, 0), x);
    expectClose(
      g,
      x.map((t) => 3 * t * t),
      { ...GC, label: 'cube' },
    );
  });

  it('uniform is seeded and in range; f32 rounds through Math.fround', () => {
    const a = uniform(100, -3, 5, 42);
    expect(Array.from(a)).toEqual(Array.from(uniform(100, -3, 5, 42)));
    expect(maxAbsDiff(a, uniform(100, -3, 5, 43))).toBeGreaterThan(0);
    expect(a.every((t) => t >= -3 && t < 5)).toBe(true);
    const r = f32(Float64Array.of(0.1, 1 / 3));
    expect(r[0]).toBe(Math.fround(0.1));
    expect(r[1]).toBe(Math.fround(1 / 3));
  });

  it('expectClose reports label, max diff, count and first mismatches', () => {
    expectClose([1, 2, Infinity], [1, 2 + 1e-7, Infinity]);
    expect(() => expectClose([1, 2], [1])).toThrow(/length 2 != expected 1/);
    expect(() => expectClose([5], [Infinity])).toThrow(/1\/1 mismatches/);
    expect(() => expectClose([NaN], [NaN])).toThrow(/mismatches/);
    const msg = new RegExp(
      'seed 7 \\[2,2\\]: 2/4 mismatches .*max abs diff 3; ' + '\\[1\\] got 2 want 5; \\[3\\] got 4 want 3\\.5',
    );
    expect(() => expectClose([1, 2, 3, 4], [1, 5, 3, 3.5], { label: 'seed 7 [2,2]' })).toThrow(msg);
  });
});

describe('padInfo (TensorFlow rule)', () => {
  it.each([
    [5, 3, 2, 'same', 3, 1],
    [4, 3, 2, 'same', 2, 0],
    [150, 2, 2, 'valid', 75, 0],
    [75, 2, 2, 'valid', 37, 0],
    [7, 2, 2, 'same', 4, 0], // total pad 1: the odd one goes at the end
    [5, 3, 1, 'same', 5, 1],
    [4, 4, 1, 'same', 4, 1], // total 3 -> 1 before, 2 after
    [5, 5, 1, 'same', 5, 2],
    [6, 3, 2, 'valid', 2, 0],
    [3, 2, 2, 'same', 2, 0],
  ] as const)('n=%i k=%i s=%i %s -> out %i before %i', (n, k, s, p, out, before) => {
    expect(ref.padInfo(n, k, s, p)).toEqual({ out, before });
  });
});

describe('conv2d forward (hand cases)', () => {
  const x33 = arange(9); // [1,3,3,1]: 1 2 3 / 4 5 6 / 7 8 9
  const plus = Float64Array.of(0, 1, 0, 1, 1, 1, 0, 1, 0);

  it('3x3 same, top-left tap: cross-correlation, no flip', () => {
    const w = Float64Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0);
    const r = ref.conv2dForward(x33, [1, 3, 3, 1], w, [3, 3, 1, 1], null, [1, 1], 'same', 'linear');
    expect(r.shape).toEqual([1, 3, 3, 1]);
    // y[i,j] = x[i-1, j-1] with zeros outside.
    expect(Array.from(r.y)).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
  });

  it('3x3 same, plus kernel; with bias and relu; valid', () => {
    const r = ref.conv2dForward(x33, [1, 3, 3, 1], plus, [3, 3, 1, 1], null, [1, 1], 'same', 'linear');
    expect(Array.from(r.y)).toEqual([7, 11, 11, 17, 25, 23, 19, 29, 23]);
    const b = Float64Array.of(-20);
    const rr = ref.conv2dForward(x33, [1, 3, 3, 1], plus, [3, 3, 1, 1], b, [1, 1], 'same', 'relu');
    expect(Array.from(rr.y)).toEqual([0, 0, 0, 0, 5, 3, 0, 9, 3]);
    const v = ref.conv2dForward(x33, [1, 3, 3, 1], plus, [3, 3, 1, 1], null, [1, 1], 'valid', 'linear');
    expect(v.shape).toEqual([1, 1, 1, 1]);
    expect(Array.from(v.y)).toEqual([25]);
  });

  it('5x5 stride 2 same pads 1 before', () => {
    const x = arange(25, 0); // x[r,c] = 5r + c
    const w = Float64Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0);
    const r = ref.conv2dForward(x, [1, 5, 5, 1], w, [3, 3, 1, 1], null, [2, 2], 'same', 'linear');
    expect(r.shape).toEqual([1, 3, 3, 1]);
    // y[oh,ow] = x[2oh - 1, 2ow - 1].
    expect(Array.from(r.y)).toEqual([0, 0, 0, 0, 6, 8, 0, 16, 18]);
  });

  it('layouts: x NHWC, w HWIO', () => {
    // x[0,h,w,c] = 100c + 10h + w, shape [1,2,2,2].
    const x = Float64Array.of(0, 100, 1, 101, 10, 110, 11, 111);
    // w [1,2,2,3] one-hot at (kh 0, kw 1, ci 1, co 2): flat ((0*2 + 1)*2 + 1)*3 + 2 = 11.
    const w = new Float64Array(12);
    w[11] = 1;
    const r = ref.conv2dForward(x, [1, 2, 2, 2], w, [1, 2, 2, 3], null, [1, 1], 'valid', 'linear');
    expect(r.shape).toEqual([1, 2, 1, 3]);
    // y[0,h,0,2] = x[0,h,1,1] = 101 + 10h.
    expect(Array.from(r.y)).toEqual([0, 0, 101, 0, 0, 111]);
  });

  it('1x1 conv equals matmul over [N*H*W, CI] x [CI, CO] plus bias, then sigmoid', () => {
    const xs = [2, 3, 5, 3];
    const x = uniform(prod(xs), -1, 1, 11);
    const w = uniform(3 * 4, -1, 1, 12);
    const b = uniform(4, -1, 1, 13);
    const r = ref.conv2dForward(x, xs, w, [1, 1, 3, 4], b, [1, 1], 'same', 'sigmoid');
    const want = ref.denseForward(x, w, b, 30, 3, 4, 'sigmoid');
    expect(r.shape).toEqual([2, 3, 5, 4]);
    expectClose(r.y, want, { atol: 1e-14, rtol: 1e-14, label: '1x1 vs dense' });
  });
});

interface ConvCase {
  xs: [number, number, number, number];
  k: [number, number];
  co: number;
  s: [number, number];
  pad: Padding;
  out: [number, number];
}

describe('conv2dBackward vs finite differences', () => {
  const cases: ConvCase[] = [
    { xs: [1, 5, 7, 3], k: [3, 3], co: 5, s: [1, 1], pad: 'same', out: [5, 7] },
    { xs: [2, 5, 7, 3], k: [3, 3], co: 2, s: [2, 2], pad: 'same', out: [3, 4] },
    { xs: [2, 6, 5, 5], k: [2, 3], co: 3, s: [2, 1], pad: 'valid', out: [3, 3] },
    { xs: [1, 5, 7, 5], k: [1, 1], co: 3, s: [1, 1], pad: 'valid', out: [5, 7] },
    { xs: [2, 4, 6, 3], k: [1, 1], co: 4, s: [2, 2], pad: 'same', out: [2, 3] },
    { xs: [1, 7, 5, 3], k: [2, 3], co: 5, s: [2, 2], pad: 'same', out: [4, 3] },
    { xs: [2, 8, 8, 3], k: [3, 3], co: 2, s: [2, 2], pad: 'valid', out: [3, 3] },
    { xs: [1, 5, 7, 5], k: [3, 3], co: 3, s: [1, 1], pad: 'valid', out: [3, 5] },
  ];
  cases.forEach((c, idx) => {
    const seed = 100 + 10 * idx;
    const ws = [c.k[0], c.k[1], c.xs[3], c.co];
    const label = `seed ${seed} x[${c.xs}] w[${ws}] s[${c.s}] ${c.pad}`;
    it(label, () => {
      const x = uniform(prod(c.xs), -1, 1, seed);
      const w = uniform(prod(ws), -1, 1, seed + 1);
      const b = uniform(c.co, -1, 1, seed + 2);
      const outShape = [c.xs[0], c.out[0], c.out[1], c.co];
      const R = uniform(prod(outShape), -1, 1, seed + 3);
      const fwd = (xx: Float64Array, ww: Float64Array, bb: Float64Array): number => {
        const r = ref.conv2dForward(xx, c.xs, ww, ws, bb, c.s, c.pad, 'linear');
        expect(r.shape).toEqual(outShape);
        return dot(r.y, R);
      };
      const g = ref.conv2dBackward(x, c.xs, w, ws, R, c.s, c.pad);
      expectClose(
        g.dx,
        numericGrad((v) => fwd(v, w, b), x),
        { ...GC, label: `${label} dx` },
      );
      expectClose(
        g.dw,
        numericGrad((v) => fwd(x, v, b), w),
        { ...GC, label: `${label} dw` },
      );
      expectClose(
        g.db,
        numericGrad((v) => fwd(x, w, v), b),
        { ...GC, label: `${label} db` },
      );
    });
  });
});

interface PoolCase {
  xs: number[];
  pool: [number, number];
  s: [number, number];
  pad: Padding;
  out: number[];
}

describe('maxPool2d', () => {
  it("'same' 2x2 s2 on 3x3 gives 2x2; padding is -inf, not 0", () => {
    const pos = ref.maxPool2dForward(arange(9), [1, 3, 3, 1], [2, 2], [2, 2], 'same');
    expect(pos.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(pos.y)).toEqual([5, 6, 8, 9]);
    const neg = ref.maxPool2dForward(
      arange(9).map((v) => -v),
      [1, 3, 3, 1],
      [2, 2],
      [2, 2],
      'same',
    );
    expect(Array.from(neg.y)).toEqual([-1, -3, -7, -9]);
  });

  it('channels pool independently (NHWC)', () => {
    // [1,2,2,2]: channel 0 = 1 4 / 2 3, channel 1 = 8 5 / 6 7, interleaved.
    const x = Float64Array.of(1, 8, 4, 5, 2, 6, 3, 7);
    const r = ref.maxPool2dForward(x, [1, 2, 2, 2], [2, 2], [2, 2], 'valid');
    expect(Array.from(r.y)).toEqual([4, 8]);
    const dx = ref.maxPool2dBackward(x, [1, 2, 2, 2], Float64Array.of(1, 2), [2, 2], [2, 2], 'valid');
    expect(Array.from(dx)).toEqual([0, 2, 1, 0, 0, 0, 0, 0]);
  });

  it('ties: the first cell in window scan order takes the whole gradient', () => {
    const dy = Float64Array.of(3);
    const back = (x: Float64Array): number[] =>
      Array.from(ref.maxPool2dBackward(x, [1, 2, 2, 1], dy, [2, 2], [2, 2], 'valid'));
    expect(back(Float64Array.of(1, 1, 1, 1))).toEqual([3, 0, 0, 0]);
    expect(back(Float64Array.of(1, 2, 2, 2))).toEqual([0, 3, 0, 0]);
  });

  const cases: PoolCase[] = [
    { xs: [1, 4, 4, 3], pool: [2, 2], s: [2, 2], pad: 'valid', out: [2, 2] },
    { xs: [2, 5, 7, 3], pool: [2, 2], s: [2, 2], pad: 'valid', out: [2, 3] },
    { xs: [1, 5, 7, 2], pool: [3, 3], s: [2, 2], pad: 'same', out: [3, 4] },
    { xs: [1, 7, 5, 1], pool: [3, 3], s: [2, 2], pad: 'same', out: [4, 3] },
    { xs: [2, 5, 5, 3], pool: [2, 2], s: [1, 1], pad: 'same', out: [5, 5] },
    { xs: [1, 3, 3, 1], pool: [2, 2], s: [2, 2], pad: 'same', out: [2, 2] },
  ];
  cases.forEach((c, idx) => {
    const seed = 300 + 10 * idx;
    const label = `backward seed ${seed} x[${c.xs}] pool[${c.pool}] s[${c.s}] ${c.pad}`;
    it(label, () => {
      const x = distinct(prod(c.xs), seed);
      const outShape = [c.xs[0], ...c.out, c.xs[3]];
      const R = uniform(prod(outShape), -1, 1, seed + 1);
      const f = (v: Float64Array): number => {
        const r = ref.maxPool2dForward(v, c.xs, c.pool, c.s, c.pad);
        expect(r.shape).toEqual(outShape);
        return dot(r.y, R);
      };
      const dx = ref.maxPool2dBackward(x, c.xs, R, c.pool, c.s, c.pad);
      expectClose(dx, numericGrad(f, x), { ...GC, label });
    });
  });
});

describe('matmul', () => {
  const M = 3,
    K = 4,
    N = 5;
  const A = uniform(M * K, -1, 1, 500); // [M,K]
  const B = uniform(K * N, -1, 1, 501); // [K,N]
  // Direct triple loop on the untransposed operands.
  const want = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) want[m * N + n] += A[m * K + k] * B[k * N + n];
    }
  const transpose = (a: Float64Array, r: number, c: number): Float64Array => {
    const t = new Float64Array(a.length); // [r,c] -> [c,r]
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j];
    return t;
  };
  const At = transpose(A, M, K); // stored [K,M]
  const Bt = transpose(B, K, N); // stored [N,K]
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('seed 500 M3 K4 N5 transA=%s transB=%s', (ta, tb) => {
    const c = ref.matmul(ta ? At : A, tb ? Bt : B, M, K, N, ta, tb);
    expectClose(c, want, { atol: 1e-14, rtol: 1e-14, label: `matmul ta=${ta} tb=${tb}` });
  });

  it('hand case [2,2]x[2,2]', () => {
    const c = ref.matmul(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 2, 2, 2);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });
});

describe('dense + activation', () => {
  it('forward hand case', () => {
    const x = Float64Array.of(1, 2);
    const w = Float64Array.of(1, 2, 3, 4);
    const b = Float64Array.of(0.5, -10);
    expect(Array.from(ref.denseForward(x, w, b, 1, 2, 2, 'linear'))).toEqual([7.5, 0]);
    expect(Array.from(ref.denseForward(x, w, b, 1, 2, 2, 'relu'))).toEqual([7.5, 0]);
    expect(ref.denseForward(x, w, b, 1, 2, 2, 'sigmoid')[1]).toBe(0.5);
    expect(Array.from(ref.denseForward(x, w, null, 1, 2, 2, 'relu'))).toEqual([7, 10]);
  });

  const M = 4,
    K = 5,
    N = 3;
  // For relu, pick the first seed whose pre-activations all stay 1e-3 away from the kink.
  type DenseData = { seed: number; x: Float64Array; w: Float64Array; b: Float64Array };
  function data(act: Activation, base: number): DenseData {
    for (let seed = base; ; seed += 7) {
      const x = uniform(M * K, -1, 1, seed);
      const w = uniform(K * N, -1, 1, seed + 1);
      const b = uniform(N, -0.5, 0.5, seed + 2);
      const pre = ref.denseForward(x, w, b, M, K, N, 'linear');
      if (act !== 'relu' || pre.every((v) => Math.abs(v) > 1e-3)) return { seed, x, w, b };
    }
  }

  it.each(['linear', 'relu', 'sigmoid'] as const)('denseBackward + activationBackward (%s)', (act) => {
    const { seed, x, w, b } = data(act, 600);
    const label = `seed ${seed} x[${M},${K}] w[${K},${N}] ${act}`;
    const R = uniform(M * N, -1, 1, seed + 3);
    const f = (xx: Float64Array, ww: Float64Array, bb: Float64Array): number =>
      dot(ref.denseForward(xx, ww, bb, M, K, N, act), R);
    const y = ref.denseForward(x, w, b, M, K, N, act);
    const dPre = ref.activationBackward(y, R, act);
    const g = ref.denseBackward(x, w, dPre, M, K, N);
    expectClose(
      g.dx,
      numericGrad((v) => f(v, w, b), x),
      { ...GC, label: `${label} dx` },
    );
    expectClose(
      g.dw,
      numericGrad((v) => f(x, v, b), w),
      { ...GC, label: `${label} dw` },
    );
    expectClose(
      g.db,
      numericGrad((v) => f(x, w, v), b),
      { ...GC, label: `${label} db` },
    );
  });

  it.each(['linear', 'relu', 'sigmoid'] as const)('activationBackward alone (%s)', (act) => {
    // |pre| >= 0.05 keeps relu's kink out of reach of the h = 1e-6 nudge.
    const pre = uniform(20, 0.05, 3, 700).map((v, i) => (i % 2 ? v : -v));
    const R = uniform(20, -1, 1, 701);
    const f = (v: Float64Array): number =>
      dot(
        v.map((t) => ref.activate(t, act)),
        R,
      );
    const y = pre.map((t) => ref.activate(t, act));
    const label = `seed 700 [20] ${act}`;
    expectClose(ref.activationBackward(y, R, act), numericGrad(f, pre), { ...GC, label });
  });

  it('relu gradient is 0 at y = 0', () => {
    const g = ref.activationBackward(Float64Array.of(0, 2), Float64Array.of(5, 5), 'relu');
    expect(Array.from(g)).toEqual([0, 5]);
  });
});

describe('dropout', () => {
  const rate = 0.3;
  const x = uniform(40, -2, 2, 800);
  const keep = uniform(40, 0, 1, 801).map((u) => (u >= rate ? 1 : 0));

  it('forward scales kept units by 1 / (1 - rate) and zeroes the rest', () => {
    const want = x.map((v, i) => (keep[i] ? v / 0.7 : 0));
    expect(keep.some((k) => k === 0) && keep.some((k) => k === 1)).toBe(true);
    // Exact match (tolerance 0); expectClose compares with ===, so -0 from x * 0 equals 0.
    expectClose(ref.dropoutForward(x, keep, rate), want, { atol: 0, rtol: 0, label: 'seed 800 [40]' });
  });

  it('backward vs finite differences (seed 800 [40] rate 0.3)', () => {
    const R = uniform(40, -1, 1, 802);
    const f = (v: Float64Array): number => dot(ref.dropoutForward(v, keep, rate), R);
    const label = 'seed 800 [40] dropout';
    expectClose(ref.dropoutBackward(R, keep, rate), numericGrad(f, x), { ...GC, label });
  });
});

describe('binary cross-entropy', () => {
  const n = 24;
  const p = uniform(n, 0.01, 0.99, 900);
  // Hard labels for the first half, soft labels for the rest.
  const y = uniform(n, 0, 1, 901).map((u, i) => (i < n / 2 ? Math.round(u) : u));

  it('from probs matches -(y log p + (1-y) log(1-p)) away from the clip', () => {
    let want = 0;
    for (let i = 0; i < n; i++) want -= y[i] * Math.log(p[i]) + (1 - y[i]) * Math.log(1 - p[i]);
    expectClose([ref.bceFromProbs(p, y)], [want / n], { atol: 1e-12, rtol: 1e-12, label: 'seed 900' });
    const half = ref.bceFromProbs(Float64Array.of(0.5), Float64Array.of(1));
    expectClose([half], [Math.LN2], { atol: 1e-15, label: 'p=0.5 y=1' });
  });

  it('bceFromProbsGrad vs finite differences (seed 900 [24])', () => {
    const g = numericGrad((v) => ref.bceFromProbs(v, y), p);
    expectClose(ref.bceFromProbsGrad(p, y), g, { ...GC, label: 'seed 900 [24] probs' });
  });

  it('clipped probabilities: exactly zero gradient, finite loss', () => {
    const pc = Float64Array.of(0, 1, 1e-9, 1 - 1e-9, 0.5, 0.3);
    const yc = Float64Array.of(1, 0, 1, 0, 1, 0);
    const g = ref.bceFromProbsGrad(pc, yc);
    for (const i of [0, 1, 2, 3]) expect(g[i]).toBe(0);
    expect(g[4]).not.toBe(0);
    expect(g[5]).not.toBe(0);
    const loss = ref.bceFromProbs(pc, yc);
    expect(Number.isFinite(loss)).toBe(true);
    // p clipped to eps with y = 1 costs -log(eps) (the 1 - eps side costs the same by symmetry).
    const clippedCost = ref.bceFromProbs(Float64Array.of(0), Float64Array.of(1));
    expectClose([clippedCost], [-Math.log(1e-7)], { atol: 1e-8, rtol: 0, label: 'p=0 y=1' });
    expect(ref.bceFromProbs(Float64Array.of(1), Float64Array.of(0))).toBeCloseTo(clippedCost, 8);
  });

  it('from logits: grad vs finite differences, agrees with probs, stable for huge |z|', () => {
    const z = uniform(n, -5, 5, 902);
    const g = numericGrad((v) => ref.bceFromLogits(v, y), z);
    expectClose(ref.bceFromLogitsGrad(z, y), g, { ...GC, label: 'seed 902 [24] logits' });
    const probs = z.map((t) => ref.activate(t, 'sigmoid'));
    expectClose([ref.bceFromLogits(z, y)], [ref.bceFromProbs(probs, y)], { atol: 1e-9, rtol: 1e-9 });
    expect(ref.bceFromLogits(Float64Array.of(1000, -1000), Float64Array.of(0, 1))).toBe(1000);
    expect(Array.from(ref.bceFromLogitsGrad(Float64Array.of(1000, -1000), Float64Array.of(0, 1)))).toEqual([0.5, -0.5]);
  });
});

// Keras 2.3.1 on TF 1.15 / 2.0: the logits branch (a sigmoid output) and the clipped probability
// branch with eps inside the logs, checked by finite differences also where the sigmoid saturates.
describe('binary cross-entropy as TF 1.15 / 2.0 computes it', () => {
  const SAT_Z = [20, -20, 40, -40, 110, -110];
  const zs = Float64Array.from(SAT_Z.flatMap((z) => [z, z]));
  const ys = Float64Array.from(SAT_Z.flatMap(() => [0, 1]));
  const one = (f: (a: Float64Array, b: Float64Array) => number, i: number) => (v: Float64Array) =>
    f(v, ys.subarray(i, i + 1));

  it('logits: exact gradient vs finite differences at z = +-20, +-40, +-110, both labels', () => {
    for (let i = 0; i < zs.length; i++) {
      const z = zs.subarray(i, i + 1);
      const fd = numericGrad(one(ref.bceFromLogits, i), z);
      const label = `z ${z[0]} y ${ys[i]}`;
      expectClose(ref.bceFromLogitsGradExact(z, ys.subarray(i, i + 1)), fd, { atol: 0, rtol: 1e-6, label });
    }
    // Where sigmoid(z) rounds to 1, the plain form loses the gradient and the exact one keeps it.
    const [z40, y1] = [Float64Array.of(40), Float64Array.of(1)];
    expect(ref.bceFromLogitsGrad(z40, y1)[0]).toBe(0);
    expectClose(ref.bceFromLogitsGradExact(z40, y1), [-Math.exp(-40)], { atol: 0, rtol: 1e-12 });
    expectClose([ref.bceFromLogits(z40, y1)], [Math.exp(-40)], { atol: 0, rtol: 1e-12 });
    const zr = uniform(24, -5, 5, 903);
    const yr = uniform(24, 0, 1, 904);
    expectClose(ref.bceFromLogitsGradExact(zr, yr), ref.bceFromLogitsGrad(zr, yr), { atol: 1e-15, rtol: 1e-12 });
  });

  it('probabilities: -(y log(q + eps) + (1 - y) log(1 - q + eps)) with the float32 bounds', () => {
    expect(ref.TF_ONE_MINUS_EPS32).toBe(1 - 2 ** -23);
    const p = uniform(24, 0.01, 0.99, 905);
    const y = uniform(24, 0, 1, 906);
    const eps = ref.TF_EPS32;
    let want = 0;
    for (let i = 0; i < 24; i++) want -= y[i] * Math.log(p[i] + eps) + (1 - y[i]) * Math.log(1 - p[i] + eps);
    expectClose([ref.bceTfProbs(p, y)], [want / 24], { atol: 0, rtol: 1e-13, label: 'seed 905' });
    expectClose(
      ref.bceTfProbsGrad(p, y),
      numericGrad((v) => ref.bceTfProbs(v, y), p),
      { ...GC, label: 'seed 905 fd' },
    );
    // p = 1 with y = 0 costs -log(2^-23 + eps) = 15.33 (not -log(2e-7) = 15.42 of the float64 bound).
    const pOne = ref.bceTfProbs(Float64Array.of(1), Float64Array.of(0));
    expectClose([pOne], [-Math.log(2 ** -23 + eps)], { atol: 0, rtol: 1e-14 });
  });

  it('probabilities saturated in float32 (sigmoid of z = +-20, +-40, +-110): clipped, zero gradient', () => {
    const p = zs.map((z) => Math.fround(ref.activate(z, 'sigmoid')));
    expect(Array.from(p.filter((_, i) => zs[i] === 20 || zs[i] === 110))).toEqual([1, 1, 1, 1]);
    expect(Array.from(p.filter((_, i) => zs[i] === -110))).toEqual([0, 0]);
    expect(Array.from(ref.bceTfProbsGrad(p, ys)).every((g) => g === 0)).toBe(true);
    // A step of 1e-10 stays outside [eps, 1 - eps]: the loss is flat there.
    const fd = numericGrad((v) => ref.bceTfProbs(v, ys), p, 1e-10);
    expect(Array.from(fd).every((g) => g === 0)).toBe(true);
    // Where the logits branch charges |z| (or nothing), the clipped one charges at most 15.4.
    for (let i = 0; i < p.length; i++) {
      const probs = ref.bceTfProbs(p.subarray(i, i + 1), ys.subarray(i, i + 1));
      expect(probs).toBeLessThan(15.43);
    }
  });
});

describe('sum / mean', () => {
  const x = arange(6); // [2,3]: 1 2 3 / 4 5 6
  it('sum over axes of [2,3]', () => {
    expect(ref.sum(x, [2, 3], [0])).toEqual({ y: Float64Array.of(5, 7, 9), shape: [3] });
    expect(ref.sum(x, [2, 3], [1])).toEqual({ y: Float64Array.of(6, 15), shape: [2] });
    expect(ref.sum(x, [2, 3], [-1])).toEqual({ y: Float64Array.of(6, 15), shape: [2] });
    expect(ref.sum(x, [2, 3])).toEqual({ y: Float64Array.of(21), shape: [] });
    expect(ref.sum(x, [2, 3], [])).toEqual({ y: Float64Array.of(21), shape: [] });
    expect(ref.sum(x, [2, 3], [0, 1])).toEqual({ y: Float64Array.of(21), shape: [] });
  });

  it('sum over axes 0 and 2 of [2,3,4]', () => {
    // x[i,j,k] = 12i + 4j + k; summing i (2) and k (4) gives 60 + 32j.
    const r = ref.sum(arange(24, 0), [2, 3, 4], [0, 2]);
    expect(r).toEqual({ y: Float64Array.of(60, 92, 124), shape: [3] });
  });

  it('mean', () => {
    expect(ref.mean(x, [2, 3], [0])).toEqual({ y: Float64Array.of(2.5, 3.5, 4.5), shape: [3] });
    expect(ref.mean(x, [2, 3], [1])).toEqual({ y: Float64Array.of(2, 5), shape: [2] });
    expect(ref.mean(x, [2, 3])).toEqual({ y: Float64Array.of(3.5), shape: [] });
  });
});

describe('broadcastBinary / sumTo', () => {
  it('[2,3] + [3]', () => {
    const r = ref.broadcastBinary('add', arange(6), [2, 3], Float64Array.of(10, 20, 30), [3]);
    expect(r).toEqual({ y: Float64Array.of(11, 22, 33, 14, 25, 36), shape: [2, 3] });
  });

  it('[2,1,3] * [4,1] -> [2,4,3]', () => {
    const r = ref.broadcastBinary('mul', arange(6), [2, 1, 3], arange(4), [4, 1]);
    expect(r.shape).toEqual([2, 4, 3]);
    expect(Array.from(r.y)).toEqual([1, 2, 3, 2, 4, 6, 3, 6, 9, 4, 8, 12, 4, 5, 6, 8, 10, 12, 12, 15, 18, 16, 20, 24]);
  });

  it('sub, div, max, min; operand order kept', () => {
    const a = Float64Array.of(1, 5, 3, 2); // [2,2]
    const bb = (op: string, p: Float64Array, ps: number[], q: Float64Array, qs: number[]): number[] =>
      Array.from(ref.broadcastBinary(op, p, ps, q, qs).y);
    expect(bb('sub', a, [2, 2], Float64Array.of(1), [1])).toEqual([0, 4, 2, 1]);
    expect(bb('sub', Float64Array.of(10), [], a, [2, 2])).toEqual([9, 5, 7, 8]);
    expect(bb('div', a, [2, 2], Float64Array.of(2, 4), [2, 1])).toEqual([0.5, 2.5, 0.75, 0.5]);
    const m = Float64Array.of(2, 4); // [2,1] against [2] -> [2,2]
    expect(bb('max', m, [2, 1], Float64Array.of(3, 1), [2])).toEqual([3, 2, 4, 4]);
    expect(bb('min', m, [2, 1], Float64Array.of(3, 1), [2])).toEqual([2, 1, 3, 1]);
  });

  it('rejects incompatible shapes and unknown ops', () => {
    expect(() => ref.broadcastBinary('add', arange(6), [2, 3], arange(2), [2])).toThrow(/broadcast/);
    expect(() => ref.broadcastBinary('pow', arange(2), [2], arange(2), [2])).toThrow(/unknown op/);
  });

  it('sumTo hand cases', () => {
    const ones = new Float64Array(24).fill(1);
    expect(Array.from(ref.sumTo(ones, [2, 4, 3], [4, 1]))).toEqual([6, 6, 6, 6]);
    expect(Array.from(ref.sumTo(ones, [2, 4, 3], [2, 1, 3]))).toEqual([4, 4, 4, 4, 4, 4]);
    expect(Array.from(ref.sumTo(ones, [2, 4, 3], [3]))).toEqual([8, 8, 8]);
    expect(Array.from(ref.sumTo(ones, [2, 4, 3], []))).toEqual([24]);
    const g = arange(6, 0); // [2,3]: 0 1 2 / 3 4 5
    expect(Array.from(ref.sumTo(g, [2, 3], [3]))).toEqual([3, 5, 7]);
    expect(Array.from(ref.sumTo(g, [2, 3], [2, 1]))).toEqual([3, 12]);
    expect(Array.from(ref.sumTo(g, [2, 3], [2, 3]))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  // sumTo is the adjoint of broadcasting: it must turn the broadcast-shape gradient of mul and
  // div into the gradient of each operand.
  it.each(['mul', 'div'])('sumTo gives %s operand gradients (seed 1000 [2,1,3] . [4,1])', (op) => {
    const aS = [2, 1, 3],
      bS = [4, 1],
      outS = [2, 4, 3];
    const a = uniform(6, -1, 1, 1000);
    const b = uniform(4, 0.5, 2, 1001); // away from 0 for div
    const R = uniform(24, -1, 1, 1002);
    const f = (aa: Float64Array, bb: Float64Array): number => dot(ref.broadcastBinary(op, aa, aS, bb, bS).y, R);
    const y = ref.broadcastBinary(op, a, aS, b, bS).y;
    // mul: da = R b, db = R a. div: da = R / b, db = -R a / b^2 = -R y / b.
    const ga = ref.broadcastBinary(op, R, outS, b, bS).y;
    const gbFull =
      op === 'mul'
        ? ref.broadcastBinary('mul', R, outS, a, aS).y
        : ref.broadcastBinary(
            'div',
            R.map((r, i) => -r * y[i]),
            outS,
            b,
            bS,
          ).y;
    const label = `seed 1000 ${op} [2,1,3].[4,1]`;
    const na = numericGrad((v) => f(v, b), a);
    const nb = numericGrad((v) => f(a, v), b);
    expectClose(ref.sumTo(ga, outS, aS), na, { ...GC, label: `${label} da` });
    expectClose(ref.sumTo(gbFull, outS, bS), nb, { ...GC, label: `${label} db` });
  });
});
