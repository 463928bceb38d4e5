// Float64 CPU reference of every op: the test oracle for the GPU kernels.
// Deliberately naive: plain loops over row-major Float64Arrays, written from the maths, never
// derived from the GPU code, so that a shared misreading cannot make both sides agree.

export type Padding = 'same' | 'valid';
export type Activation = 'linear' | 'relu' | 'sigmoid';

// TensorFlow's padding rule: valid: out = ceil((n - k + 1) / s), pad 0. same: out = ceil(n / s),
// total pad = max((out - 1) * s + k - n, 0), top/left = floor(total / 2), the odd extra at
// bottom/right.
export function padInfo(n: number, k: number, s: number, padding: Padding): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.max(Math.ceil((n - k + 1) / s), 0), before: 0 };
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return { out, before: Math.floor(total / 2) };
}

export function activate(v: number, act: Activation): number {
  if (act === 'relu') return Math.max(v, 0);
  // exp(-v) overflows to Infinity for v < -709, which still gives the right limit 0.
  if (act === 'sigmoid') return 1 / (1 + Math.exp(-v));
  return v;
}

function size(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// Row-major strides: strides[i] = product of shape[i+1..].
function stridesOf(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

interface ConvGeom {
  N: number;
  H: number;
  W: number;
  CI: number;
  KH: number;
  KW: number;
  CO: number;
  OH: number;
  OW: number;
  sh: number;
  sw: number;
  padT: number;
  padL: number;
}

// x: NHWC [N,H,W,CI], w: HWIO [KH,KW,CI,CO]. Output cell (oh, ow) reads input rows
// oh*sh - padT + kh and cols ow*sw - padL + kw; cells outside [0,H) x [0,W) are zero padding.
function convGeom(xShape: number[], wShape: number[], strides: [number, number], padding: Padding): ConvGeom {
  const [N, H, W, CI] = xShape;
  const [KH, KW, CIw, CO] = wShape;
  if (CI !== CIw) throw new Error(`conv2d: x has ${CI} channels but w expects ${CIw}`);
  const [sh, sw] = strides;
  const ph = padInfo(H, KH, sh, padding);
  const pw = padInfo(W, KW, sw, padding);
  return { N, H, W, CI, KH, KW, CO, OH: ph.out, OW: pw.out, sh, sw, padT: ph.before, padL: pw.before };
}

/**
 * Visits every output element (n, oh, ow, co) of a convolution, and for each the taps that feed
 * it, in (kh, kw, ci) order: `tap(yi, xi, wi)` with flat NHWC / HWIO indices. Taps that fall in
 * the zero padding are skipped. `out(yi, co)` runs before an output's taps.
 */
function forEachTap(
  g: ConvGeom,
  out: (yi: number, co: number) => void,
  tap: (yi: number, xi: number, wi: number) => void,
): void {
  for (let n = 0; n < g.N; n++)
    for (let oh = 0; oh < g.OH; oh++)
      for (let ow = 0; ow < g.OW; ow++) {
        for (let co = 0; co < g.CO; co++) {
          const yi = ((n * g.OH + oh) * g.OW + ow) * g.CO + co;
          out(yi, co);
          for (let kh = 0; kh < g.KH; kh++) {
            const ih = oh * g.sh - g.padT + kh;
            if (ih < 0 || ih >= g.H) continue;
            for (let kw = 0; kw < g.KW; kw++) {
              const iw = ow * g.sw - g.padL + kw;
              if (iw < 0 || iw >= g.W) continue;
              for (let ci = 0; ci < g.CI; ci++) {
                tap(yi, ((n * g.H + ih) * g.W + iw) * g.CI + ci, ((kh * g.KW + kw) * g.CI + ci) * g.CO + co);
              }
            }
          }
        }
      }
}

// y[n,oh,ow,co] = act(b[co] + sum_{kh,kw,ci} x[n, oh*sh-padT+kh, ow*sw-padL+kw, ci] * w[kh,kw,ci,co])
// Cross-correlation: the kernel is not flipped.
export function conv2dForward(
  x: Float64Array,
  xShape: number[],
  w: Float64Array,
  wShape: number[],
  b: Float64Array | null,
  strides: [number, number],
  padding: Padding,
  act: Activation,
): { y: Float64Array; shape: number[] } {
  const g = convGeom(xShape, wShape, strides, padding);
  const y = new Float64Array(g.N * g.OH * g.OW * g.CO);
  forEachTap(
    g,
    (yi, co) => {
      y[yi] = b ? b[co] : 0;
    },
    (yi, xi, wi) => {
      y[yi] += x[xi] * w[wi];
    },
  );
  for (let i = 0; i < y.length; i++) y[i] = activate(y[i], act);
  return { y, shape: [g.N, g.OH, g.OW, g.CO] };
}

// The forward's taps, scattering instead of gathering: every product x[n,ih,iw,ci] * w[kh,kw,ci,co]
// that fed y[n,oh,ow,co] sends dy times the other factor back. db[co] = sum over n, oh, ow of dy.
export function conv2dBackward(
  x: Float64Array,
  xShape: number[],
  w: Float64Array,
  wShape: number[],
  dy: Float64Array,
  strides: [number, number],
  padding: Padding,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const g = convGeom(xShape, wShape, strides, padding);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(g.CO);
  forEachTap(
    g,
    (yi, co) => {
      db[co] += dy[yi];
    },
    (yi, xi, wi) => {
      dx[xi] += dy[yi] * w[wi];
      dw[wi] += dy[yi] * x[xi];
    },
  );
  return { dx, dw, db };
}

// For output cell (n,oh,ow,c), the flat index into x of the window's maximum. The window covers
// rows oh*sh-padT .. +PH-1 and cols ow*sw-padL .. +PW-1; padded cells are skipped (TF pads with
// -inf, so they never win). Scan is row-major over the window and only a strictly greater value
// replaces the best, so on ties the first cell in scan order wins. TF's padding rule guarantees
// every window holds at least one real cell.
function poolArgmax(
  x: Float64Array,
  H: number,
  W: number,
  C: number,
  n: number,
  c: number,
  r0: number,
  c0: number,
  PH: number,
  PW: number,
): number {
  let best = -1;
  let bestV = -Infinity;
  for (let ph = 0; ph < PH; ph++) {
    const ih = r0 + ph;
    if (ih < 0 || ih >= H) continue;
    for (let pw = 0; pw < PW; pw++) {
      const iw = c0 + pw;
      if (iw < 0 || iw >= W) continue;
      const i = ((n * H + ih) * W + iw) * C + c;
      if (best < 0 || x[i] > bestV) {
        best = i;
        bestV = x[i];
      }
    }
  }
  return best;
}

// Visits every output cell of a max pool (NHWC) with its flat output index and the flat input
// index of the window's winner.
function forEachPoolWinner(
  x: Float64Array,
  xShape: number[],
  pool: [number, number],
  strides: [number, number],
  padding: Padding,
  visit: (yi: number, xi: number) => void,
): number[] {
  const [N, H, W, C] = xShape;
  const ph = padInfo(H, pool[0], strides[0], padding);
  const pw = padInfo(W, pool[1], strides[1], padding);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < ph.out; oh++)
      for (let ow = 0; ow < pw.out; ow++) {
        for (let c = 0; c < C; c++) {
          const xi = poolArgmax(
            x,
            H,
            W,
            C,
            n,
            c,
            oh * strides[0] - ph.before,
            ow * strides[1] - pw.before,
            pool[0],
            pool[1],
          );
          visit(((n * ph.out + oh) * pw.out + ow) * C + c, xi);
        }
      }
  return [N, ph.out, pw.out, C];
}

export function maxPool2dForward(
  x: Float64Array,
  xShape: number[],
  pool: [number, number],
  strides: [number, number],
  padding: Padding,
): { y: Float64Array; shape: number[] } {
  const [N, H, W, C] = xShape;
  const oh = padInfo(H, pool[0], strides[0], padding).out;
  const ow = padInfo(W, pool[1], strides[1], padding).out;
  const y = new Float64Array(N * oh * ow * C);
  const shape = forEachPoolWinner(x, xShape, pool, strides, padding, (yi, xi) => {
    y[yi] = x[xi];
  });
  return { y, shape };
}

// The winner of each window gets that window's whole dy; overlapping windows (stride < pool)
// accumulate into the same dx cell.
export function maxPool2dBackward(
  x: Float64Array,
  xShape: number[],
  dy: Float64Array,
  pool: [number, number],
  strides: [number, number],
  padding: Padding,
): Float64Array {
  const dx = new Float64Array(x.length);
  forEachPoolWinner(x, xShape, pool, strides, padding, (yi, xi) => {
    dx[xi] += dy[yi];
  });
  return dx;
}

// C[m,n] = sum_k op(A)[m,k] * op(B)[k,n].
// op(A)[m,k] = transA ? A[k*M + m] (A stored [K,M]) : A[m*K + k] (A stored [M,K]).
// op(B)[k,n] = transB ? B[n*K + k] (B stored [N,K]) : B[k*N + n] (B stored [K,N]).
export function matmul(
  a: Float64Array,
  b: Float64Array,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + m] : a[m * K + k];
        const bv = transB ? b[n * K + k] : b[k * N + n];
        acc += av * bv;
      }
      c[m * N + n] = acc;
    }
  return c;
}

