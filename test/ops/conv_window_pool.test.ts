// The window kernel (src/kernels/conv_window_pool.ts): an RGB conv + bias + activation + 2x2 max
// pool straight from the image, against a float64 CPU reference of the same: y within float32
// rounding, and every winner a cell that holds the window's maximum (up to rounding), 255 only
// where relu leaves the window no positive value. Awkward shapes: odd maps (a last row or
// column in no window), batches of 1 to 4, 4 to 64 filters, 3x3 and 2x2 kernels, with and
// without bias. The shapes all fit the kernel (windowPoolFits), so the kernel itself runs.
import { describe, expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import type { Activation } from '../../src/kernels/activation.js';
import { windowRows } from '../../src/kernels/conv_patches.js';
import { windowPoolFits, windowPoolForward } from '../../src/kernels/conv_window_pool.js';
import type { ConvGeometry } from '../../src/kernels/conv_types.js';
import { conv2dGeometry } from '../../src/ops/conv2d.js';
import { expectClose } from '../helpers/allclose.js';
import { openGpu } from '../helpers/gpu.js';
import { randomPair } from '../helpers/tensors.js';

await openGpu();

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  act: Activation;
  bias: boolean;
}

const CASES: Case[] = [
  { x: [1, 8, 12, 3], k: [3, 3], co: 4, act: 'relu', bias: true },
  { x: [2, 9, 14, 3], k: [3, 3], co: 32, act: 'linear', bias: false },
  { x: [4, 12, 10, 3], k: [3, 3], co: 8, act: 'relu', bias: false },
  { x: [1, 16, 17, 3], k: [3, 3], co: 64, act: 'relu', bias: true },
  { x: [3, 8, 8, 3], k: [2, 2], co: 12, act: 'linear', bias: true },
];

/** The conv's output at (b, oh, ow, co) in float64, activated. */
function cell(x: Float64Array, w: Float64Array, bias: Float64Array | null, g: ConvGeometry, act: Activation) {
  return (b: number, oh: number, ow: number, co: number): number => {
    let s = bias ? bias[co] : 0;
    for (let kh = 0; kh < g.KH; kh++) {
      for (let kw = 0; kw < g.KW; kw++) {
        for (let ci = 0; ci < g.CI; ci++) {
          s += x[((b * g.H + oh + kh) * g.W + ow + kw) * g.CI + ci] * w[((kh * g.KW + kw) * g.CI + ci) * g.CO + co];
        }
      }
    }
    return act === 'relu' ? Math.max(s, 0) : s;
  };
}

describe('the window kernel', () => {
  test.each(CASES)('x=$x k=$k co=$co $act bias=$bias against float64', async (c) => {
    const x = randomPair(c.x);
    const w = randomPair([...c.k, 3, c.co], -0.4, 0.4);
    const b = c.bias ? randomPair([c.co], -0.5, 0.2) : null;
    const g = conv2dGeometry(c.x, w.t.shape, { padding: 'valid' });
    expect(windowPoolFits(g, c.act)).toBe(true);
    const rows = windowRows(g, 8);
    const patchWidth = 4 * Math.ceil((c.k[0] * c.k[1] * 3 + 1) / 4);
    dispatcher().resetCounts();
    const { y, codes } = windowPoolForward(x.t, w.t, b?.t ?? null, { g, patchWidth, act: c.act, rows });
    expect(dispatcher().counts.get('conv2d_window_pool')).toBe(1);
    const gotY = (await y.data()) as Float32Array;
    const gotCodes = (await codes.data()) as Uint32Array;
    const at = cell(x.host, w.host, b?.host ?? null, g, c.act);
    const want = new Float64Array(gotY.length);
    const label = `seeds ${x.seed},${w.seed},${b?.seed} x=[${c.x}]`;
    let top = 0;
    for (let i = 0; i < want.length; i++) {
      const co = i % g.CO;
      const win = Math.floor(i / g.CO);
      const pw = win % rows.PW;
      const ph = Math.floor(win / rows.PW) % rows.PH;
      const bi = Math.floor(win / (rows.PW * rows.PH));
      const cells = [0, 1, 2, 3].map((k) => at(bi, 2 * ph + (k >> 1), 2 * pw + (k & 1), co));
      want[i] = Math.max(...cells);
      top = Math.max(top, Math.abs(want[i]));
      const code = (gotCodes[Math.floor(i / 4)] >> (8 * (i % 4))) & 255;
      if (code === 255) {
        expect(c.act, `${label}: no winner at ${i}`).toBe('relu');
        expect(want[i], `${label}: no winner at ${i}`).toBeLessThanOrEqual(1e-5);
      } else {
        expect(code, `${label}: code at ${i}`).toBeLessThan(4);
        expect(Math.abs(cells[code] - want[i]), `${label}: winner at ${i}`).toBeLessThanOrEqual(1e-5);
      }
    }
    expectClose(gotY, want, { atol: 1e-6 * top, rtol: 1e-5, label });
    for (const t of [x.t, w.t, b?.t, y, codes]) t?.dispose();
  });
});
