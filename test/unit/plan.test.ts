// The kernel planner (src/kernels/plan.ts) on made-up adapters, no GPU: each branch of the variant
// choice (forced, GEMM core forced, tuned, per-adapter default, Winograd), the channel padding
// per op, the tuning key (one for saving and lookup, RGB backward ops included), the GEMM core
// and split, the weight gradient's pixel split, the staging precision, the dense products, and
// how code overrides and DAWNFLOW_* settings combine.
import { afterEach, describe, expect, test } from 'vitest';
import type { ConvGeometry, ConvOp, ConvVariant } from '../../src/kernels/conv_types.js';
import {
  denseAsConv,
  paddedGeometry,
  patchColumns,
  planConv,
  planDense,
  planKey,
  tuningCandidates,
  type PlanInputs,
} from '../../src/kernels/plan.js';
import { planSettings, setConvVariant, setGemmVariant, setTexturePrecision } from '../../src/kernels/plan_context.js';
import { legalVariants, winogradFits, winogradGeometry, winogradTiles } from '../../src/kernels/plan_legal.js';
import { gemmCore, planGemm, planTexWeight } from '../../src/kernels/plan_split.js';
import type { AdapterFacts, DenseRequest, KernelPlan, PlanSettings } from '../../src/kernels/plan_types.js';
import { conv2dGeometry } from '../../src/ops/conv2d.js';
import { adapterLanes, emulatedShare, sgGrid, sgTaskGrid } from '../../src/kernels/sg_lanes.js';
import { type WinoPlan, winogradGemmKernels } from '../../src/kernels/winograd.js';

const LAVAPIPE: AdapterFacts = {
  software: true,
  sgShare: { lanes: 8, via: 'subgroup', wide: false },
  halfStorage: true,
  maxBinding: 2 ** 31,
  maxTexture2D: 16384,
  maxWorkgroupsPerDimension: 65535,
};
const NO_SG = { ...LAVAPIPE, sgShare: null };
const GPU = { ...LAVAPIPE, software: false, sgShare: null };
// NVIDIA (32 lanes), AMD RDNA (32 or 64 lanes).
const NVIDIA = { ...GPU, sgShare: adapterLanes(true, 32, 32) };
const RDNA = { ...GPU, sgShare: adapterLanes(true, 32, 64) };
const DEFAULTS: PlanSettings = { conv: null, gemm: null, precision: 'f32', emulateLanes: null };

function inputs(facts = LAVAPIPE, settings: Partial<PlanSettings> = {}, choice?: ConvVariant): PlanInputs {
  return { facts, settings: { ...DEFAULTS, ...settings }, tuned: choice && { choice, ms: {} } };
}

const geom = (x: number[], w: number[], strides = 1, padding: 'same' | 'valid' = 'same') =>
  conv2dGeometry(x, w, { strides, padding });
const plan = (op: ConvOp, g: ConvGeometry, inp = inputs()): KernelPlan => planConv({ kind: 'conv', op, g }, inp);

const SMALL = geom([1, 9, 9, 8], [3, 3, 8, 8]);
const RGB = geom([2, 9, 9, 3], [3, 3, 3, 8]);
const VGG_B2 = geom([4, 75, 75, 64], [3, 3, 64, 128]);

