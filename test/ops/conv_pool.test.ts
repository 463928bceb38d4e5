// conv2d followed by a 2x2 max pool as one op (src/ops/conv_pool.ts): where no gradient is needed
// it must give exactly the values of conv2d then maxPool2d (max picks one of the conv's own
// values, so fused or not the results are bit-equal), on every conv variant, odd sizes (the last
// row and column of a 75x75 map dropped), batches of 1 to 3; where a gradient is needed it is the
// two recorded ops. Then the layers: a Sequential's Conv2D + MaxPooling2D under noGrad gives what
// the layers give one by one. With a gradient the fused op (which keeps the pool's winners from
// the conv's kernel) must give, value for value, the gradients of the two recorded ops, also
// where its backward skips the pool's (its Winograd transforms read the pool's gradient).
import { afterEach, describe, expect, test } from 'vitest';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import type { ConvVariant } from '../../src/kernels/conv_types.js';
import { takesPooledGrad } from '../../src/kernels/conv.js';
import { convPoolFuses } from '../../src/kernels/conv_pool.js';
import { windowPoolFits } from '../../src/kernels/conv_window_pool.js';
import { adapterFacts, convPlan, hasSgShare, setConvVariant } from '../../src/kernels/plan_context.js';
import { CONV_VARIANTS } from '../../src/kernels/plan_legal.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import { conv2dMaxPool2d } from '../../src/ops/conv_pool.js';
import { sum } from '../../src/ops/reduce.js';
import { mul } from '../../src/ops/elementwise.js';
import { maxPool2d, pool2dGeometry } from '../../src/ops/maxpool2d.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { openGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';
import { randomPair } from '../helpers/tensors.js';
import type { Conv3x3Case } from '../helpers/conv_case.js';

await openGpu();
afterEach(() => setConvVariant(null));

type Case = Conv3x3Case;
const CASES: Case[] = [
  { x: [1, 75, 75, 8], co: 12, pad: 'same', act: 'relu', bias: true },
  { x: [2, 9, 7, 4], co: 8, pad: 'same', act: 'linear', bias: false },
  { x: [3, 10, 13, 16], co: 4, pad: 'valid', act: 'relu', bias: true },
  { x: [2, 6, 6, 12], co: 20, pad: 'same', act: 'sigmoid', bias: true },
  { x: [1, 5, 5, 4], co: 4, pad: 'valid', act: 'relu', bias: false },
];
// The direct kernels and Winograd (where this adapter runs it): the fused path is Winograd's.
// An RGB conv runs through its patch matrix, and so fuses with its pool, where the kernels are
// chosen for a software adapter with a share (plan.ts patchColumns); a GPU's plan runs the two ops.
const RGB_FUSES = hasSgShare() && adapterFacts().software;
const VARIANTS: ConvVariant[] = hasSgShare() ? ['sg', ...CONV_VARIANTS.filter((v) => v.startsWith('wino'))] : ['sg'];

/** Bit patterns: equal values, -0 and +0 told apart, NaNs compared as bits. */
const bits = async (t: Tensor) => Array.from(new Uint32Array((await t.data()).buffer));

describe.each(VARIANTS)('conv2dMaxPool2d on %s', (variant) => {
  test.each(CASES)('x=$x co=$co $pad $act bias=$bias: as conv2d then maxPool2d', async (c) => {
    setConvVariant(variant);
    const x = randomPair(c.x);
    const w = randomPair([3, 3, c.x[3], c.co], -0.3, 0.3);
    const b = c.bias ? randomPair([c.co], -0.3, 0.3) : null;
    const co = { padding: c.pad, activation: c.act };
    const g = conv2dGeometry(c.x, w.t.shape, co);
    const label = `seeds ${x.seed},${w.seed},${b?.seed} ${variant} x=[${c.x}]`;
    expect(convPlan('forward', g).variant, label).toBe(variant);
    const fuses = convPoolFuses(g, pool2dGeometry([g.batch, g.OH, g.OW, g.CO], { poolSize: 2 }));
    const want = noGrad(() => tidy(() => maxPool2d(conv2d(x.t, w.t, b?.t ?? null, co), { poolSize: 2 })));
    dispatcher().resetCounts();
    const got = noGrad(() => conv2dMaxPool2d(x.t, w.t, b?.t ?? null, co, { poolSize: 2 }));
    // Fused: the conv's kernel wrote the pooled map, and no pool pass ran.
    expect(dispatcher().counts.get('maxpool2d_win_forward_vec4_nograd') ?? 0, label).toBe(fuses ? 0 : 1);
    expect(got.shape).toEqual(want.shape);
    expect(await bits(got), label).toEqual(await bits(want));
    for (const t of [x.t, w.t, b?.t, got, want]) t?.dispose();
  });
});

