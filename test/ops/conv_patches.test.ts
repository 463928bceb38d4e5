// The window-order patch matrix (src/kernels/conv_patches.ts) against a CPU build of it from
// its layout alone: row (group*4 + k)*lanes + l is cell k (0 1 / 2 3) of window group*lanes + l
// of the 2x2-pooled map, column (kh*KW + kw)*CI + ci its tap (zero outside x), then a one (the
// bias row), then zeros; rows of windows past the batch are zero. A pure rearrangement: the
// values must be equal bit for bit. Both kernels: the window-block one (valid, stride 1, x of
// whole vec4s, each block row at most 13 floats) and the per-row one (every other shape), with
// odd maps (a last row or column in no window), lane groups padded past the batch, 1-3 channels.
import { describe, expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import { patchesRaw, windowBlocksFit, windowRows } from '../../src/kernels/conv_patches.js';
import type { ConvGeometry } from '../../src/kernels/conv_types.js';
import { conv2dGeometry } from '../../src/ops/conv2d.js';
import { openGpu } from '../helpers/gpu.js';
import { randomPair } from '../helpers/tensors.js';

await openGpu();

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  pad: 'valid' | 'same';
  lanes: number;
  PW: number;
  /** The window-block kernel runs (else the per-row one). */
  blocks: boolean;
}

const CASES: Case[] = [
  { x: [4, 150, 150, 3], k: [3, 3], pad: 'valid', lanes: 8, PW: 32, blocks: true },
  { x: [1, 13, 12, 3], k: [3, 3], pad: 'valid', lanes: 8, PW: 32, blocks: true },
  { x: [3, 9, 8, 2], k: [3, 3], pad: 'valid', lanes: 16, PW: 24, blocks: true },
  { x: [2, 6, 10, 1], k: [2, 3], pad: 'valid', lanes: 8, PW: 8, blocks: true },
  { x: [2, 11, 13, 3], k: [3, 3], pad: 'valid', lanes: 8, PW: 32, blocks: false },
  { x: [1, 16, 14, 3], k: [3, 3], pad: 'same', lanes: 32, PW: 32, blocks: false },
  { x: [2, 8, 8, 4], k: [3, 3], pad: 'valid', lanes: 8, PW: 40, blocks: false },
];

/** The patch matrix in window order, on the CPU from the layout above. */
function reference(x: Float64Array, g: ConvGeometry, PW: number, lanes: number): Float32Array {
  const w = windowRows(g, lanes);
  const out = new Float32Array(w.rows * PW);
  const K = g.KH * g.KW * g.CI;
  for (let win = 0; win < w.windows; win++) {
    const b = Math.floor(win / (w.PH * w.PW));
    const ph = Math.floor(win / w.PW) % w.PH;
    const pw = win % w.PW;
    for (let k = 0; k < 4; k++) {
      const row = (Math.floor(win / lanes) * 4 + k) * lanes + (win % lanes);
      const oh = 2 * ph + (k >> 1);
      const ow = 2 * pw + (k & 1);
      for (let t = 0; t < PW; t++) {
        let v = t === K ? 1 : 0;
        if (t < K) {
          const ci = t % g.CI;
          const kw = Math.floor(t / g.CI) % g.KW;
          const kh = Math.floor(t / (g.CI * g.KW));
          const ih = oh * g.SH + kh - g.PT;
          const iw = ow * g.SW + kw - g.PL;
          const inside = ih >= 0 && iw >= 0 && ih < g.H && iw < g.W;
          v = inside ? x[((b * g.H + ih) * g.W + iw) * g.CI + ci] : 0;
        }
        out[row * PW + t] = v;
      }
    }
  }
  return out;
}

describe('window-order patch matrix, row by row and channel group by channel group', () => {
  test.each(CASES)('x=$x k=$k $pad lanes=$lanes PW=$PW', async (c) => {
    const x = randomPair(c.x);
    const g = conv2dGeometry(c.x, [c.k[0], c.k[1], c.x[3], 4], { padding: c.pad });
    const label = `seed ${x.seed} x=[${c.x}]`;
    expect(windowBlocksFit(g), label).toBe(c.blocks);
    dispatcher().resetCounts();
    const p = patchesRaw(x.t, g, c.PW, windowRows(g, c.lanes));
    const counts = dispatcher().counts;
    expect(counts.get('conv2d_patches_windows') ?? 0, label).toBe(c.blocks ? 1 : 0);
    expect(counts.get('conv2d_patches') ?? 0, label).toBe(c.blocks ? 0 : 1);
    const got = new Uint32Array((await p.data()).buffer);
    const want = new Uint32Array(reference(x.host, g, c.PW, c.lanes).buffer);
    expect(got.length, label).toBe(want.length);
    const bad = want.findIndex((v, i) => got[i] !== v);
    expect(bad, `${label}: first difference at float ${bad}`).toBe(-1);
    // Channel group by channel group ([PW/4][rows] vec4s): the same values, moved.
    const outer = new Uint32Array((await patchesRaw(x.t, g, c.PW, windowRows(g, c.lanes), true).data()).buffer);
    const rows = want.length / c.PW;
    const moved = want.findIndex((v, i) => {
      const [row, col] = [Math.floor(i / c.PW), i % c.PW];
      return outer[(Math.floor(col / 4) * rows + row) * 4 + (col % 4)] !== v;
    });
    expect(moved, `${label}: channel-outer, first difference at float ${moved} of the rows`).toBe(-1);
    p.dispose();
    x.t.dispose();
  });
});
