// The Winograd variants ('wino' F(2x2, 3x3), 'wino4' F(4x4, 3x3); src/kernels/winograd.ts) against
// the float64 reference: forwards, input gradients and weight gradients on odd, even and tiny spatial sizes
// (partial tiles), batch 1 to 3, channel counts around the texel and 8x8-block sizes, 'same' and
// 'valid', bias and fused activations; the error relative to the output's rms on VGG-like
// magnitudes; plus the host version of the algorithm (matrices, tiling, padding, the input
// gradient's rotated kernel) on the CPU, and the variants' legality.
import { afterEach, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { noGrad } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import { conv2dBackwardInput, conv2dBackwardWeight } from '../../src/kernels/conv.js';
import type { ConvGeometry, ConvOp, ConvVariant } from '../../src/kernels/conv_types.js';
import { adapterFacts, convPlan, hasSgShare, setConvVariant } from '../../src/kernels/plan_context.js';
import { legalVariants as legalOn, winogradGeometry } from '../../src/kernels/plan_legal.js';
import { resetTuningCache } from '../../src/kernels/tuning.js';
import { planWinograd, type WinoTile, winogradHost } from '../../src/kernels/winograd.js';
import type { Padding } from '../../src/tensor/shape.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, maxAbsDiff, sumScale } from '../helpers/allclose.js';
import { openGpu } from '../helpers/gpu.js';
import { f32, uniform } from '../helpers/random.js';
import { skipNote } from '../helpers/skip.js';
import { nextSeed, randomPair, read64, upload } from '../helpers/tensors.js';
import type { Conv3x3Case } from '../helpers/conv_case.js';

await openGpu();
afterEach(() => setConvVariant(null));
const legalVariants = (op: ConvOp, g: ConvGeometry) => legalOn(op, g, adapterFacts());
const convVariant = (op: ConvOp, g: ConvGeometry) => convPlan(op, g).variant;

// The wino kernels need the sg share (subgroups of 8 to 64 lanes); elsewhere the variant falls
// back to tex, so the GPU cases below would check nothing: they are reported as skipped instead.
// (test/ops/sg_lanes.test.ts runs them with every lane count emulated.)
const SG8 = hasSgShare();
const NO_SG8 =
  "this adapter has no subgroups of 8 to 64 lanes (feature 'subgroups', subgroupMinSize 8-64, " +
  'subgroupMaxSize <= 64), which the wino kernels need';

// Per variant, as the direct kernels' tests for wino. Winograd's f32 error is larger than the
// direct kernels' (the transforms add and scale before the products, and M_e mixes positive and
// negative terms), F(4x4)'s more so (B^T's 5s and A^T's 8s, G's 1/6 and 1/24); the measured
// worst cases are reported after the cases and must stay well inside this: at most WELL_INSIDE
// of it.
const WINO_VARIANTS = ['wino', 'wino4'] as const;
type WinoVariant = (typeof WINO_VARIANTS)[number];
const TOL: Record<WinoVariant, { atol: number; rtol: number }> = {
  wino: { atol: 2e-4, rtol: 1e-3 },
  wino4: { atol: 4e-4, rtol: 2e-3 },
};
const WELL_INSIDE = 0.5;

type Case = Conv3x3Case;
const CASES: Case[] = [
  { x: [1, 7, 7, 4], co: 4, pad: 'same', act: 'linear', bias: false },
  { x: [3, 9, 9, 8], co: 12, pad: 'same', act: 'relu', bias: true },
  { x: [1, 9, 7, 4], co: 12, pad: 'valid', act: 'sigmoid', bias: true },
  { x: [3, 7, 9, 8], co: 4, pad: 'valid', act: 'linear', bias: true },
  { x: [1, 37, 37, 64], co: 64, pad: 'same', act: 'relu', bias: true },
  { x: [3, 37, 37, 8], co: 64, pad: 'valid', act: 'relu', bias: false },
  { x: [1, 8, 10, 64], co: 12, pad: 'same', act: 'sigmoid', bias: true },
  { x: [2, 6, 11, 12], co: 8, pad: 'valid', act: 'relu', bias: true },
  { x: [3, 3, 3, 4], co: 4, pad: 'valid', act: 'linear', bias: true },
  { x: [1, 1, 1, 4], co: 8, pad: 'same', act: 'relu', bias: true },
  { x: [1, 2, 5, 12], co: 4, pad: 'same', act: 'linear', bias: false },
  // RGB: the forward pads the channels to 4 and runs Winograd on that.
  { x: [3, 9, 9, 3], co: 8, pad: 'same', act: 'relu', bias: true },
];

// The weight gradient's slab products run on sg's weight kernel: 8-channel row blocks.
const WEIGHT_CASES = CASES.filter((c) => c.x[3] % 8 === 0);

/** Per variant and case: the largest |gpu - ref| / (atol + rtol |ref|), i.e. the share of TOL used. */
const worst: { variant: string; label: string; used: number; line: string }[] = [];

/**
 * Compares `got` with the float64 `want` under the variant's tolerance and records the share
 * used; `scale` as CloseOptions.scale (the weight gradients' long sums).
 */
function measure(
  variant: WinoVariant,
  label: string,
  got: Float64Array,
  want: Float64Array,
  scale?: Float64Array,
): void {
  const tol = TOL[variant];
  expectClose(got, want, { ...tol, label, scale });
  let rel = 0;
  let used = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    rel = Math.max(rel, err / (1e-3 + Math.abs(want[i])));
    used = Math.max(used, err / (tol.atol + tol.rtol * Math.max(Math.abs(want[i]), scale?.[i] ?? 0)));
  }
  worst.push({
    variant,
    label,
    used,
    line:
      `${label}: max abs ${maxAbsDiff(got, want).toExponential(2)}, ` +
      `max rel ${rel.toExponential(2)}, ${(100 * used).toFixed(1)}% of the tolerance`,
  });
}

