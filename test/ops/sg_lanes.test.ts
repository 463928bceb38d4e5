// The sg and Winograd (wino, wino4) kernels at every lane grouping L (8, 16, 32, 64;
// src/kernels/sg_lanes.ts, docs/gpus.md). The emulated share (workgroup memory instead of
// subgroup shuffles, same arithmetic in the same order) runs every L on any adapter: each is
// checked against the
// float64 reference on awkward shapes, forward and both gradients, and against the adapter's own
// subgroup path bit for bit where it has one (every L sums each output in the same order, so
// all must agree exactly). The real subgroup path runs for the L the adapter guarantees; the
// other lane counts are reported as skipped with the reason.
import { afterEach, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import type { ConvVariant } from '../../src/kernels/conv_types.js';
import { adapterFacts, convPlan, setConvVariant, setSubgroupEmulation } from '../../src/kernels/plan_context.js';
import { emulatedShare, SG_LANE_COUNTS, type SgLanes } from '../../src/kernels/sg_lanes.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import { mul } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import type { ConvCase } from '../helpers/conv_case.js';
import { tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/allclose.js';
import { openGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';
import { randomPair, read64 } from '../helpers/tensors.js';

// The emulated shares keep their lane loops as loops (sg_share_workgroup.wgsl): with Mesa's
// shader cache cold (MESA_SHADER_CACHE_DISABLE=true) the whole file took 122 s on a 2-core AMD
// EPYC with AVX2, its slowest case 12 s. Unrolled over 64 lanes, one case had taken minutes to
// compile (over 20 minutes for the file on that host), hence no timeout of its own any more.

const gpu = await openGpu();
afterEach(() => {
  setConvVariant(null);
  setSubgroupEmulation(null);
});

// wino4's f32 error is about 10x the others' (test/ops/winograd.test.ts).
const TOLS: Partial<Record<ConvVariant, { atol: number; rtol: number }>> = { wino4: { atol: 4e-4, rtol: 2e-3 } };
const TOL = { atol: 2e-4, rtol: 1e-3 };
const OWN = adapterFacts().sgShare;
const { subgroupMinSize: MIN, subgroupMaxSize: MAX } = gpu.info;
const NO_OWN = gpu.features.includes('subgroups')
  ? `adapter subgroup size is ${MIN === MAX ? MIN : `${MIN}-${MAX}`}`
  : 'adapter has no subgroups';

// Rows (pixels, tiles) and CO/4 not multiples of any L; a stride, a non-square kernel, RGB
// (padded channels), a 1x1 kernel, a 19x21x64 layer (several 64-row blocks, long sums) and
// products of no more rows than lanes.
const CASES: ConvCase[] = [
  { x: [2, 7, 7, 8], k: [3, 3], co: 12, s: [1, 1], pad: 'same', act: 'relu' },
  { x: [1, 9, 9, 16], k: [3, 3], co: 20, s: [2, 2], pad: 'same', act: 'linear' },
  { x: [3, 9, 7, 8], k: [2, 3], co: 4, s: [2, 1], pad: 'valid', act: 'sigmoid' },
  { x: [2, 5, 5, 3], k: [3, 3], co: 8, s: [1, 1], pad: 'same', act: 'relu' },
  { x: [3, 11, 9, 24], k: [1, 1], co: 36, s: [1, 1], pad: 'valid', act: 'linear' },
  { x: [1, 19, 21, 64], k: [3, 3], co: 64, s: [1, 1], pad: 'same', act: 'relu' },
  // At most L rows, as a dense layer's few samples: the kernels run one row block (SG_BLOCKS = 1)
  // at every L for 3 rows, and from L = 16 up for 12.
  { x: [3, 1, 1, 4], k: [1, 1], co: 4, s: [1, 1], pad: 'valid', act: 'linear' },
  { x: [2, 3, 2, 8], k: [1, 1], co: 20, s: [1, 1], pad: 'valid', act: 'relu' },
];

interface Run {
  y: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
}

/** Forward and gradients of `c` on the given inputs, with the variant and share in force. */
async function run(c: ConvCase, x: Tensor, w: Tensor, b: Tensor, r: Tensor): Promise<Run> {
  for (const t of [x, w, b]) {
    t.grad?.dispose();
    t.grad = null;
    t.requiresGrad = true;
  }
  const y = tidy(() => {
    const y = conv2d(x, w, b, { strides: c.s, padding: c.pad, activation: c.act });
    backward(sum(mul(y, r)));
    return y;
  });
  const out = { y: await read64(y), dx: await read64(x.grad!), dw: await read64(w.grad!) };
  y.dispose();
  return out;
}

/** The sg (or wino, wino4) kernels really ran with the emulated share of L lanes. */
function expectEmulated(c: ConvCase, variant: ConvVariant, lanes: SgLanes): void {
  const g = conv2dGeometry(c.x, [...c.k, c.x[3], c.co], { strides: c.s, padding: c.pad });
  const fwd = convPlan('forward', g);
  expect(fwd.variant === 'gemm' ? null : fwd.share).toEqual(emulatedShare(lanes));
  // Winograd runs the forward and the input gradient where it is legal for each (RGB's padded
  // channels: the input gradient's CI stays 3 in its key but is padded to 4 as well).
  const winos = (['forward', 'backward_input'] as const).filter((op) => convPlan(op, g).variant === variant);
  if (variant !== 'sg') expect(winos.length, 'Winograd ran').toBeGreaterThan(0);
  const wino = variant === 'sg' ? [] : winos;
  expect(dispatcher().counts.get('conv2d_winograd_gemm')).toBe(wino.length || undefined);
  expect(dispatcher().counts.get('conv2d_forward_sg')).toBe(wino.includes('forward') ? undefined : 1);
  expect(dispatcher().counts.get('conv2d_backward_input_sg')).toBe(wino.includes('backward_input') ? undefined : 1);
  expect(dispatcher().counts.get('conv2d_backward_weight_sg')).toBe(1);
}

async function checkLanes(c: ConvCase, variant: ConvVariant, lanes: SgLanes): Promise<void> {
  const [kh, kw] = c.k;
  const ci = c.x[3];
  const x = randomPair(c.x);
  const w = randomPair([kh, kw, ci, c.co], -0.3, 0.3);
  const b = randomPair([c.co], -0.3, 0.3);
  const g = conv2dGeometry(c.x, [kh, kw, ci, c.co], { strides: c.s, padding: c.pad });
  const r = randomPair([g.batch, g.OH, g.OW, g.CO]);
  const label = `${variant} L=${lanes} seeds ${x.seed},${w.seed},${b.seed},${r.seed} x=[${c.x}] k=${c.k} co=${c.co}`;
  setConvVariant(variant);
  setSubgroupEmulation(lanes);
  dispatcher().resetCounts();
  const emu = await run(c, x.t, w.t, b.t, r.t);
  expectEmulated(c, variant, lanes);
  const fwd = ref.conv2dForward(x.host, c.x, w.host, [kh, kw, ci, c.co], b.host, c.s, c.pad, c.act);
  const tol = TOLS[variant] ?? TOL;
  expectClose(emu.y, fwd.y, { ...tol, label: `${label} y` });
  const dz = ref.activationBackward(emu.y, r.host, c.act);
  const grads = ref.conv2dBackward(x.host, c.x, w.host, [kh, kw, ci, c.co], dz, c.s, c.pad);
  expectClose(emu.dx, grads.dx, { ...tol, label: `${label} dx` });
  expectClose(emu.dw, grads.dw, { ...TOL, label: `${label} dw` });
  if (OWN) {
    // The adapter's own subgroup path on the same inputs: the same bits.
    setSubgroupEmulation(null);
    const own = await run(c, x.t, w.t, b.t, r.t);
    for (const k of ['y', 'dx', 'dw'] as const) expect(emu[k], `${label} ${k} vs the subgroup path`).toEqual(own[k]);
  }
  for (const t of [x.t, w.t, b.t, r.t, x.t.grad, w.t.grad, b.t.grad]) t?.dispose();
}

describe.each(SG_LANE_COUNTS)('sg share emulated in workgroup memory, L=%i', (lanes) => {
  test.each(CASES)('sg: x=$x k=$k co=$co s=$s $pad $act', async (c) => checkLanes(c, 'sg', lanes));
  const wino = CASES.filter((c) => c.k[0] === 3 && c.k[1] === 3 && c.s[0] === 1);
  test.each(wino)('wino: x=$x co=$co $pad $act', async (c) => checkLanes(c, 'wino', lanes));
  test.each(wino)('wino4: x=$x co=$co $pad $act', async (c) => checkLanes(c, 'wino4', lanes));
});

// The real subgroup path of each L: only the adapter's own runs here (its plan carries it and
// the tests above compared every L with it); the others need an adapter whose smallest subgroup
// size is that L.
describe('sg share over real subgroups', () => {
  for (const lanes of SG_LANE_COUNTS) {
    const ok = OWN?.lanes === lanes;
    test.skipIf(!ok)(skipNote(`L=${lanes}: sg, wino and wino4 on this adapter's subgroups`, ok, NO_OWN), async () => {
      const c = CASES[0];
      const g = conv2dGeometry(c.x, [...c.k, c.x[3], c.co], { padding: c.pad });
      const x = randomPair(c.x);
      const w = randomPair([3, 3, c.x[3], c.co], -0.3, 0.3);
      const b = randomPair([c.co], -0.3, 0.3);
      const r = randomPair([g.batch, g.OH, g.OW, g.CO]);
      for (const variant of ['wino', 'wino4'] as const) {
        setConvVariant(variant);
        expect(convPlan('forward', g)).toMatchObject({ variant, share: OWN });
        expect(convPlan('backward_input', g)).toMatchObject({ variant, share: OWN });
        // The weight gradient's slab products are sg's weight kernel, which needs CI % 8 == 0.
        const weight = c.x[3] % 8 === 0 ? variant : 'sg';
        expect(convPlan('backward_weight', g)).toMatchObject({ variant: weight, share: OWN });
        const got = await run(c, x.t, w.t, b.t, r.t);
        const fwd = ref.conv2dForward(x.host, c.x, w.host, [3, 3, c.x[3], c.co], b.host, c.s, c.pad, c.act);
        const tol = TOLS[variant] ?? TOL;
        expectClose(got.y, fwd.y, { ...tol, label: `${variant} L=${lanes} seeds ${x.seed},${w.seed} y` });
      }
      for (const t of [x.t, w.t, b.t, r.t, x.t.grad, w.t.grad, b.t.grad]) t?.dispose();
    });
  }
});