describe('legal variants', () => {
  test('texel-wide channels for textures; tex forward only; sg needs 8-lane subgroups', () => {
    expect(legalVariants('forward', SMALL, LAVAPIPE)).toEqual(['gemm', 'tex', 'sg', 'wino', 'wino4']);
    expect(legalVariants('forward', SMALL, NO_SG)).toEqual(['gemm', 'tex']);
    expect(legalVariants('backward_input', SMALL, LAVAPIPE)).toEqual(['gemm', 'sg', 'wino', 'wino4']);
    expect(legalVariants('backward_weight', SMALL, LAVAPIPE)).toEqual(['gemm', 'sg', 'wino', 'wino4']);
    expect(legalVariants('forward', RGB, LAVAPIPE)).toEqual(['gemm']);
    expect(legalVariants('forward', geom([1, 9, 9, 8], [3, 3, 8, 6]), LAVAPIPE)).toEqual(['gemm']);
  });

  test('the weight gradient needs 8-row blocks of input channels', () => {
    expect(legalVariants('backward_weight', geom([1, 9, 9, 12], [3, 3, 12, 8]), LAVAPIPE)).toEqual(['gemm']);
  });

  test('wino, wino4: 3x3 stride-1 forwards and input gradients whose transformed operands fit', () => {
    for (const op of ['forward', 'backward_input'] as const) {
      expect(legalVariants(op, geom([1, 9, 9, 8], [3, 3, 8, 8], 2), LAVAPIPE)).toEqual(
        op === 'forward' ? ['gemm', 'tex', 'sg'] : ['gemm', 'sg'],
      );
      expect(legalVariants(op, geom([1, 9, 9, 8], [5, 5, 8, 8]), LAVAPIPE)).not.toContain('wino');
    }
    for (const m of [2, 4] as const) {
      const big = geom([8, 150, 150, 512], [3, 3, 512, 8]);
      expect(winogradFits(big, { ...LAVAPIPE, maxBinding: 2 ** 27 }, m)).toBe(false);
      expect(winogradFits(big, { ...LAVAPIPE, maxBinding: 2 ** 40, maxTexture2D: 2 ** 20 }, m)).toBe(true);
    }
    // 36 slabs of 2.25x fewer tiles: F(4x4)'s V is 9/16 of F(2x2)'s.
    const g = geom([4, 150, 150, 64], [3, 3, 64, 64]);
    const floats = (m: 2 | 4) => (m + 2) ** 2 * winogradTiles(g, m) * 64 * 4;
    expect(winogradFits(g, { ...LAVAPIPE, maxBinding: floats(4) }, 4)).toBe(true);
    expect(winogradFits(g, { ...LAVAPIPE, maxBinding: floats(4) }, 2)).toBe(false);
    expect(floats(4) / floats(2)).toBeCloseTo((36 * 38 * 38) / (16 * 75 * 75), 10);
    // The product's grid as the kernel launches it: groups of 8 lanes own 4 blocks of 8 tiles;
    // 64 output channels (16 vec4s) take 2 of a workgroup's 8 groups across, so 4 sit down it:
    // 128 tiles per workgroup.
    const fitsIn = (limit: number) => winogradFits(g, { ...LAVAPIPE, maxWorkgroupsPerDimension: limit }, 2);
    const T = winogradTiles(g, 2);
    expect(fitsIn(Math.ceil(T / 128))).toBe(true);
    expect(fitsIn(Math.ceil(T / 128) - 1)).toBe(false);
  });

  test('the input gradient runs as the forward of dz by the rotated kernel', () => {
    const same = geom([2, 9, 7, 8], [3, 3, 8, 12]);
    expect(winogradGeometry('backward_input', same)).toMatchObject({
      H: 9,
      W: 7,
      CI: 12,
      OH: 9,
      OW: 7,
      CO: 8,
      PT: 1,
      PL: 1,
    });
    const valid = geom([2, 9, 7, 8], [3, 3, 8, 12], 1, 'valid');
    expect(winogradGeometry('backward_input', valid)).toMatchObject({
      H: 7,
      W: 5,
      CI: 12,
      OH: 9,
      OW: 7,
      CO: 8,
      PT: 2,
      PL: 2,
    });
    expect(winogradGeometry('forward', valid)).toBe(valid);
  });
});

