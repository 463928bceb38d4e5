// The kernel planner: the one place that decides how a convolution or matrix product runs.
// Given the request (op and geometry), the adapter's facts, the settings in force and this
// request's tuning-cache entry, it returns a plan: the variant, the channel padding, the GEMM
// core and its split, the weight gradient's pixel split, the staging precision, and the key the
// choice is tuned under. Pure (no device, no environment): plan_context.ts gathers the inputs;
// conv2d, matmul and the autotuner only carry plans out.
//
// Plans are built on every conv and dense call, so they are plain literals (no object spread,
// which V8 makes ~15x slower here).
//
// Per-adapter defaults: real GPUs get the workgroup-tiled implicit GEMM (conv2d_*.wgsl over
// gemm_tiled.wgsl). Software adapters (lavapipe) get the texture-fed kernels (conv_tex.ts): there
// a storage-buffer load is a bounds-checked gather per component, the matmul-shaped kernels
// measured faster reading their operands as rgba32float texels (docs/lavapipe.md has the costs),
// and workgroup memory is no faster than global memory; with subgroups the lanes also share
// fetched texels (sg), and
// Winograd (wino, wino4) where it pays. The share's lane count L is the adapter's smallest subgroup
// size (sg_lanes.ts, docs/gpus.md); adapters without a usable one fall back to tex and gemm.
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';
import { CONV_VARIANTS, legalVariants, texPays, WINO_TILE, winogradDefault } from './plan_legal.js';
import { convGemmShape, gemmCore, planGemm, planTexWeight } from './plan_split.js';
import type {
  AdapterFacts,
  ConvRequest,
  DensePlan,
  DenseRequest,
  KernelPlan,
  PlanReason,
  PlanRequest,
  PlanSettings,
} from './plan_types.js';
import type { TuningEntry } from './tuning.js';
import type { WindowGeometry } from './window_geometry.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import { emulatedShare, shareName } from './sg_lanes.js';

export interface PlanInputs {
  facts: AdapterFacts;
  settings: PlanSettings;
  /** This request's entry in the adapter's tuning cache (looked up under planKey). */
  tuned?: TuningEntry;
  /**
   * patchColumns only: the weight gradient's entry where the weights will want one (the patch
   * product serves both ops, so its route is chosen on their sum).
   */
  tunedWeightGrad?: TuningEntry;
}

/**
 * Whether the tuned variants beat an RGB layer's patch product (TuningEntry.patches): on the
 * forward, plus the weight gradient where it runs too and was timed both ways. False untimed.
 */
export function variantRouteWins(forward?: TuningEntry, weightGrad?: TuningEntry): boolean {
  if (forward?.patches === undefined) return false;
  const both = weightGrad?.patches !== undefined ? [forward, weightGrad] : [forward];
  const variant = both.reduce((t, e) => t + (e.ms[e.choice] ?? Infinity), 0);
  const patches = both.reduce((t, e) => t + e.patches!, 0);
  return variant < patches;
}

/**
 * The geometry a texture-fed kernel would run: input channels that are not whole texels (RGB)
 * are zero-padded to the next multiple of 4, or of 8 for the weight gradient's 8-row blocks; the
 * padded channels add zero (the forward of VGG16's first layer 10x faster for one small copy).
 * The GEMM core takes any channel count, so a plan that picks it runs the original geometry.
 */
export function paddedGeometry(op: ConvOp, g: ConvGeometry): ConvGeometry {
  const align = op === 'backward_weight' ? 8 : 4;
  return g.CI % align === 0 ? g : { ...g, CI: Math.ceil(g.CI / align) * align };
}

function geometryKey(op: ConvOp, g: ConvGeometry): string {
  return `${op} ${g.batch}x${g.H}x${g.W}x${g.CI} k${g.KH}x${g.KW}x${g.CO} s${g.SH}x${g.SW} p${g.PT}x${g.PL}`;
}

/** The 1x1 convolution over `pixels` positions, CI -> CO channels, that a dense product is. */
export function pointwise(pixels: number, CI: number, CO: number): ConvGeometry {
  return { batch: pixels, H: 1, W: 1, CI, OH: 1, OW: 1, CO, KH: 1, KW: 1, SH: 1, SW: 1, PT: 0, PL: 0 };
}

