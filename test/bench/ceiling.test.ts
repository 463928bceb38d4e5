// The bench's arithmetic ceiling and FLOP accounting: the FMA kernel's outputs match the CPU's
// recomputation (and a wrong output is caught), its FLOP count is what it executes, and every
// convolution figure counts the direct convolution's FLOPs whatever variant runs it (Winograd
// does 2.25x fewer multiplies; its GFLOP/s are direct-convolution-equivalent). No timings.
import { describe, expect, test } from 'vitest';
import { checkFmaOutputs, fmaCeilingCase, fmaCeilingParams } from '../../bench/ceilings.js';
import { directConvFlops, smallConvnetFlops } from '../../bench/flops.js';
import { convCaseFlops } from '../../bench/kernels/conv_reference.js';
import { forwardFlops } from '../../bench/peers/spec.js';
import { fmaCeiling, fmaCeilingFlops, fmaCeilingKernel, fmaCeilingReference } from '../../src/kernels/ceiling.js';
import { vgg16Convs } from '../../src/ops/vgg16_convs.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

describe('FMA ceiling kernel', () => {
  const p = { invocations: 300, iters: 200, m: 0.999, c: 0.001 };

  test('every output matches the CPU recomputation', async () => {
    const t = fmaCeiling(p);
    const got = (await t.data()) as Float32Array;
    t.dispose();
    expect(got.length).toBe(300);
    const summary = checkFmaOutputs(
      got,
      p,
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(summary).toMatch(/over 300 sampled invocations/);
  });

  test('the check catches a wrong output', () => {
    const good = Float32Array.from({ length: 4 }, (_, i) => fmaCeilingReference(i, p));
    expect(() => checkFmaOutputs(good, p, [0, 1, 2, 3])).not.toThrow();
    good[2] *= 1.01;
    expect(() => checkFmaOutputs(good, p, [0, 1, 2, 3])).toThrow(/invocation 2/);
  });

  test('the bench case validates before it is timed', async () => {
    const c = fmaCeilingCase({ ...p, invocations: 1024 });
    await expect(c.validate()).resolves.toMatch(/sampled invocations/);
    c.dispose();
  });

  test('FLOPs: 2 per multiply-add, chains of 4 on 16 vec4 accumulators per round', () => {
    expect(fmaCeilingFlops(p)).toBe(2 * 4 * 4 * 16 * 200 * 300);
    expect(fmaCeilingKernel.flops?.(p)).toBe(fmaCeilingFlops(p));
    // The bench's sizes fill the adapter: thousands of invocations at least.
    for (const sw of [true, false]) expect(fmaCeilingParams(sw).invocations).toBeGreaterThanOrEqual(4096);
  });
});

describe('FLOP accounting', () => {
  test('a conv counts the direct convolution, Winograd included', () => {
    const batch = 4;
    for (const s of vgg16Convs(150).filter((c) => c.ci >= 64)) {
      const direct = directConvFlops({ batch, oh: s.hw, ow: s.hw, ci: s.ci, co: s.co, k: 3 });
      expect(convCaseFlops(batch, s)).toBe(direct);
      // Winograd F(2x2,3x3)'s products do 16 multiply-adds per 2x2 output tile (per channel
      // pair) where the direct conv does 4 x 9: the bench counts the 36, never the 16.
      const T = batch * Math.ceil(s.hw / 2) * Math.ceil(s.hw / 2);
      const wino = 2 * 16 * T * s.ci * s.co;
      if (s.hw % 2 === 0) expect(direct / wino).toBeCloseTo(2.25, 10);
      else expect(direct).toBeGreaterThan(1.5 * wino); // odd sides pad the last tile
    }
  });

  test("the peers' forward is the sum of VGG16's direct convs", () => {
    const sum = vgg16Convs(150).reduce(
      (n, s) => n + directConvFlops({ batch: 1, oh: s.hw, ow: s.hw, ci: s.ci, co: s.co, k: 3 }),
      0,
    );
    expect(forwardFlops('vgg16', 150)).toBe(sum);
    // About 15.4 G multiply-adds per image at 224, the usual VGG16 figure.
    expect(forwardFlops('vgg16', 224) / 1e9).toBeCloseTo(30.7, 0);
  });

  test("the small convnet: the book's layer sizes", () => {
    const f = smallConvnetFlops(150);
    const convs =
      directConvFlops({ batch: 1, oh: 148, ow: 148, ci: 3, co: 32, k: 3 }) +
      directConvFlops({ batch: 1, oh: 72, ow: 72, ci: 32, co: 64, k: 3 }) +
      directConvFlops({ batch: 1, oh: 34, ow: 34, ci: 64, co: 128, k: 3 }) +
      directConvFlops({ batch: 1, oh: 15, ow: 15, ci: 128, co: 128, k: 3 });
    const dense = 2 * 6272 * 512 + 512 + 2 * 512 + 1;
    expect(f.forward).toBe(convs + dense);
    expect(f.train).toBeGreaterThan(2.5 * f.forward);
    expect(f.train).toBeLessThan(3 * f.forward);
  });
});