/** Gradients of x, w and b (those given) of sum(y * r). */
async function gradsOf(run: () => Tensor, r: Tensor, params: Tensor[]): Promise<Float32Array[]> {
  for (const t of params) t.grad = null;
  let y: Tensor | null = null;
  tidy(() => {
    y = run();
    backward(sum(mul(y, r)));
  });
  const out = await Promise.all(params.map(async (t) => Float32Array.from(await t.grad!.data())));
  for (const t of params) t.grad!.dispose();
  return out;
}

describe.each(VARIANTS)('conv2dMaxPool2d with a gradient on %s', (variant) => {
  test.each(CASES)('x=$x co=$co $pad $act bias=$bias: the gradients of conv2d then maxPool2d', async (c) => {
    setConvVariant(variant);
    const x = randomPair(c.x);
    const w = randomPair([3, 3, c.x[3], c.co], -0.3, 0.3);
    // Negative biases leave whole blocks below zero after a relu.
    const b = c.bias ? randomPair([c.co], -0.6, 0.3) : null;
    const co = { padding: c.pad, activation: c.act };
    const g = conv2dGeometry(c.x, w.t.shape, co);
    const pg = pool2dGeometry([g.batch, g.OH, g.OW, g.CO], { poolSize: 2 });
    const r = randomPair([g.batch, pg.OH, pg.OW, g.CO]);
    const params = [x.t, w.t, ...(b ? [b.t] : [])];
    for (const t of params) t.requiresGrad = true;
    const label = `seeds ${x.seed},${w.seed},${b?.seed},${r.seed} ${variant} x=[${c.x}] ${c.act}`;
    const want = await gradsOf(() => maxPool2d(conv2d(x.t, w.t, b?.t ?? null, co), { poolSize: 2 }), r.t, params);
    dispatcher().resetCounts();
    const got = await gradsOf(() => conv2dMaxPool2d(x.t, w.t, b?.t ?? null, co, { poolSize: 2 }), r.t, params);
    // Fused where the planner pools in the conv's kernel and the winners carry the activation's
    // gradient: then no pool pass ran forward, and the output transform kept the winners.
    const fuses = convPoolFuses(g, pg) && c.act !== 'sigmoid';
    const counts = dispatcher().counts;
    expect(counts.get('maxpool2d_win_forward_vec4') ?? 0, label).toBe(fuses ? 0 : 1);
    // And where the conv's gradients all run Winograd on unpadded channels, no pool backward
    // either: their transforms read the pool's gradient and winners (winograd_pooled.test.ts
    // checks them bit for bit).
    const pooled = fuses && takesPooledGrad(g, [true, true, !!b], !!b);
    expect(counts.get('maxpool2d_win_backward_vec4') ?? 0, label).toBe(pooled ? 0 : 1);
    expect(counts.get('conv2d_winograd_input_pooled') ?? 0, label).toBe(pooled ? 1 : 0);
    expect(counts.get('conv2d_winograd_grad_pooled') ?? 0, label).toBe(pooled ? 1 : 0);
    got.forEach((v, i) => {
      const worst = v.reduce((m, e, k) => Math.max(m, Math.abs(e - want[i][k])), 0);
      expect(worst, `${['dx', 'dw', 'db'][i]} ${label}`).toBe(0);
    });
    expect(
      got[1].some((v) => v !== 0),
      label,
    ).toBe(true);
    for (const t of [x.t, w.t, b?.t, r.t]) t?.dispose();
  });
});