/**
 * The conv op and 1x1 geometry a texture kernel would compute a dense product as: X.W is the
 * forward, dZ.W^T (transB) the backward-input, X^T.dZ (transA) the backward-weight; null for
 * products none of them computes (both transposed, or a fused bias or activation on a transpose).
 */
export function denseAsConv(r: DenseRequest): { op: ConvOp; g: ConvGeometry } | null {
  if (!r.transA && !r.transB) return { op: 'forward', g: pointwise(r.M, r.K, r.N) };
  if (r.epilogue || (r.transA && r.transB)) return null;
  if (r.transB) return { op: 'backward_input', g: pointwise(r.M, r.N, r.K) };
  return { op: 'backward_weight', g: pointwise(r.K, r.M, r.N) };
}

/**
 * The key of `op` on `g` (as run) on an adapter: the geometry, and the adapter's share where it
 * has one (sg8, sg32w), since a choice measured with one lane count says nothing of another (a
 * driver update can change the subgroup sizes under the same adapter name).
 */
function choiceKey(op: ConvOp, g: ConvGeometry, facts: AdapterFacts): string {
  const share = facts.sgShare;
  return share ? `${geometryKey(op, g)} ${shareName(share)}` : geometryKey(op, g);
}

/**
 * The tuning-cache key of a request: its op and the geometry a texture kernel would run (padded:
 * where the choice matters) and the adapter's share, so `dawnflow tune` saves and the planner
 * looks up the same entry for every op, RGB inputs included. Null for products no variant choice
 * applies to.
 */
export function planKey(r: PlanRequest, facts: AdapterFacts): string | null {
  if (r.kind === 'conv') return choiceKey(r.op, paddedGeometry(r.op, r.g), facts);
  const conv = denseAsConv(r);
  return conv && choiceKey(conv.op, conv.g, facts);
}

/** The variants a tuner times for a conv request, and the key its choice is saved under. */
export function tuningCandidates(r: ConvRequest, facts: AdapterFacts): { key: string; variants: ConvVariant[] } {
  return { key: planKey(r, facts)!, variants: legalVariants(r.op, paddedGeometry(r.op, r.g), facts) };
}

/**
 * The facts the variant is chosen on: the adapter's, with the emulated share in place of its
 * own where the settings ask for one (tests; the spread is never paid otherwise).
 */
function runFacts(inp: PlanInputs): AdapterFacts {
  const lanes = inp.settings.emulateLanes;
  return lanes ? { ...inp.facts, sgShare: emulatedShare(lanes) } : inp.facts;
}

export interface VariantChoice {
  variant: ConvVariant;
  reason: PlanReason;
}

/**
 * The variant: a forced one where legal, else the next legal one down (a forced GEMM core forces
 * gemm); else the tuned choice where legal; else on software adapters wino or wino4 where legal
 * and paying (winogradDefault), otherwise the fastest legal texture-fed direct kernel (the last
 * legal one, or tex on a handful of pixels: texPays); gemm on GPUs.
 */
export function chooseVariant(op: ConvOp, g: ConvGeometry, inp: PlanInputs): VariantChoice {
  const legal = legalVariants(op, g, runFacts(inp));
  const { conv, gemm } = inp.settings;
  if (conv) {
    const below = CONV_VARIANTS.slice(0, CONV_VARIANTS.indexOf(conv) + 1);
    return { variant: legal.filter((v) => below.includes(v)).at(-1)!, reason: 'forced' };
  }
  if (gemm) return { variant: 'gemm', reason: 'forced' };
  const tuned = inp.tuned?.choice;
  if (tuned && legal.includes(tuned)) return { variant: tuned, reason: 'tuned' };
  if (!inp.facts.software) return { variant: 'gemm', reason: 'default' };
  const direct = texPays(op, g, legal) ? 'tex' : legal.filter((v) => !WINO_TILE[v]).at(-1)!;
  const half = stagingPrecision(inp.settings, inp.facts) === 'f16';
  return { variant: winogradDefault(op, g, legal, half) ?? direct, reason: 'default' };
}

