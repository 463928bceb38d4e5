// The Winograd transforms that read a fused 2x2 max pool's gradient in place of dz
// (shaders/winograd_source_pooled.wgsl, src/kernels/winograd.ts pooledSourceKernel): for every
// tile size, both paddings' parities (the input gradient of 'valid' and 'same' convs) and the
// weight gradient's dY transform, on odd sizes (a last row and column in no window) and winners
// that include "none" (255, relu'), their V must be the transform of dz itself, built on the host
// from dy and the winners as the pool's backward routes them, bit for bit (signed zeros too).
import { describe, expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import type { KernelSpec } from '../../src/gpu/program.js';
import type { ConvGeometry } from '../../src/kernels/conv_types.js';
import {
  planWinograd,
  type WinoPlan,
  type WinoTile,
  winogradInputKernel,
  winogradInputPooledKernel,
} from '../../src/kernels/winograd.js';
import { winogradGradKernel, winogradGradPooledKernel } from '../../src/kernels/winograd_weight.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { openGpu } from '../helpers/gpu.js';
import { uniform } from '../helpers/random.js';
import { nextSeed } from '../helpers/tensors.js';

await openGpu();

interface Case {
  batch: number;
  /** dz's size: the conv output's, whose floor halves are the pooled map's. */
  H: number;
  W: number;
  C: number;
  /** The transform's padding: 2 - the conv's for an input gradient, 0 for dY. */
  PT: number;
}

const CASES: Case[] = [
  { batch: 1, H: 11, W: 9, C: 4, PT: 2 },
  { batch: 3, H: 10, W: 13, C: 16, PT: 1 },
  { batch: 1, H: 7, W: 8, C: 12, PT: 1 },
  { batch: 2, H: 9, W: 11, C: 8, PT: 0 },
];

/** dz [batch, H, W, C] from dy and the winners, as the pool's backward writes it. */
function denseOf(c: Case, dy: Float32Array, codes: Uint8Array): Float32Array {
  const [PH, PW] = [Math.floor(c.H / 2), Math.floor(c.W / 2)];
  const dz = new Float32Array(c.batch * c.H * c.W * c.C);
  for (let b = 0; b < c.batch; b++)
    for (let ph = 0; ph < PH; ph++)
      for (let pw = 0; pw < PW; pw++)
        for (let ch = 0; ch < c.C; ch++) {
          const i = ((b * PH + ph) * PW + pw) * c.C + ch;
          if (codes[i] === 255) continue;
          const [h, w] = [2 * ph + (codes[i] >> 1), 2 * pw + (codes[i] & 1)];
          dz[((b * c.H + h) * c.W + w) * c.C + ch] = dy[i];
        }
  return dz;
}

async function run(spec: KernelSpec<WinoPlan>, p: WinoPlan, inputs: Tensor[]): Promise<Float32Array> {
  const v = Tensor.empty([p.slabs, p.T, p.g.CI], 'float32', 'V');
  dispatcher().launch(spec, p, [inputs[0].buffer, v.buffer, ...inputs.slice(1).map((t) => t.buffer)]);
  const out = Float32Array.from(await v.data());
  v.dispose();
  return out;
}

const KINDS = [
  { name: 'input', dense: winogradInputKernel, pooled: winogradInputPooledKernel },
  { name: 'grad', dense: winogradGradKernel, pooled: winogradGradPooledKernel },
] as const;

describe.each(KINDS)('the $name transform of a pooled gradient', (kind) => {
  test.each(CASES.flatMap((c) => ([2, 4] as WinoTile[]).map((tile) => ({ ...c, tile }))))(
    'F($tile) dz $batch x $H x $W x $C, padding $PT: as the transform of dz',
    async (c) => {
      const seed = nextSeed();
      const [PH, PW] = [Math.floor(c.H / 2), Math.floor(c.W / 2)];
      const cells = c.batch * PH * PW * c.C;
      // Negative values too, so that a lost sign of zero would show.
      const dy = Float32Array.from(uniform(cells, -2, 2, seed));
      const codes = Uint8Array.from(uniform(cells, 0, 5, seed + 1), (u) => (u >= 4 ? 255 : Math.floor(u)));
      // The geometry the transform runs: its image is dz, H x W of C channels.
      const OH = c.H + 2 * c.PT - 2;
      const OW = c.W + 2 * c.PT - 2;
      const g: ConvGeometry = { ...c, CI: c.C, OH, OW, CO: 4, KH: 3, KW: 3, SH: 1, SW: 1, PL: c.PT };
      const p = planWinograd(g, { tile: c.tile });
      const dz = Tensor.fromArray(denseOf(c, dy, codes), [c.batch, c.H, c.W, c.C]);
      const dyT = Tensor.fromArray(dy, [c.batch, PH, PW, c.C]);
      const codesT = Tensor.fromArray(new Uint32Array(codes.buffer), [c.batch, PH, PW, c.C / 4], 'uint32');
      const want = await run(kind.dense, p, [dz]);
      const got = await run(kind.pooled, p, [dyT, codesT]);
      const label = `seed ${seed} ${kind.name} F(${c.tile}) ${JSON.stringify(c)}`;
      const differ = got.findIndex((v, i) => !Object.is(v, want[i]));
      expect(differ, `${label}: V[${differ}] ${got[differ]} against ${want[differ]}`).toBe(-1);
      expect(
        want.some((v) => v !== 0),
        label,
      ).toBe(true);
      for (const t of [dz, dyT, codesT]) t.dispose();
    },
  );
});