/** Each transform and the batched product ran once, and no direct kernel of `op`. */
function expectWinogradRan(op: ConvOp): void {
  const counts = dispatcher().counts;
  if (op === 'backward_weight') {
    // x's and dz's transforms, the slab products on sg's weight kernel, dw's transform.
    for (const k of ['conv2d_winograd_input', 'conv2d_winograd_grad', 'conv2d_winograd_weight_grad']) {
      expect(counts.get(k), k).toBe(1);
    }
    expect(counts.get('conv2d_backward_weight_sg')).toBe(1);
    expect(counts.get('conv2d_winograd_gemm')).toBeUndefined();
    return;
  }
  for (const k of ['weight', 'input', 'gemm', 'output']) {
    expect(counts.get(`conv2d_winograd_${k}`), k).toBe(1);
  }
  expect(counts.get(op === 'forward' ? 'conv2d_forward_sg' : 'conv2d_backward_input_sg')).toBeUndefined();
}

/** What a kernel launcher makes for `c`'s geometry on the variant in force, read back. */
async function launched(c: Case, run: (g: ConvGeometry) => Tensor): Promise<Float64Array> {
  const t = run(conv2dGeometry(c.x, [3, 3, c.x[3], c.co], { padding: c.pad }));
  const out = await read64(t);
  t.dispose();
  return out;
}

/** The weight gradient of `c`: dw from x and dz. */
const backwardWeight = (c: Case, x: Tensor, dz: Tensor) => launched(c, (g) => conv2dBackwardWeight(x, dz, g));

/** The input gradient of `c`: dx from dz and w. */
const backwardInput = (c: Case, dz: Tensor, w: Tensor) => launched(c, (g) => conv2dBackwardInput(dz, w, g));