// y[m,n] = act(sum_k x[m,k] * w[k,n] + b[n]); x [M,K], w [K,N], b [N].
export function denseForward(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array | null,
  M: number,
  K: number,
  N: number,
  act: Activation,
): Float64Array {
  const y = matmul(x, w, M, K, N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      y[m * N + n] = activate(y[m * N + n] + (b ? b[n] : 0), act);
    }
  return y;
}

// pre = x·w + b: dx = dPre·wᵀ [M,K], dw = xᵀ·dPre [K,N], db[n] = sum_m dPre[m,n].
export function denseBackward(
  x: Float64Array,
  w: Float64Array,
  dPre: Float64Array,
  M: number,
  K: number,
  N: number,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = matmul(dPre, w, M, N, K, false, true);
  const dw = matmul(x, dPre, K, M, N, true, false);
  const db = new Float64Array(N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) db[n] += dPre[m * N + n];
  return { dx, dw, db };
}

// Written in terms of the OUTPUT y: relu' = [y > 0] (0 at the kink, as TF), sigmoid' = y (1 - y).
export function activationBackward(y: Float64Array, dy: Float64Array, act: Activation): Float64Array {
  const d = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    if (act === 'relu') d[i] = y[i] > 0 ? dy[i] : 0;
    else if (act === 'sigmoid') d[i] = dy[i] * y[i] * (1 - y[i]);
    else d[i] = dy[i];
  }
  return d;
}