// The RGB pair (3 channels: the conv runs through its patch matrix) as one pooled patch product,
// where x needs no gradient (an image): the same pooled values bit for bit (the same rows, in
// window order) or, where the window kernel runs instead (conv_window_pool.ts: no patch matrix,
// its own order of the taps' sum), up to rounding; and the weight and bias gradients of the two
// recorded ops up to the order of the weight gradient's sum over rows.
const RGB: Case[] = [
  { x: [2, 11, 13, 3], co: 8, pad: 'valid', act: 'relu', bias: true },
  { x: [1, 16, 14, 3], co: 12, pad: 'same', act: 'linear', bias: true },
  { x: [3, 7, 9, 3], co: 4, pad: 'valid', act: 'relu', bias: false },
  { x: [1, 8, 8, 3], co: 8, pad: 'same', act: 'sigmoid', bias: true },
  // The window kernel's shapes (valid, x in whole vec4s: conv_window_pool.ts windowPoolFits).
  { x: [2, 9, 14, 3], co: 8, pad: 'valid', act: 'relu', bias: true },
  { x: [4, 12, 10, 3], co: 32, pad: 'valid', act: 'linear', bias: false },
];

describe('conv2dMaxPool2d on RGB with a gradient', () => {
  test.each(RGB)('x=$x co=$co $pad $act bias=$bias: as conv2d then maxPool2d', async (c) => {
    const x = randomPair(c.x);
    const w = randomPair([3, 3, 3, c.co], -0.3, 0.3);
    const b = c.bias ? randomPair([c.co], -0.6, 0.3) : null;
    const co = { padding: c.pad, activation: c.act };
    const g = conv2dGeometry(c.x, w.t.shape, co);
    const pg = pool2dGeometry([g.batch, g.OH, g.OW, g.CO], { poolSize: 2 });
    const r = randomPair([g.batch, pg.OH, pg.OW, g.CO]);
    const params = [w.t, ...(b ? [b.t] : [])];
    for (const t of params) t.requiresGrad = true;
    const label = `seeds ${x.seed},${w.seed},${b?.seed},${r.seed} x=[${c.x}] ${c.act}`;
    const two = () => maxPool2d(conv2d(x.t, w.t, b?.t ?? null, co), { poolSize: 2 });
    const one = () => conv2dMaxPool2d(x.t, w.t, b?.t ?? null, co, { poolSize: 2 });
    const fused = RGB_FUSES && c.act !== 'sigmoid';
    // With no gradient to come the window kernel runs where it fits, summing the taps in its own
    // order: not the patch product's rounding.
    const window = fused && windowPoolFits(g, c.act);
    const wantY = noGrad(() => tidy(two));
    dispatcher().resetCounts();
    const gotY = noGrad(one);
    expect(dispatcher().counts.get('conv2d_window_pool') ?? 0, label).toBe(window ? 1 : 0);
    // Unfused without a gradient, the pair runs conv2dMaxPoolRaw's channel-padded conv: not the
    // patch product's rounding.
    if (fused && !window) expect(await bits(gotY), label).toEqual(await bits(wantY));
    else expectClose(await gotY.data(), await wantY.data(), { label });
    const want = await gradsOf(two, r.t, params);
    dispatcher().resetCounts();
    const got = await gradsOf(one, r.t, params);
    // With the weight gradient to come: the patch product, whose patches the backward takes.
    expect(dispatcher().counts.get('conv2d_forward_sg_pool') ?? 0, label).toBe(fused ? 1 : 0);
    expect(dispatcher().counts.get('conv2d_window_pool') ?? 0, label).toBe(0);
    expect(dispatcher().counts.get('maxpool2d_win_forward_vec4') ?? 0, label).toBe(fused ? 0 : 1);
    // Its backward: the weight kernel reads dy and the winners (or, off the sg kernel, the rows'
    // dz written from them): patch_pooled_grad.test.ts checks that bit for bit.
    const rowsWays = ['conv2d_backward_weight_sg_pooled', 'maxpool2d_rows_backward'];
    expect(
      rowsWays.map((k) => dispatcher().counts.get(k) ?? 0).reduce((a, n) => a + n),
      label,
    ).toBe(fused ? 1 : 0);
    got.forEach((v, i) => {
      const top = want[i].reduce((m, e) => Math.max(m, Math.abs(e)), 0);
      expectClose(v, want[i], { rtol: 1e-4, atol: 1e-5 * top, label: `${['dw', 'db'][i]} ${label}` });
    });
    expect(
      got[0].some((v) => v !== 0),
      label,
    ).toBe(true);
    for (const t of [x.t, w.t, b?.t, r.t, gotY, wantY]) t?.dispose();
  });
});