describe.skipIf(!SG8)(skipNote('conv2d, wino and wino4 variants', SG8, NO_SG8), () => {
  describe.each(WINO_VARIANTS)('%s', (variant) => {
    test.each(CASES)('forward x=$x co=$co $pad $act bias=$bias', async (c) => {
      setConvVariant(variant);
      const ci = c.x[3];
      const x = randomPair(c.x);
      const w = randomPair([3, 3, ci, c.co], -0.3, 0.3);
      const b = c.bias ? randomPair([c.co], -0.3, 0.3) : null;
      const label = `${variant} forward seeds ${x.seed},${w.seed},${b?.seed} x=[${c.x}] co=${c.co} ${c.pad} ${c.act} bias=${c.bias}`;
      dispatcher().resetCounts();
      const y = noGrad(() => conv2d(x.t, w.t, b?.t ?? null, { padding: c.pad, activation: c.act }));
      expectWinogradRan('forward');
      const fwd = ref.conv2dForward(x.host, c.x, w.host, [3, 3, ci, c.co], b?.host ?? null, [1, 1], c.pad, c.act);
      expect(y.shape).toEqual(fwd.shape);
      measure(variant, label, await read64(y), fwd.y);
      for (const t of [x.t, w.t, b?.t, y]) t?.dispose();
    });

    // The input gradient: against float64, and against the direct sg kernel on the same inputs.
    test.each(CASES.filter((c) => c.x[3] % 4 === 0))('backward-input x=$x co=$co $pad', async (c) => {
      const ci = c.x[3];
      const g = conv2dGeometry(c.x, [3, 3, ci, c.co], { padding: c.pad });
      const dz = randomPair([g.batch, g.OH, g.OW, g.CO]);
      const w = randomPair([3, 3, ci, c.co], -0.3, 0.3);
      const label = `${variant} backward-input seeds ${dz.seed},${w.seed} x=[${c.x}] co=${c.co} ${c.pad}`;
      setConvVariant(variant);
      expect(convPlan('backward_input', g).variant).toBe(variant);
      dispatcher().resetCounts();
      const got = await backwardInput(c, dz.t, w.t);
      expectWinogradRan('backward_input');
      const want = ref.conv2dBackward(
        new Float64Array(c.x.reduce((p, q) => p * q, 1)),
        c.x,
        w.host,
        [3, 3, ci, c.co],
        dz.host,
        [1, 1],
        c.pad,
      ).dx;
      measure(variant, label, got, want);
      setConvVariant('sg');
      const sg = await backwardInput(c, dz.t, w.t);
      expectClose(got, sg, { ...TOL[variant], label: `${label} vs sg` });
      for (const t of [dz.t, w.t]) t.dispose();
    });

    // The weight gradient (winograd_weight.ts): against float64, and against sg on the same inputs.
    test.each(WEIGHT_CASES)('backward-weight x=$x co=$co $pad', async (c) => {
      const ci = c.x[3];
      const g = conv2dGeometry(c.x, [3, 3, ci, c.co], { padding: c.pad });
      const x = randomPair(c.x);
      const dz = randomPair([g.batch, g.OH, g.OW, g.CO]);
      const label = `${variant} backward-weight seeds ${x.seed},${dz.seed} x=[${c.x}] co=${c.co} ${c.pad}`;
      setConvVariant(variant);
      expect(convPlan('backward_weight', g).variant).toBe(variant);
      dispatcher().resetCounts();
      const got = await backwardWeight(c, x.t, dz.t);
      expectWinogradRan('backward_weight');
      const zeros = new Float64Array(9 * ci * c.co);
      const dw = (xs: Float64Array, dzs: Float64Array) =>
        ref.conv2dBackward(xs, c.x, zeros, [3, 3, ci, c.co], dzs, [1, 1], c.pad).dw;
      const want = dw(x.host, dz.host);
      // Each dw element sums up to batch*OH*OW products; where they cancel, the error follows
      // their magnitudes (one run of 3x37x37x8 -> 64 used 52% of the bare tolerance on one).
      const scale = sumScale(dw(x.host.map(Math.abs), dz.host.map(Math.abs)));
      measure(variant, label, got, want, scale);
      setConvVariant('sg');
      const sg = await backwardWeight(c, x.t, dz.t);
      expectClose(got, sg, { ...TOL[variant], label: `${label} vs sg`, scale });
      for (const t of [x.t, dz.t]) t.dispose();
    });

    test(`report the measured error: every case measured, each well inside the tolerance (<= ${WELL_INSIDE})`, () => {
      const mine = worst.filter((w) => w.variant === variant);
      console.log(`${variant} vs float64 reference:\n  ${mine.map((w) => w.line).join('\n  ')}`);
      const cases = CASES.length + CASES.filter((c) => c.x[3] % 4 === 0).length + WEIGHT_CASES.length;
      expect(mine, 'one measurement per case (a case that ran nothing leaves none)').toHaveLength(cases);
      for (const w of mine) expect(w.used, w.label).toBeLessThanOrEqual(WELL_INSIDE);
    });
  });
});