// Inverted dropout: kept units are scaled by 1 / (1 - rate) so the expectation is unchanged.
export function dropoutForward(x: Float64Array, keep: Float64Array, rate: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = (x[i] * keep[i]) / (1 - rate);
  return y;
}

export function dropoutBackward(dy: Float64Array, keep: Float64Array, rate: number): Float64Array {
  return dropoutForward(dy, keep, rate);
}

const BCE_EPS = 1e-7;

// Stable sigmoid cross-entropy of one logit: max(z,0) - z*y + log(1 + exp(-|z|)).
// log1p is the same maths as log(1 + .), just accurate when exp(-|z|) is tiny.
function bceLogit(z: number, y: number): number {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
}

// Keras 2.2/2.3 (TF backend) binary_crossentropy on probabilities: clip p to [eps, 1-eps],
// turn it back into a logit z = log(p / (1 - p)), then the logit formula; mean over all elements.
export function bceFromProbs(p: Float64Array, y: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    const pc = Math.min(Math.max(p[i], BCE_EPS), 1 - BCE_EPS);
    acc += bceLogit(Math.log(pc / (1 - pc)), y[i]);
  }
  return acc / p.length;
}

// d/dz of the logit loss is sigmoid(z) - y = p - y, and dz/dp = 1 / (p (1 - p)). Where the clip
// was active (p < eps or p > 1 - eps) the loss no longer depends on p, so the gradient is 0.
export function bceFromProbsGrad(p: Float64Array, y: Float64Array): Float64Array {
  const g = new Float64Array(p.length);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const pi = p[i];
    if (pi < BCE_EPS || pi > 1 - BCE_EPS) continue;
    g[i] = (pi - y[i]) / (pi * (1 - pi)) / n;
  }
  return g;
}