describe('the patch matrix (RGB layers as a 1x1 conv of their patches)', () => {
  test('software adapters with a share, input channels not whole texels, at most 63 taps', () => {
    expect(patchColumns(RGB, inputs())).toBe(32); // 27 taps + the ones column, in 8s
    expect(patchColumns(geom([1, 9, 9, 1], [3, 3, 1, 8]), inputs())).toBe(16);
    expect(patchColumns(geom([1, 9, 9, 5], [3, 3, 5, 8]), inputs())).toBe(48);
    expect(patchColumns(geom([1, 9, 9, 7], [3, 3, 7, 8]), inputs())).toBe(64);
    expect(patchColumns(geom([1, 9, 9, 3], [5, 5, 3, 8]), inputs())).toBeNull(); // 76 columns
    expect(patchColumns(SMALL, inputs())).toBeNull();
    expect(patchColumns(RGB, inputs(GPU))).toBeNull();
    expect(patchColumns(RGB, inputs(NO_SG))).toBeNull();
  });

  test('a forced variant or GEMM core runs the layer itself; an emulated share takes patches', () => {
    expect(patchColumns(RGB, inputs(LAVAPIPE, { conv: 'sg' }))).toBeNull();
    expect(patchColumns(RGB, inputs(LAVAPIPE, { gemm: 'tiled' }))).toBeNull();
    expect(patchColumns(RGB, inputs(NO_SG, { emulateLanes: 16 }))).toBe(32);
  });
});

describe("the weight gradient's groups take (row unit, pixel chunk) tasks in turn", () => {
  const sg8 = LAVAPIPE.sgShare!;
  test('z is the workgroups the tasks fill; x the columns, as sgGrid', () => {
    // 32 patch columns (1 unit of 4 blocks) x 32 filters: 1 group across, 8 down; 86 chunks.
    expect(sgTaskGrid(sg8, 8, 1, 86)).toEqual([1, 1, 11]);
    // conv2d_2 (3x3x32 rows: 9 units) x 64 filters: 2 across, 4 down; 21 chunks.
    expect(sgTaskGrid(sg8, 16, 9, 21)).toEqual([1, 1, 48]);
    // 512 filters: 8 groups across (all), 2 workgroups of them; a task per workgroup.
    expect(sgTaskGrid(sg8, 128, 144, 3)).toEqual([2, 1, 432]);
    expect(sgTaskGrid(emulatedShare(64), 8, 1, 5)).toEqual([1, 1, 5]);
    expect(sgGrid(sg8, 16, 9, 4)[0]).toBe(sgTaskGrid(sg8, 16, 9, 21)[0]);
  });
});

describe('the sg share: the lane grouping an adapter guarantees, else the fallback', () => {
  test('L is the smallest subgroup size, 8 to 64; wide where subgroups may be larger', () => {
    expect(adapterLanes(true, 8, 8)).toEqual({ lanes: 8, via: 'subgroup', wide: false });
    expect(adapterLanes(true, 32, 32)).toEqual({ lanes: 32, via: 'subgroup', wide: false });
    expect(adapterLanes(true, 32, 64)).toEqual({ lanes: 32, via: 'subgroup', wide: true });
    expect(adapterLanes(true, 8, 32)).toEqual({ lanes: 8, via: 'subgroup', wide: true });
    expect(adapterLanes(true, 64, 64)).toEqual({ lanes: 64, via: 'subgroup', wide: false });
    // Too small for a group of 8, or too large for whole subgroups in a 64-invocation workgroup.
    expect(adapterLanes(true, 4, 16)).toBeNull();
    expect(adapterLanes(true, 64, 128)).toBeNull();
    expect(adapterLanes(false, 8, 8)).toBeNull();
    expect(adapterLanes(true, undefined, undefined)).toBeNull();
  });

  test("the Winograd products' trip count is a pipeline constant on a real share, not the emulated one", () => {
    const p = { g: { CI: 64 } } as WinoPlan;
    expect(winogradGemmKernels.of(LAVAPIPE.sgShare!).constants?.(p)).toEqual({ LOOP_C4: 16 });
    expect(winogradGemmKernels.of(NVIDIA.sgShare!).constants?.(p)).toEqual({ LOOP_C4: 16 });
    // The emulation (tests only) reads it from the uniforms: one pipeline per share, not per shape.
    expect(winogradGemmKernels.of(emulatedShare(16)).constants?.(p)).toEqual({});
  });

  test('the plan carries the share: the adapter own, an emulated one where asked, none for tex', () => {
    expect(plan('forward', SMALL)).toMatchObject({ variant: 'sg', share: LAVAPIPE.sgShare });
    expect(plan('forward', SMALL, inputs(NVIDIA, { conv: 'sg' }))).toMatchObject({ share: NVIDIA.sgShare });
    expect(plan('backward_weight', SMALL, inputs(RDNA, { conv: 'sg' }))).toMatchObject({ share: RDNA.sgShare });
    expect(plan('forward', SMALL, inputs(LAVAPIPE, { conv: 'tex' }))).toMatchObject({ share: null });
    // Emulation makes sg and wino legal on any adapter, keyed as the adapter's own.
    const emu = inputs(GPU, { conv: 'wino', emulateLanes: 16 });
    expect(plan('forward', SMALL, emu)).toMatchObject({ variant: 'wino', share: emulatedShare(16) });
    expect(plan('forward', SMALL, emu).key).toBe(plan('forward', SMALL, inputs(GPU)).key);
  });

  test('no share: sg and wino fall back to tex (forward) and gemm (gradients)', () => {
    const noShare = inputs(GPU, { conv: 'wino' });
    expect(plan('forward', SMALL, noShare).variant).toBe('tex');
    expect(plan('backward_input', SMALL, noShare).variant).toBe('gemm');
    expect(plan('backward_weight', SMALL, noShare).variant).toBe('gemm');
  });

  test('the key names the share, so a choice measured at one lane count is not used at another', () => {
    const r = { kind: 'conv', op: 'forward', g: SMALL } as const;
    expect(planKey(r, LAVAPIPE)).toBe('forward 1x9x9x8 k3x3x8 s1x1 p1x1 sg8');
    expect(planKey(r, RDNA)).toBe('forward 1x9x9x8 k3x3x8 s1x1 p1x1 sg32w');
    expect(planKey(r, GPU)).toBe('forward 1x9x9x8 k3x3x8 s1x1 p1x1');
  });
});

