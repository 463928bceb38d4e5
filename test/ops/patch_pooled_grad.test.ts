// The sg weight gradient of a pooled patch product (an RGB conv + 2x2 max pool) that reads the
// pool's gradient and winners in place of the rows' dz (shaders/sg_weight_dz_pooled.wgsl,
// conv.ts conv2dBackwardWeightPooledRows): its dw must be the one the same kernel gives on the
// rows' dz as the pool's rows backward writes it, bit for bit, with winners that include none
// (255, relu') and windows padded to whole lane groups; and where the planner splits the rows;
// also with the rows laid out channel group by channel group.
import { expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import { conv2dBackwardWeight, conv2dBackwardWeightPooledRows } from '../../src/kernels/conv.js';
import { poolRowsBackward, rowsGeometry, windowRows } from '../../src/kernels/conv_patches.js';
import type { ConvGeometry } from '../../src/kernels/conv_types.js';
import { adapterFacts, convPlan, hasSgShare } from '../../src/kernels/plan_context.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { openGpu } from '../helpers/gpu.js';
import { uniform } from '../helpers/random.js';
import { skipNote } from '../helpers/skip.js';
import { nextSeed } from '../helpers/tensors.js';

await openGpu();

const CASES = [
  { batch: 2, OH: 9, OW: 14, CO: 8 },
  { batch: 3, OH: 20, OW: 17, CO: 32 },
  { batch: 4, OH: 148, OW: 148, CO: 32 },
];

// The pooled patch product runs where the kernels are chosen for a software adapter with a share.
const sg = hasSgShare() && adapterFacts().software;

test.skipIf(!sg).each(CASES)(
  skipNote(
    'conv output $batch x $OH x $OW x $CO: dw from dy and the winners is dw from the rows dz',
    sg,
    adapterFacts().software
      ? 'this adapter runs no sg kernels, and the pooled patch product is one of them'
      : 'kernels are chosen for a GPU here (DAWNFLOW_PLAN_AS), whose plan has no patch products',
  ),
  async (c) => {
    const seed = nextSeed();
    const PW = 32;
    const rows = windowRows({ batch: c.batch, OH: c.OH, OW: c.OW } as ConvGeometry, 8);
    // The patch product's geometry: the window-ordered rows are its pixels.
    const patch = { batch: 1, H: 1, W: 1, CI: PW, OH: 1, OW: 1, CO: c.CO, KH: 1, KW: 1, SH: 1, SW: 1, PT: 0, PL: 0 };
    const g = rowsGeometry(patch, rows.rows);
    expect(convPlan('backward_weight', g).variant).toBe('sg');
    const patches = Tensor.fromArray(Float32Array.from(uniform(rows.rows * PW, -1, 1, seed)), [rows.rows, PW]);
    const map = [c.batch, rows.PH, rows.PW];
    const dy = Tensor.fromArray(Float32Array.from(uniform(rows.windows * c.CO, -2, 2, seed + 1)), [...map, c.CO]);
    const bytes = Uint8Array.from(uniform(rows.windows * c.CO, 0, 5, seed + 2), (u) => (u >= 4 ? 255 : Math.floor(u)));
    const codes = Tensor.fromArray(new Uint32Array(bytes.buffer), [...map, c.CO / 4], 'uint32');
    const dz = poolRowsBackward(dy, codes, rows);
    const want = Float32Array.from(await conv2dBackwardWeight(patches, dz, g).data());
    dispatcher().resetCounts();
    const got = Float32Array.from(
      await conv2dBackwardWeightPooledRows(patches, { dy, codes, rows, channelsOuter: false }, g).data(),
    );
    expect(dispatcher().counts.get('conv2d_backward_weight_sg_pooled')).toBe(1);
    expect(dispatcher().counts.get('maxpool2d_rows_backward') ?? 0).toBe(0);
    const differ = got.findIndex((v, i) => !Object.is(v, want[i]));
    expect(differ, `seed ${seed} ${JSON.stringify(c)}: dw[${differ}] ${got[differ]} against ${want[differ]}`).toBe(-1);
    // The same rows laid out channel group by channel group (conv_patches.ts patchesRaw), read
    // by the same kernel as one segment: the same sums, bit for bit.
    const host = await patches.data();
    const outer = new Float32Array(host.length);
    host.forEach((v, i) => {
      const [row, col] = [Math.floor(i / PW), i % PW];
      outer[(Math.floor(col / 4) * rows.rows + row) * 4 + (col % 4)] = v;
    });
    const patchesOuter = Tensor.fromArray(outer, [PW / 4, rows.rows, 4]);
    const src = { dy, codes, rows, channelsOuter: true };
    const gotOuter = Float32Array.from(await conv2dBackwardWeightPooledRows(patchesOuter, src, g).data());
    const moved = gotOuter.findIndex((v, i) => !Object.is(v, want[i]));
    expect(moved, `seed ${seed} ${JSON.stringify(c)}: channel-outer dw[${moved}]`).toBe(-1);
    patchesOuter.dispose();
    expect(want.some((v) => v !== 0)).toBe(true);
    for (const t of [patches, dy, codes, dz]) t.dispose();
  },
);