// The error where it matters: VGG16-like layers (inputs as after a relu, Glorot-uniform weights,
// 64 to 512 channels), as the largest |gpu - float64| over the output's rms, forward, input
// gradient and weight gradient, next to the direct sg kernel's. The bounds (docs/lavapipe.md's variant table) are
// about 4x the worst measured (on lavapipe: sg 6.5e-6, wino 2.4e-6, wino4 3.6e-5, the larger
// errors with more channels).
// The weight gradients (winograd_weight.ts) stay inside the same bounds: on lavapipe sg 1.7e-6,
// wino 1.4e-6, wino4 1.2e-5 at worst.
const RMS_BOUND: Record<'sg' | WinoVariant, number> = { sg: 3e-5, wino: 1e-5, wino4: 1.5e-4 };
const VGG_LIKE: { x: [number, number, number, number]; co: number }[] = [
  { x: [1, 37, 37, 64], co: 64 },
  // 32 input channels, which take F(4x4) by default with many tiles (narrowWino4Pays).
  { x: [1, 20, 20, 32], co: 64 },
  { x: [1, 9, 9, 512], co: 512 },
];

describe.skipIf(!SG8)(skipNote('error over the output rms on VGG-like layers', SG8, NO_SG8), () => {
  const lines: string[] = [];
  const rms = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  test.each(VGG_LIKE)('x=$x co=$co', async (c) => {
    const ci = c.x[3];
    const g = conv2dGeometry(c.x, [3, 3, ci, c.co], { padding: 'same' });
    const limit = Math.sqrt(6 / (9 * ci + 9 * c.co));
    // Half zeros, half uniform in (0, 1): a relu's output.
    const relu = f32(
      uniform(
        c.x.reduce((p, q) => p * q, 1),
        -1,
        1,
        nextSeed(),
      ),
    ).map((v) => Math.max(v, 0));
    const w = randomPair([3, 3, ci, c.co], -limit, limit);
    const dz = randomPair([g.batch, g.OH, g.OW, g.CO], -1, 1);
    const fwd = ref.conv2dForward(relu, c.x, w.host, [3, 3, ci, c.co], null, [1, 1], 'same', 'linear').y;
    const grads = ref.conv2dBackward(relu, c.x, w.host, [3, 3, ci, c.co], dz.host, [1, 1], 'same');
    const dx = grads.dx;
    const xg = upload(relu, c.x);
    for (const variant of ['sg', ...WINO_VARIANTS] as const) {
      setConvVariant(variant);
      const y = noGrad(() => conv2d(xg, w.t, null, { padding: 'same' }));
      const ey = maxAbsDiff(await read64(y), fwd) / rms(fwd);
      y.dispose();
      const ex =
        maxAbsDiff(await backwardInput({ x: c.x, co: c.co, pad: 'same', act: 'linear', bias: false }, dz.t, w.t), dx) /
        rms(dx);
      const layer = { x: c.x, co: c.co, pad: 'same', act: 'linear', bias: false } as const;
      const ew = maxAbsDiff(await backwardWeight(layer, xg, dz.t), grads.dw) / rms(grads.dw);
      lines.push(
        `${variant} x=[${c.x}] co=${c.co}: forward ${ey.toExponential(2)}, backward-input ${ex.toExponential(2)}, ` +
          `backward-weight ${ew.toExponential(2)} of the rms`,
      );
      expect(ey, `${variant} forward x=[${c.x}]`).toBeLessThanOrEqual(RMS_BOUND[variant]);
      expect(ex, `${variant} backward-input x=[${c.x}]`).toBeLessThanOrEqual(RMS_BOUND[variant]);
      expect(ew, `${variant} backward-weight x=[${c.x}]`).toBeLessThanOrEqual(RMS_BOUND[variant]);
    }
    for (const t of [xg, w.t, dz.t]) t.dispose();
  });
  test('report', () => console.log(`max |error| / rms on VGG-like layers:\n  ${lines.join('\n  ')}`));
});