export function bceFromLogits(z: Float64Array, y: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < z.length; i++) acc += bceLogit(z[i], y[i]);
  return acc / z.length;
}

export function bceFromLogitsGrad(z: Float64Array, y: Float64Array): Float64Array {
  const g = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) g[i] = (activate(z[i], 'sigmoid') - y[i]) / z.length;
  return g;
}

// sigmoid(z) - y written as (1 - y) sigmoid(z) - y sigmoid(-z) (the same number, since
// sigmoid(z) = 1 - sigmoid(-z)): each term is a product of exact factors, so for a saturated z
// the tiny result (y = 1, z = 40: -4.2e-18) is not lost to 1 - 1 = 0.
export function bceFromLogitsGradExact(z: Float64Array, y: Float64Array): Float64Array {
  const g = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    const up = activate(z[i], 'sigmoid');
    const down = activate(-z[i], 'sigmoid');
    g[i] = ((1 - y[i]) * up - y[i] * down) / z.length;
  }
  return g;
}

// TF 1.15 / 2.0 tf.keras.backend.binary_crossentropy on probabilities (the branch for an output
// not produced by a sigmoid): q = clip(p, eps, 1 - eps), loss = -(y log(q + eps) + (1 - y)
// log(1 - q + eps)), averaged. TF works in float32, so by default the bounds are the float32
// numbers it uses: eps = f32(1e-7) and 1 - eps rounded to f32 (1 - 2^-23, not 1 - 1e-7).
export const TF_EPS32 = Math.fround(1e-7);
export const TF_ONE_MINUS_EPS32 = Math.fround(1 - TF_EPS32);

export function bceTfProbs(p: Float64Array, y: Float64Array, eps = TF_EPS32, hi = TF_ONE_MINUS_EPS32): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i], eps), hi);
    acc -= y[i] * Math.log(q + eps) + (1 - y[i]) * Math.log(1 - q + eps);
  }
  return acc / p.length;
}

// Inside the clip d/dp = (1 - y) / (1 - p + eps) - y / (p + eps); outside it (p < eps, p > hi)
// the loss no longer depends on p: 0. At a bound itself TF's min/max pass the gradient through.
export function bceTfProbsGrad(
  p: Float64Array,
  y: Float64Array,
  eps = TF_EPS32,
  hi = TF_ONE_MINUS_EPS32,
): Float64Array {
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v < eps || v > hi) continue;
    g[i] = ((1 - y[i]) / (1 - v + eps) - y[i] / (v + eps)) / p.length;
  }
  return g;
}

// Splits flat index f of shape `big` (row-major strides bigStr) into its multi-index and
// recombines it with strides bs: 0 on an axis drops it (reduced or broadcast).
function mapIndex(f: number, big: number[], bigStr: number[], bs: number[]): number {
  let o = 0;
  for (let d = 0; d < big.length; d++) o += (Math.floor(f / bigStr[d]) % big[d]) * bs[d];
  return o;
}

function normAxes(axes: number[] | undefined, rank: number): Set<number> {
  if (!axes || axes.length === 0) return new Set(Array.from({ length: rank }, (_, i) => i));
  return new Set(axes.map((a) => (a < 0 ? a + rank : a)));
}

// Each input element adds into the output element whose multi-index is the input's with the
// reduced axes removed; out strides are those of the kept shape, 0 on the reduced axes.
export function sum(x: Float64Array, shape: number[], axes?: number[]): { y: Float64Array; shape: number[] } {
  const red = normAxes(axes, shape.length);
  const outShape = shape.filter((_, i) => !red.has(i));
  const outStr = stridesOf(outShape);
  const str = new Array<number>(shape.length);
  for (let i = 0, j = 0; i < shape.length; i++) str[i] = red.has(i) ? 0 : outStr[j++];
  const y = new Float64Array(size(outShape));
  const inStr = stridesOf(shape);
  for (let f = 0; f < x.length; f++) y[mapIndex(f, shape, inStr, str)] += x[f];
  return { y, shape: outShape };
}