test.skipIf(!RGB_FUSES)(
  skipNote(
    'a frozen RGB kernel with a trainable bias: the window kernel, then the patches in the backward',
    RGB_FUSES,
    hasSgShare() ? 'kernels are chosen for a GPU here, whose plan has no window kernel' : 'no sg share here',
  ),
  async () => {
    const x = randomPair([2, 9, 14, 3]);
    const w = randomPair([3, 3, 3, 8], -0.3, 0.3);
    const b = randomPair([8], -0.6, 0.3);
    const co = { padding: 'valid' as const, activation: 'relu' as const };
    const r = randomPair([2, 3, 6, 8]);
    const label = `seeds ${x.seed},${w.seed},${b.seed},${r.seed}`;
    b.t.requiresGrad = true;
    const two = () => maxPool2d(conv2d(x.t, w.t, b.t, co), { poolSize: 2 });
    const [want] = await gradsOf(two, r.t, [b.t]);
    dispatcher().resetCounts();
    const [got] = await gradsOf(() => conv2dMaxPool2d(x.t, w.t, b.t, co, { poolSize: 2 }), r.t, [b.t]);
    expect(dispatcher().counts.get('conv2d_window_pool'), label).toBe(1);
    expect(dispatcher().counts.get('conv2d_patches_windows'), label).toBe(1);
    expectClose(got, want, { rtol: 1e-4, atol: 1e-5, label: `db ${label}` });
    expect(
      got.some((v) => v !== 0),
      label,
    ).toBe(true);
    for (const t of [x.t, w.t, b.t, r.t]) t.dispose();
  },
);

test('with a gradient to come it is the recorded conv2d then maxPool2d', async () => {
  const x = randomPair([2, 8, 8, 4]);
  const w = randomPair([3, 3, 4, 8], -0.3, 0.3);
  w.t.requiresGrad = true;
  const o = { padding: 'same' as const, activation: 'relu' as const };
  const y = conv2dMaxPool2d(x.t, w.t, null, o, { poolSize: 2 });
  expect(y.requiresGrad).toBe(true);
  tidy(() => backward(sum(y)));
  const dw = await w.t.grad!.data();
  w.t.grad!.dispose();
  w.t.grad = null;
  tidy(() => backward(sum(maxPool2d(conv2d(x.t, w.t, null, o), { poolSize: 2 }))));
  expect(Array.from(await w.t.grad!.data())).toEqual(Array.from(dw));
  for (const t of [x.t, w.t, w.t.grad!, y]) t.dispose();
});

test('a Sequential under noGrad: Conv2D + MaxPooling2D pairs give the layers one by one', async () => {
  const model = new Sequential({
    layers: [
      new Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [11, 11, 4] }),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2 }),
    ],
  });
  const x = randomPair([3, 11, 11, 4]);
  for (const variant of VARIANTS) {
    setConvVariant(variant);
    dispatcher().resetCounts();
    const got = noGrad(() => model.apply(x.t, { training: false }));
    // On Winograd both pairs run fused: no pool pass.
    const pools = dispatcher().counts.get('maxpool2d_win_forward_vec4_nograd') ?? 0;
    expect(pools, variant).toBe(variant.startsWith('wino') ? 0 : 2);
    const want = noGrad(() => tidy(() => model.layers.reduce((h, l) => l.apply(h, { training: false }), x.t)));
    expect(got.shape).toEqual([3, 2, 2, 12]);
    expect(await bits(got), `${variant} seed ${x.seed}`).toEqual(await bits(want));
    got.dispose();
    want.dispose();
  }
  x.t.dispose();
  model.dispose();
});