test.skipIf(!SG8)(
  skipNote(
    'wino and wino4 are legal for 3x3 stride-1 forwards and input gradients with texel-wide channels only; ' +
      'the default where they pay',
    SG8,
    NO_SG8,
  ),
  () => {
    const g = (x: number[], w: number[], s = 1) => conv2dGeometry(x, w, { strides: s, padding: 'same' });
    for (const op of ['forward', 'backward_input'] as const) {
      expect(legalVariants(op, g([1, 9, 9, 8], [3, 3, 8, 8]))).toEqual(expect.arrayContaining(['wino', 'wino4']));
      for (const [x, w, s] of [
        [[1, 9, 9, 8], [3, 3, 8, 8], 2],
        [[1, 9, 9, 8], [5, 5, 8, 8], 1],
        [[1, 9, 9, 8], [3, 3, 8, 6], 1],
        // Transformed operands past one storage binding: 16 (36) * T * 512 floats at 150x150, batch 8.
        [[8, 150, 150, 512], [3, 3, 512, 8], 1],
      ] as const) {
        const legal = legalVariants(op, g([...x], [...w], s));
        expect(legal, `${op} x=${x} w=${w} s=${s}`).not.toContain('wino');
        expect(legal, `${op} x=${x} w=${w} s=${s}`).not.toContain('wino4');
      }
    }
    // Weight gradients too, where sg's weight kernel runs the slab products (CI % 8 == 0).
    expect(legalVariants('backward_weight', g([1, 9, 9, 8], [3, 3, 8, 8]))).toEqual(
      expect.arrayContaining(['wino', 'wino4']),
    );
    expect(legalVariants('backward_weight', g([1, 9, 9, 4], [3, 3, 4, 8]))).not.toContain('wino');
    // Untuned (a tuning file overrides either way), software adapters take Winograd for big convs
    // with 64+ channels each way (VGG16's), F(4x4) where it has 100+ tiles, sg for small or thin
    // ones; the same for the input gradient. Weight gradients: F(4x4) from 64 tiles, F(2x2) from
    // 100 of its own.
    const saved = process.env.DAWNFLOW_TUNING;
    process.env.DAWNFLOW_TUNING = 'off';
    resetTuningCache();
    try {
      const software = adapterFacts().software;
      const expectDefault = (op: ConvOp, gg: ConvGeometry, v: ConvVariant) =>
        expect(convVariant(op, gg), `${op} ${JSON.stringify(gg)}`).toBe(software ? v : 'gemm');
      for (const op of ['forward', 'backward_input'] as const) {
        expectDefault(op, g([1, 9, 9, 8], [3, 3, 8, 8]), 'sg');
        expectDefault(op, g([1, 9, 9, 64], [3, 3, 64, 64]), 'sg');
        expectDefault(op, g([1, 9, 9, 512], [3, 3, 512, 512]), 'wino');
        expectDefault(op, g([4, 9, 9, 512], [3, 3, 512, 512]), 'wino');
        expectDefault(op, g([4, 18, 18, 512], [3, 3, 512, 512]), 'wino4');
        expectDefault(op, g([4, 37, 37, 256], [3, 3, 256, 256]), 'wino4');
        expectDefault(op, g([4, 150, 150, 64], [3, 3, 64, 64]), 'wino4');
        expectDefault(op, g([4, 75, 75, 64], [3, 3, 64, 128], 2), 'sg');
      }
      expectDefault('forward', g([4, 150, 150, 4], [3, 3, 4, 64]), 'sg');
      expectDefault('backward_weight', g([4, 150, 150, 64], [3, 3, 64, 64]), 'wino4');
      // F(2x2) from 100 of its tiles (VGG16's block 5 at 150x150, batch 4), sg below.
      expectDefault('backward_weight', g([4, 9, 9, 512], [3, 3, 512, 512]), 'wino');
      expectDefault('backward_weight', g([2, 9, 9, 512], [3, 3, 512, 512]), 'sg');
    } finally {
      if (saved === undefined) delete process.env.DAWNFLOW_TUNING;
      else process.env.DAWNFLOW_TUNING = saved;
      resetTuningCache();
    }
    // Forced where it does not apply: the next legal variant down (sg), not an error.
    for (const v of WINO_VARIANTS) {
      setConvVariant(v);
      expect(convVariant('forward', g([1, 9, 9, 8], [3, 3, 8, 8], 2))).toBe('sg');
      expect(convVariant('backward_input', g([1, 9, 9, 8], [3, 3, 8, 8], 2))).toBe('sg');
      expect(convVariant('backward_weight', g([1, 9, 9, 8], [3, 3, 8, 8], 2))).toBe('sg');
      expect(convVariant('backward_weight', g([1, 9, 9, 8], [5, 5, 8, 8]))).toBe('sg');
      expect(convVariant('backward_input', g([1, 9, 9, 8], [3, 3, 8, 8]))).toBe(v);
      expect(convVariant('backward_weight', g([1, 9, 9, 8], [3, 3, 8, 8]))).toBe(v);
    }
  },
);