/**
 * The columns of the patch matrix a convolution runs on (conv_patches.ts: a 1x1 conv of that many
 * channels, the bias included), or null to run it as it is. On software adapters with a share,
 * for input channels that are not whole texels (RGB) and kernels of at most 63 taps: there a
 * tap loop of one channel texel is all address arithmetic and fetches (the book's first layer
 * ran its forward at 14 GFLOP/s and its weight gradient at 15 against 40-60 for the layers
 * after it), and the padded input is staged again for every launch. A forced variant or GEMM
 * core runs the layer itself, so the tests that force each one still test it, and so does a
 * tuned variant that beat the patch product for the forward. Multiples of 8, the weight
 * gradient's row blocks.
 */
export function patchColumns(g: ConvGeometry, inp: PlanInputs): number | null {
  const { conv, gemm } = inp.settings;
  if (!inp.facts.software || !runFacts(inp).sgShare || conv || gemm || g.CI % 4 === 0) return null;
  // `dawnflow tune` timed the patch product beside the variants: the faster route runs.
  if (variantRouteWins(inp.tuned, inp.tunedWeightGrad)) return null;
  const columns = g.KH * g.KW * g.CI + 1;
  return columns <= 64 ? Math.ceil(columns / 8) * 8 : null;
}

/** Texture operands are staged in f16 where asked for and the device can write rgba16float. */
export function stagingPrecision(settings: PlanSettings, facts: AdapterFacts): TexturePrecision {
  return settings.precision === 'f16' && facts.halfStorage ? 'f16' : 'f32';
}

/** The plan for `op` on `g` (for a dense product, its 1x1 geometry, which is never padded). */
function planOp(op: ConvOp, g: ConvGeometry, dense: boolean, inp: PlanInputs): KernelPlan {
  const run = dense ? g : paddedGeometry(op, g);
  const { variant, reason } = chooseVariant(op, run, inp);
  const key = choiceKey(op, run, inp.facts);
  if (variant === 'gemm') {
    const [M, N, K] = convGemmShape(op, g);
    const gemm = planGemm(M, N, K, gemmCore(M, inp.settings.gemm), inp.facts);
    return { op, dense, key, reason, variant, g, gemm };
  }
  return {
    op,
    dense,
    key,
    reason,
    variant,
    g: run,
    padding: run.CI === g.CI ? null : { from: g.CI, to: run.CI },
    split: op === 'backward_weight' ? planTexWeight(run, inp.facts.maxBinding) : null,
    precision: stagingPrecision(inp.settings, inp.facts),
    share: variant === 'tex' ? null : runFacts(inp).sgShare,
  };
}

/** How a convolution's forward, backward-input or backward-weight runs. */
export function planConv(r: ConvRequest, inp: PlanInputs): KernelPlan {
  return planOp(r.op, r.g, false, inp);
}

/** How a matrix product runs: a texture kernel as a 1x1 convolution, or the GEMM core. */
export function planDense(r: DenseRequest, inp: PlanInputs): DensePlan {
  const conv = denseAsConv(r);
  if (conv) return planOp(conv.op, conv.g, true, inp);
  return { variant: 'gemm', op: null, gemm: planGemm(r.M, r.N, r.K, gemmCore(r.M, inp.settings.gemm), inp.facts) };
}

/** A 2x2 max pool at stride 2 with no padding: the pool a conv's kernel can fuse. */
export function pairPool(pool: WindowGeometry): boolean {
  return pool.KH === 2 && pool.KW === 2 && pool.SH === 2 && pool.SW === 2 && pool.PT === 0 && pool.PL === 0;
}

/**
 * The output tile side m of the Winograd kernel that would pool a forward on `plan` into `pool`'s
 * map as it writes it (conv_pool.ts), or null for a conv pass then a pool pass. Legal where the
 * pool is 2x2 at stride 2 with no padding (Keras's MaxPooling2D() after a conv) and the plan is a
 * Winograd one: its m x m output tiles start at the origin, so with m even each holds whole
 * windows; windows past the pooled map (odd conv output sizes) are dropped, as the pool drops them.
 * Not where the plan pads the input channels (the padded conv runs through conv.ts alone).
 */
export function fusedPoolTile(plan: KernelPlan, pool: WindowGeometry): 2 | 4 | null {
  if (!pairPool(pool) || plan.op !== 'forward' || plan.dense || plan.variant === 'gemm' || plan.padding) return null;
  return WINO_TILE[plan.variant] ?? null;
}