describe('the variant', () => {
  test('defaults: software adapters take the fastest texture kernel, Winograd where it pays; GPUs gemm', () => {
    expect(plan('forward', SMALL)).toMatchObject({ variant: 'sg', reason: 'default' });
    expect(plan('forward', SMALL, inputs(NO_SG))).toMatchObject({ variant: 'tex', reason: 'default' });
    for (const op of ['forward', 'backward_input'] as const) {
      expect(plan(op, geom([1, 9, 9, 512], [3, 3, 512, 512])).variant).toBe('wino'); // 9 tiles of 4x4
      expect(plan(op, geom([4, 150, 150, 64], [3, 3, 64, 64])).variant).toBe('wino4');
      expect(plan(op, geom([1, 9, 9, 64], [3, 3, 64, 64])).variant).toBe('sg'); // too little work
      expect(plan(op, geom([4, 75, 75, 64], [3, 3, 64, 128], 2)).variant).toBe('sg'); // stride 2
      expect(plan(op, SMALL).variant).toBe('sg');
    }
    // F(4x4) from 100 tiles: VGG16's blocks 1-4 at 150x150, batch 4, not 5 (36 tiles).
    expect(plan('forward', geom([4, 37, 37, 256], [3, 3, 256, 256])).variant).toBe('wino4');
    expect(plan('forward', geom([4, 18, 18, 256], [3, 3, 256, 512])).variant).toBe('wino4');
    expect(plan('forward', geom([4, 9, 9, 512], [3, 3, 512, 512])).variant).toBe('wino');
    expect(plan('backward_input', geom([4, 9, 9, 512], [3, 3, 512, 512])).variant).toBe('wino');
    // Not with f16 staging (its error grows ~15x in F(4x4)), unless forced.
    const f16 = inputs(LAVAPIPE, { precision: 'f16' });
    expect(plan('forward', geom([4, 150, 150, 64], [3, 3, 64, 64]), f16).variant).toBe('wino');
    expect(plan('backward_input', geom([4, 150, 150, 64], [3, 3, 64, 64]), f16).variant).toBe('wino');
    const forced = inputs(LAVAPIPE, { precision: 'f16', conv: 'wino4' });
    expect(plan('forward', geom([4, 150, 150, 64], [3, 3, 64, 64]), forced).variant).toBe('wino4');
    expect(plan('forward', geom([4, 18, 18, 512], [3, 3, 512, 512]), f16).variant).toBe('wino');
    // The input gradient's geometry decides: few output channels (dx's) make it not pay.
    expect(plan('backward_input', geom([4, 150, 150, 4], [3, 3, 4, 64])).variant).toBe('sg');
    // Weight gradients: F(4x4) from 64 tiles (WINO4_WEIGHT_MIN_TILES), never under f16 staging.
    expect(plan('backward_weight', geom([4, 150, 150, 64], [3, 3, 64, 64])).variant).toBe('wino4');
    expect(plan('backward_weight', geom([4, 17, 17, 128], [3, 3, 128, 128], 1, 'valid')).variant).toBe('wino4');
    // 36 tiles of F(4x4), 100 of F(2x2): F(2x2); half as many, the direct kernel.
    expect(plan('backward_weight', geom([4, 9, 9, 512], [3, 3, 512, 512])).variant).toBe('wino');
    expect(plan('backward_weight', geom([2, 9, 9, 512], [3, 3, 512, 512])).variant).toBe('sg');
    expect(plan('backward_weight', geom([4, 150, 150, 64], [3, 3, 64, 64]), f16).variant).toBe('sg');
    expect(plan('forward', SMALL, inputs(GPU))).toMatchObject({ variant: 'gemm', reason: 'default' });
  });

  test('F(4x4) alone with 32 channels on a side: 32 -> 64 with many tiles (the scratch convnet)', () => {
    // conv2d_2 of the from-scratch convnet: 74x74 'valid', batch 4, 1296 tiles of 4x4; the input
    // gradient's geometry is 64 -> 32.
    const scratch2 = geom([4, 74, 74, 32], [3, 3, 32, 64], 1, 'valid');
    for (const op of ['forward', 'backward_input'] as const) {
      expect(plan(op, scratch2)).toMatchObject({ variant: 'wino4', reason: 'default' });
      // Not F(2x2), which did not pay there: f16 staging keeps sg.
      expect(plan(op, scratch2, inputs(LAVAPIPE, { precision: 'f16' })).variant).toBe('sg');
      // Too few tiles, 32 on both sides, or fewer than 32 channels: sg.
      expect(plan(op, geom([8, 38, 38, 32], [3, 3, 32, 64], 1, 'valid')).variant).toBe('sg');
      expect(plan(op, geom([4, 74, 74, 32], [3, 3, 32, 32], 1, 'valid')).variant).toBe('sg');
      expect(plan(op, geom([4, 74, 74, 16], [3, 3, 16, 64], 1, 'valid')).variant).toBe('sg');
    }
    expect(plan('backward_weight', scratch2).variant).toBe('wino4');
  });

  test('a forced variant where legal, else the next legal one down', () => {
    const forced = (conv: ConvVariant) => inputs(LAVAPIPE, { conv });
    expect(plan('forward', SMALL, forced('tex'))).toMatchObject({ variant: 'tex', reason: 'forced' });
    expect(plan('forward', geom([1, 9, 9, 8], [3, 3, 8, 8], 2), forced('wino')).variant).toBe('sg');
    expect(plan('backward_input', SMALL, forced('tex')).variant).toBe('gemm');
    expect(plan('forward', SMALL, inputs(GPU, { conv: 'sg' })).variant).toBe('tex');
  });

  test('a forced GEMM core forces gemm; a forced variant still wins', () => {
    const naive = inputs(LAVAPIPE, { gemm: 'naive' });
    expect(plan('forward', SMALL, naive)).toMatchObject({ variant: 'gemm', reason: 'forced', gemm: { core: 'naive' } });
    expect(plan('forward', SMALL, inputs(LAVAPIPE, { gemm: 'naive', conv: 'sg' })).variant).toBe('sg');
  });

  test('a tuned choice beats the default where legal, and nothing where it is not', () => {
    expect(plan('forward', SMALL, inputs(LAVAPIPE, {}, 'tex'))).toMatchObject({ variant: 'tex', reason: 'tuned' });
    expect(plan('forward', SMALL, inputs(GPU, {}, 'tex'))).toMatchObject({ variant: 'tex', reason: 'tuned' });
    expect(plan('forward', SMALL, inputs(NO_SG, {}, 'wino'))).toMatchObject({ variant: 'tex', reason: 'default' });
    expect(plan('forward', SMALL, inputs(LAVAPIPE, { conv: 'gemm' }, 'tex')).variant).toBe('gemm');
  });
});