const TILES: WinoTile[] = [2, 4];

describe.each(TILES)('host Winograd F(%ix%i, 3x3) (float64): matrices, tiles and padding', (tile) => {
  test('in 1-D: A^T[(G g) ⊙ (B^T d)] equals the correlation', () => {
    // A 1-row image with a kernel that is zero outside its middle row reduces to 1-D.
    const d = [0.3, -1.2, 2.5, 0.7, -0.4, 1.9].slice(0, tile + 2);
    const k = [0.5, -0.25, 1.5];
    const w = new Float64Array(9);
    k.forEach((v, i) => {
      w[3 + i] = v;
    });
    const g3 = conv2dGeometry([1, 3, tile + 2, 1], [3, 3, 1, 1], { padding: 'valid' });
    const img = new Float64Array(3 * (tile + 2));
    img.set(d, tile + 2);
    const y = winogradHost(img, w, g3, tile);
    for (let i = 0; i < tile; i++) expect(y[i]).toBeCloseTo(d[i] * k[0] + d[i + 1] * k[1] + d[i + 2] * k[2], 12);
  });

  const random = (n: number) => f32(uniform(n, -1, 1, nextSeed()));

  test.each([
    { x: [1, 7, 7, 2], co: 3, pad: 'same' as Padding },
    { x: [2, 9, 6, 3], co: 2, pad: 'valid' as Padding },
    { x: [1, 1, 1, 1], co: 2, pad: 'same' as Padding },
    { x: [2, 4, 5, 2], co: 1, pad: 'same' as Padding },
    { x: [1, 11, 10, 2], co: 2, pad: 'valid' as Padding },
  ])('x=$x co=$co $pad: the forward and the input gradient equal the direct conv', ({ x, co, pad }) => {
    const ci = x[3];
    const g = conv2dGeometry(x, [3, 3, ci, co], { padding: pad });
    const xs = random(x.reduce((a, b) => a * b, 1));
    const ws = random(9 * ci * co);
    const want = ref.conv2dForward(xs, x, ws, [3, 3, ci, co], null, [1, 1], pad, 'linear').y;
    expectClose(winogradHost(xs, ws, g, tile), want, { atol: 1e-12, rtol: 1e-12 });
    expect(planWinograd(g, { tile }).T).toBe(g.batch * Math.ceil(g.OH / tile) * Math.ceil(g.OW / tile));
    // dx: the forward of dz with w rotated and transposed, as the flipped weight transform reads it.
    const dz = random(g.batch * g.OH * g.OW * co);
    const dx = ref.conv2dBackward(xs, x, ws, [3, 3, ci, co], dz, [1, 1], pad).dx;
    const gb = winogradGeometry('backward_input', g);
    expectClose(winogradHost(dz, ws, gb, tile, true), dx, { atol: 1e-12, rtol: 1e-12 });
  });
});
