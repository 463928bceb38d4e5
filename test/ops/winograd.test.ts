// The Winograd F(2x2, 3x3) forward ('wino' conv variant, src/ops/winograd.ts) against the float64
// reference: odd and even spatial sizes (partial tiles), batch 1 and 3, channel counts around the
// texel and 8x8-block sizes, 'same' and 'valid', bias and fused activations; plus the host
// version of the algorithm (matrices, tiling, padding) on the CPU, and the variant's legality.
import { afterEach, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { noGrad } from '../../src/autograd/tape.js';
import { currentGpu, dispatcher } from '../../src/gpu/engine.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import type { ConvGeometry, ConvOp } from '../../src/kernels/conv_types.js';
import { adapterFacts, convPlan, hasSgShare, setConvVariant } from '../../src/kernels/plan_context.js';
import { legalVariants as legalOn } from '../../src/kernels/plan_legal.js';
import type { Activation } from '../../src/kernels/activation.js';
import { resetTuningCache } from '../../src/kernels/tuning.js';
import { planWinograd, winogradHost } from '../../src/kernels/winograd.js';
import type { Padding } from '../../src/tensor/shape.js';
import { expectClose, maxAbsDiff } from '../helpers/allclose.js';
import { openGpu } from '../helpers/gpu.js';
import { f32, uniform } from '../helpers/random.js';
import { skipNote } from '../helpers/skip.js';
import { nextSeed, randomPair, read64 } from '../helpers/tensors.js';

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

// As the direct kernels' tests. Winograd's f32 error is a little larger (the transforms add and
// halve before the products, and M_e mixes positive and negative terms); the measured worst cases
// are reported after the cases and must stay well inside this: at most WELL_INSIDE of it (about
// 1% measured on lavapipe).
const TOL = { atol: 2e-4, rtol: 1e-3 };
const WELL_INSIDE = 0.5;

interface Case {
  x: [number, number, number, number];
  co: number;
  pad: Padding;
  act: Activation;
  bias: boolean;
}
const CASES: Case[] = [
  { x: [1, 7, 7, 4], co: 4, pad: 'same', act: 'linear', bias: false },
  { x: [3, 9, 9, 8], co: 12, pad: 'same', act: 'relu', bias: true },
  { x: [1, 9, 7, 4], co: 12, pad: 'valid', act: 'sigmoid', bias: true },
  { x: [3, 7, 9, 8], co: 4, pad: 'valid', act: 'linear', bias: true },
  { x: [1, 37, 37, 64], co: 64, pad: 'same', act: 'relu', bias: true },
  { x: [3, 37, 37, 8], co: 64, pad: 'valid', act: 'relu', bias: false },
  { x: [1, 8, 10, 64], co: 12, pad: 'same', act: 'sigmoid', bias: true },
  { x: [3, 3, 3, 4], co: 4, pad: 'valid', act: 'linear', bias: true },
  { x: [1, 1, 1, 4], co: 8, pad: 'same', act: 'relu', bias: true },
  { x: [1, 2, 5, 12], co: 4, pad: 'same', act: 'linear', bias: false },
  // RGB: the forward pads the channels to 4 and runs Winograd on that.
  { x: [3, 9, 9, 3], co: 8, pad: 'same', act: 'relu', bias: true },
];

/** Per case: the largest |gpu - ref| / (atol + rtol |ref|), i.e. the share of TOL used. */
const worst: { label: string; used: number; line: string }[] = [];

describe.skipIf(!SG8)(skipNote('conv2d forward, wino variant', SG8, NO_SG8), () => {
  test.each(CASES)('x=$x co=$co $pad $act bias=$bias', async (c) => {
    setConvVariant('wino');
    const ci = c.x[3];
    const x = randomPair(c.x);
    const w = randomPair([3, 3, ci, c.co], -0.3, 0.3);
    const b = c.bias ? randomPair([c.co], -0.3, 0.3) : null;
    const label = `seeds ${x.seed},${w.seed},${b?.seed} x=[${c.x}] co=${c.co} ${c.pad} ${c.act} bias=${c.bias}`;
    dispatcher().resetCounts();
    const y = noGrad(() => conv2d(x.t, w.t, b?.t ?? null, { padding: c.pad, activation: c.act }));
    for (const k of ['weight', 'input', 'gemm', 'output']) {
      expect(dispatcher().counts.get(`conv2d_winograd_${k}`), k).toBe(1);
    }
    expect(dispatcher().counts.get('conv2d_forward_sg')).toBeUndefined();
    const fwd = ref.conv2dForward(x.host, c.x, w.host, [3, 3, ci, c.co], b?.host ?? null, [1, 1], c.pad, c.act);
    expect(y.shape).toEqual(fwd.shape);
    const got = await read64(y);
    expectClose(got, fwd.y, { ...TOL, label });
    let rel = 0;
    let used = 0;
    for (let i = 0; i < got.length; i++) {
      const err = Math.abs(got[i] - fwd.y[i]);
      rel = Math.max(rel, err / (1e-3 + Math.abs(fwd.y[i])));
      used = Math.max(used, err / (TOL.atol + TOL.rtol * Math.abs(fwd.y[i])));
    }
    worst.push({
      label,
      used,
      line:
        `${label}: max abs ${maxAbsDiff(got, fwd.y).toExponential(2)}, ` +
        `max rel ${rel.toExponential(2)}, ${(100 * used).toFixed(1)}% of the tolerance`,
    });
    for (const t of [x.t, w.t, b?.t, y]) t?.dispose();
  });

  test(`report the measured error: every case measured, each well inside the tolerance (<= ${WELL_INSIDE})`, () => {
    console.log(`wino vs float64 reference:\n  ${worst.map((w) => w.line).join('\n  ')}`);
    expect(worst, 'one measurement per case (a case that ran nothing leaves none)').toHaveLength(CASES.length);
    for (const w of worst) expect(w.used, w.label).toBeLessThanOrEqual(WELL_INSIDE);
  });
});

test.skipIf(!SG8)(
  skipNote(
    'wino is legal for 3x3 stride-1 forwards with texel-wide channels only; ' + 'the default where it pays',
    SG8,
    NO_SG8,
  ),
  () => {
    const g = (x: number[], w: number[], s = 1) => conv2dGeometry(x, w, { strides: s, padding: 'same' });
    expect(legalVariants('forward', g([1, 9, 9, 8], [3, 3, 8, 8]))).toContain('wino');
    expect(legalVariants('forward', g([1, 9, 9, 8], [3, 3, 8, 8], 2))).not.toContain('wino');
    expect(legalVariants('forward', g([1, 9, 9, 8], [5, 5, 8, 8]))).not.toContain('wino');
    expect(legalVariants('forward', g([1, 9, 9, 8], [3, 3, 8, 6]))).not.toContain('wino');
    expect(legalVariants('backward_input', g([1, 9, 9, 8], [3, 3, 8, 8]))).not.toContain('wino');
    // Transformed operands past one storage binding: 16 * T * 512 floats at 150x150, batch 8.
    expect(legalVariants('forward', g([8, 150, 150, 512], [3, 3, 512, 8]))).not.toContain('wino');
    // Untuned (a tuning file overrides either way), software adapters take wino for big convs with
    // 64+ channels each way (VGG16's), sg for small or thin ones.
    const saved = process.env.DAWNFLOW_TUNING;
    process.env.DAWNFLOW_TUNING = 'off';
    resetTuningCache();
    try {
      const software = currentGpu().info.software;
      expect(convVariant('forward', g([1, 9, 9, 8], [3, 3, 8, 8]))).toBe(software ? 'sg' : 'gemm');
      expect(convVariant('forward', g([1, 9, 9, 64], [3, 3, 64, 64]))).toBe(software ? 'sg' : 'gemm');
      expect(convVariant('forward', g([4, 150, 150, 4], [3, 3, 4, 64]))).toBe(software ? 'sg' : 'gemm');
      expect(convVariant('forward', g([1, 9, 9, 512], [3, 3, 512, 512]))).toBe(software ? 'wino' : 'gemm');
      expect(convVariant('forward', g([4, 150, 150, 64], [3, 3, 64, 64]))).toBe(software ? 'wino' : 'gemm');
      expect(convVariant('forward', g([4, 75, 75, 64], [3, 3, 64, 128], 2))).toBe(software ? 'sg' : 'gemm');
    } finally {
      if (saved === undefined) delete process.env.DAWNFLOW_TUNING;
      else process.env.DAWNFLOW_TUNING = saved;
      resetTuningCache();
    }
    // Forced where it does not apply: the next legal variant down (sg), not an error.
    setConvVariant('wino');
    expect(convVariant('forward', g([1, 9, 9, 8], [3, 3, 8, 8], 2))).toBe('sg');
    expect(convVariant('backward_input', g([1, 9, 9, 8], [3, 3, 8, 8]))).toBe('sg');
  },
);

describe('host Winograd (float64): matrices, tiles and padding', () => {
  test('F(2,3) in 1-D: A^T[(G g) ⊙ (B^T d)] equals the correlation', () => {
    const d = [0.3, -1.2, 2.5, 0.7];
    const k = [0.5, -0.25, 1.5];
    // A 1-row image with a kernel that is zero outside its middle row reduces to 1-D.
    const x = Float64Array.from(d);
    const w = new Float64Array(9);
    k.forEach((v, i) => {
      w[3 + i] = v;
    });
    const g3 = conv2dGeometry([1, 3, 4, 1], [3, 3, 1, 1], { padding: 'valid' });
    const img = new Float64Array(12);
    img.set(x, 4);
    const y = winogradHost(img, w, g3);
    expect(y[0]).toBeCloseTo(d[0] * k[0] + d[1] * k[1] + d[2] * k[2], 12);
    expect(y[1]).toBeCloseTo(d[1] * k[0] + d[2] * k[1] + d[3] * k[2], 12);
  });

  test.each([
    { x: [1, 7, 7, 2], co: 3, pad: 'same' as Padding },
    { x: [2, 9, 6, 3], co: 2, pad: 'valid' as Padding },
    { x: [1, 1, 1, 1], co: 2, pad: 'same' as Padding },
    { x: [2, 4, 5, 2], co: 1, pad: 'same' as Padding },
  ])('x=$x co=$co $pad equals the direct conv', ({ x, co, pad }) => {
    const ci = x[3];
    const g = conv2dGeometry(x, [3, 3, ci, co], { padding: pad });
    const xs = f32(
      uniform(
        x.reduce((a, b) => a * b, 1),
        -1,
        1,
        nextSeed(),
      ),
    );
    const ws = f32(uniform(9 * ci * co, -1, 1, nextSeed()));
    const want = ref.conv2dForward(xs, x, ws, [3, 3, ci, co], null, [1, 1], pad, 'linear').y;
    expectClose(winogradHost(xs, ws, g), want, { atol: 1e-12, rtol: 1e-12 });
    const p = planWinograd(g);
    expect(p.T).toBe(g.batch * Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2));
  });
});