describe('channel padding', () => {
  test('RGB pads to 4 channels for the forward and backward-input, to 8 for the weight gradient', () => {
    for (const [op, to] of [
      ['forward', 4],
      ['backward_input', 4],
      ['backward_weight', 8],
    ] as const) {
      const p = plan(op, RGB);
      expect(p.variant, op).toBe('sg');
      if (p.variant === 'gemm') continue;
      expect(p.padding, op).toEqual({ from: 3, to });
      expect(p.g, op).toEqual({ ...RGB, CI: to });
    }
    const p12 = plan('backward_weight', geom([1, 9, 9, 12], [3, 3, 12, 8]));
    expect(p12.variant === 'sg' && p12.padding).toEqual({ from: 12, to: 16 });
  });

  test('the GEMM core runs the original channels; aligned channels are never padded', () => {
    const p = plan('forward', RGB, inputs(GPU));
    expect(p).toMatchObject({ variant: 'gemm', g: RGB });
    expect('padding' in p).toBe(false);
    const q = plan('forward', SMALL);
    expect(q.variant !== 'gemm' && q.padding).toBeNull();
    expect(paddedGeometry('backward_weight', SMALL)).toBe(SMALL);
  });
});

describe('the tuning key', () => {
  test('one key for saving and lookup: the plan carries the key its tuned entry is read under', () => {
    for (const op of ['forward', 'backward_input', 'backward_weight'] as const) {
      for (const g of [SMALL, RGB, VGG_B2]) {
        const r = { kind: 'conv', op, g } as const;
        const { key, variants } = tuningCandidates(r, LAVAPIPE);
        expect(planKey(r, LAVAPIPE)).toBe(key);
        expect(plan(op, g).key).toBe(key);
        // Every candidate the tuner times is what the plan runs when forced.
        for (const v of variants) expect(plan(op, g, inputs(LAVAPIPE, { conv: v })).variant).toBe(v);
      }
    }
  });

  test('an RGB backward op is keyed (and tuned) on its padded channels, as the forward is', () => {
    const key = (op: ConvOp) => planKey({ kind: 'conv', op, g: RGB }, GPU);
    expect(key('forward')).toBe('forward 2x9x9x4 k3x3x8 s1x1 p1x1');
    expect(key('backward_input')).toBe('backward_input 2x9x9x4 k3x3x8 s1x1 p1x1');
    expect(key('backward_weight')).toBe('backward_weight 2x9x9x8 k3x3x8 s1x1 p1x1');
    const candidates = tuningCandidates({ kind: 'conv', op: 'backward_weight', g: RGB }, LAVAPIPE);
    expect(candidates.variants).toEqual(['gemm', 'sg', 'wino', 'wino4']);
    // A tuned gemm for the RGB backward ops is used: no padding, the GEMM core.
    for (const op of ['backward_input', 'backward_weight'] as const) {
      expect(plan(op, RGB, inputs(LAVAPIPE, {}, 'gemm'))).toMatchObject({ variant: 'gemm', reason: 'tuned', g: RGB });
    }
  });

  test('shapes differing in any field the speed depends on have different keys', () => {
    const keys = [
      SMALL,
      geom([2, 9, 9, 8], [3, 3, 8, 8]),
      geom([1, 9, 9, 8], [3, 3, 8, 8], 2),
      geom([1, 9, 9, 8], [3, 3, 8, 8], 1, 'valid'),
      geom([1, 9, 9, 8], [3, 3, 8, 12]),
    ].map((g) => planKey({ kind: 'conv', op: 'forward', g }, LAVAPIPE));
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('GEMM core and splits', () => {
  test('naive for skinny products (<= 32 rows), else tiled, unless forced', () => {
    expect(gemmCore(32, null)).toBe('naive');
    expect(gemmCore(33, null)).toBe('tiled');
    expect(gemmCore(4, 'tiled')).toBe('tiled');
  });

  test('K is split until the adapter has enough tiles: 8 on software adapters, 256 on GPUs', () => {
    // One 64x64 tile summed over 4x75x75 positions: split 8 ways, or down to 512-long chunks.
    expect(planGemm(64, 64, 22500, 'tiled', { software: true })).toMatchObject({ S: 8, kChunk: 2816 });
    expect(planGemm(64, 64, 22500, 'tiled', { software: false })).toMatchObject({ S: 44, kChunk: 512 });
    // A 3x3x64x64 weight gradient's 9 tiles already fill a software adapter.
    expect(planGemm(576, 64, 22500, 'tiled', { software: true })).toMatchObject({ S: 1, kChunk: 22512 });
    expect(planGemm(4096, 4096, 64, 'tiled', { software: false })).toMatchObject({ S: 1, kChunk: 64 });
    const p = plan('backward_weight', VGG_B2, inputs(GPU));
    expect(p.variant === 'gemm' && p.gemm).toMatchObject({ M: 576, N: 128, K: 4 * 75 * 75, core: 'tiled' });
  });

  test('the sg weight gradient splits its pixel sum; other texture plans do not split', () => {
    const p = plan('backward_weight', VGG_B2, inputs(LAVAPIPE, { conv: 'sg' }));
    expect(p.variant === 'sg' && p.split).toEqual(planTexWeight(VGG_B2, LAVAPIPE.maxBinding));
    const f = plan('forward', VGG_B2);
    expect(f.variant !== 'gemm' && f.split).toBeNull();
    // Within half a binding: 2 * 4 * M * CO bytes per split.
    expect(planTexWeight(VGG_B2, 4 << 20).S).toBe(7);
  });
});

describe('staging precision', () => {
  test('f16 where asked for and the device can write rgba16float, else f32', () => {
    const p = (facts: AdapterFacts, precision: 'f16' | 'f32') => plan('forward', SMALL, inputs(facts, { precision }));
    expect(p(LAVAPIPE, 'f16')).toMatchObject({ precision: 'f16' });
    expect(p({ ...LAVAPIPE, halfStorage: false }, 'f16')).toMatchObject({ precision: 'f32' });
    expect(p(LAVAPIPE, 'f32')).toMatchObject({ precision: 'f32' });
    expect('precision' in plan('forward', SMALL, inputs(GPU, { precision: 'f16' }))).toBe(false);
  });
});

describe('dense products', () => {
  const dense = (M: number, N: number, K: number, o: Partial<DenseRequest> = {}): DenseRequest => ({
    kind: 'dense',
    M,
    N,
    K,
    transA: false,
    transB: false,
    epilogue: false,
    ...o,
  });

  test('X.W, dZ.W^T and X^T.dZ are a 1x1 conv forward, backward-input and backward-weight', () => {
    expect(denseAsConv(dense(20, 256, 8192))).toMatchObject({ op: 'forward', g: { batch: 20, CI: 8192, CO: 256 } });
    expect(denseAsConv(dense(20, 8192, 256, { transB: true }))).toMatchObject({
      op: 'backward_input',
      g: { batch: 20, CI: 8192, CO: 256 },
    });
    expect(denseAsConv(dense(8192, 256, 20, { transA: true }))).toMatchObject({
      op: 'backward_weight',
      g: { batch: 20, CI: 8192, CO: 256 },
    });
    expect(denseAsConv(dense(4, 4, 4, { transA: true, transB: true }))).toBeNull();
    expect(denseAsConv(dense(4, 4, 4, { transB: true, epilogue: true }))).toBeNull();
  });

  test('texture kernels where legal, never padded; else the GEMM core on the product itself', () => {
    expect(planDense(dense(20, 256, 8192), inputs())).toMatchObject({ variant: 'sg', dense: true, padding: null });
    const dw = planDense(dense(8192, 256, 20, { transA: true }), inputs());
    expect(dw).toMatchObject({ variant: 'sg', op: 'backward_weight', split: { S: 1 } });
    const odd = planDense(dense(20, 1, 8192), inputs());
    expect(odd).toMatchObject({ variant: 'gemm', gemm: { M: 20, N: 1, K: 8192, core: 'naive' } });
    const both = planDense(dense(64, 8, 16, { transA: true, transB: true }), inputs());
    expect(both).toEqual({ variant: 'gemm', op: null, gemm: planGemm(64, 8, 16, 'tiled', LAVAPIPE) });
    expect(planKey(dense(64, 8, 16, { transA: true, transB: true }), LAVAPIPE)).toBeNull();
    expect(planDense(dense(20, 256, 8192), inputs(GPU)).variant).toBe('gemm');
  });

  test('a forward over at most 8 rows runs tex on software adapters (sg would be one workgroup)', () => {
    for (const M of [1, 4, 8]) {
      expect(planDense(dense(M, 256, 8192), inputs())).toMatchObject({
        variant: 'tex',
        reason: 'default',
        share: null,
      });
    }
    expect(planDense(dense(16, 256, 8192), inputs()).variant).toBe('sg');
    // Only the forward has a tex kernel; the backward ops keep sg.
    expect(planDense(dense(4, 8192, 256, { transB: true }), inputs()).variant).toBe('sg');
    expect(planDense(dense(8192, 256, 4, { transA: true }), inputs()).variant).toBe('sg');
    // A conv over few pixels alike; forced, tuned and GPU choices are untouched.
    expect(plan('forward', geom([2, 2, 2, 8], [3, 3, 8, 8]))).toMatchObject({ variant: 'tex', reason: 'default' });
    expect(planDense(dense(4, 256, 8192), inputs(LAVAPIPE, {}, 'sg'))).toMatchObject({
      variant: 'sg',
      reason: 'tuned',
    });
    expect(planDense(dense(4, 256, 8192), inputs(LAVAPIPE, { conv: 'sg' })).variant).toBe('sg');
    expect(planDense(dense(4, 256, 8192), inputs(GPU)).variant).toBe('gemm');
  });
});

describe('settings: code overrides and DAWNFLOW_* combined', () => {
  const saved = { conv: process.env.DAWNFLOW_CONV, gemm: process.env.DAWNFLOW_GEMM, f16: process.env.DAWNFLOW_F16 };
  afterEach(() => {
    setConvVariant(null);
    setGemmVariant(null);
    setTexturePrecision(null);
    for (const [k, v] of [
      ['DAWNFLOW_CONV', saved.conv],
      ['DAWNFLOW_GEMM', saved.gemm],
      ['DAWNFLOW_F16', saved.f16],
    ]) {
      if (v === undefined) delete process.env[k!];
      else process.env[k!] = v;
    }
  });

  test('the environment, then code over it; a forced core overrides DAWNFLOW_CONV only', () => {
    delete process.env.DAWNFLOW_GEMM;
    process.env.DAWNFLOW_CONV = 'tex';
    process.env.DAWNFLOW_F16 = '1';
    expect(planSettings()).toEqual({ conv: 'tex', gemm: null, precision: 'f16', emulateLanes: null });
    setTexturePrecision('f32');
    expect(planSettings().precision).toBe('f32');
    setGemmVariant('naive');
    expect(planSettings()).toMatchObject({ conv: null, gemm: 'naive' });
    setConvVariant('sg');
    expect(planSettings()).toMatchObject({ conv: 'sg', gemm: 'naive' });
    setConvVariant(null);
    setGemmVariant(null);
    process.env.DAWNFLOW_GEMM = 'tiled';
    expect(planSettings()).toMatchObject({ conv: null, gemm: 'tiled' });
  });

  test('an invalid value is refused in one line', () => {
    process.env.DAWNFLOW_CONV = 'fast';
    expect(() => planSettings()).toThrow(
      "dawnflow: DAWNFLOW_CONV must be one of gemm, tex, sg, wino, wino4, got 'fast'",
    );
  });
});