export function mean(x: Float64Array, shape: number[], axes?: number[]): { y: Float64Array; shape: number[] } {
  const r = sum(x, shape, axes);
  const count = size(shape) / size(r.shape);
  for (let i = 0; i < r.y.length; i++) r.y[i] /= count;
  return r;
}

// NumPy rule: align shapes on the right; each pair of dims must be equal or one of them 1.
function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`cannot broadcast [${a}] with [${b}]`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

// Strides of `shape` seen from a broadcast shape of rank `rank`: 0 on the missing leading axes and
// on the size-1 axes, so a flat index into the big shape maps to the small operand's element.
function broadcastStrides(shape: number[], rank: number): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) out[rank - shape.length + i] = shape[i] === 1 ? 0 : st[i];
  return out;
}

// The elementwise maps of the engine's op table (src/kernels/elementwise_table.ts points each
// record at its map here): unary f(v, alpha), alpha being the scalar of the scalar ops, and binary
// g(x, y) of the two operands' elements.
export const unary = {
  copy: (v: number) => v,
  relu: (v: number) => activate(v, 'relu'),
  sigmoid: (v: number) => activate(v, 'sigmoid'),
  neg: (v: number) => -v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  square: (v: number) => v * v,
  abs: Math.abs,
  scale: (v: number, alpha: number) => v * alpha,
  addScalar: (v: number, alpha: number) => v + alpha,
  fill: (_v: number, alpha: number) => alpha,
  reciprocal: (v: number) => 1 / v,
  tanh: Math.tanh,
  sign: Math.sign,
} satisfies Record<string, (v: number, alpha: number) => number>;

export const binary = {
  add: (x: number, y: number) => x + y,
  sub: (x: number, y: number) => x - y,
  mul: (x: number, y: number) => x * y,
  div: (x: number, y: number) => x / y,
  max: Math.max,
  min: Math.min,
  // The backward of relu and of sigmoid from their output y (activationBackward, per element).
  reluGrad: (g: number, y: number) => (y > 0 ? g : 0),
  sigmoidGrad: (g: number, y: number) => g * y * (1 - y),
  // x stretched to the output shape (y is only its shape).
  left: (x: number) => x,
  // Keras binary_accuracy of a 0/1 target and a probability: equal(target, round(p)), where
  // round is half-to-even, so p = 0.5 counts as class 0.
  accHit: (target: number, p: number) => (target === (p > 0.5 ? 1 : 0) ? 1 : 0),
} satisfies Record<string, (x: number, y: number) => number>;

export function broadcastBinary(
  op: string,
  a: Float64Array,
  aShape: number[],
  b: Float64Array,
  bShape: number[],
): { y: Float64Array; shape: number[] } {
  const fn = (binary as Record<string, (x: number, y: number) => number>)[op];
  if (!fn) throw new Error(`broadcastBinary: unknown op '${op}'`);
  const shape = broadcastShape(aShape, bShape);
  const str = stridesOf(shape);
  const as = broadcastStrides(aShape, shape.length);
  const bs = broadcastStrides(bShape, shape.length);
  const y = new Float64Array(size(shape));
  for (let f = 0; f < y.length; f++) {
    y[f] = fn(a[mapIndex(f, shape, str, as)], b[mapIndex(f, shape, str, bs)]);
  }
  return { y, shape };
}

// Adjoint of broadcasting `shape` up to gShape: each element of g adds into the element of the
// small shape it was copied from (leading axes and size-1 axes are summed away).
export function sumTo(g: Float64Array, gShape: number[], shape: number[]): Float64Array {
  if (broadcastShape(gShape, shape).join(',') !== gShape.join(',')) {
    throw new Error(`sumTo: [${shape}] does not broadcast to [${gShape}]`);
  }
  const out = new Float64Array(size(shape));
  const str = stridesOf(gShape);
  const ss = broadcastStrides(shape, gShape.length);
  for (let f = 0; f < g.length; f++) out[mapIndex(f, gShape, str, ss)] += g[f];
  return out;
}
