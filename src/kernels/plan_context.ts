// The kernel planner's inputs, gathered from the running engine: the adapter's facts (from the
// device), the settings in force (overrides from code, else the DAWNFLOW_* settings) and the
// tuning cache; convPlan and densePlan hand them to the pure planner (plan.ts).
import { currentGpu, dispatcher, kernelTarget, onInit } from '../gpu/engine.js';
import type { Gpu } from '../gpu/device.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import { setting } from '../util/settings.js';
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';
import type { GemmVariant } from './gemm.js';
import { patchColumns, planConv, planDense, planKey, stagingPrecision } from './plan.js';
import type { AdapterFacts, DensePlan, DenseRequest, KernelPlan, PlanRequest, PlanSettings } from './plan_types.js';
import { adapterLanes, type SgLanes, type SgShare } from './sg_lanes.js';
import { probeShare } from './sg_probe.js';
import { tunedEntry } from './tuning.js';

let forcedConv: ConvVariant | null = null;
let forcedGemm: GemmVariant | null = null;
let forcedPrecision: TexturePrecision | null = null;
let emulatedLanes: SgLanes | null = null;

/** Forces one conv variant wherever it applies (tests loop over all); null returns to the default. */
export function setConvVariant(v: ConvVariant | null): void {
  forcedConv = v;
}

/** Forces one core for every GEMM kernel (tests loop over all); null returns to the default. */
export function setGemmVariant(v: GemmVariant | null): void {
  forcedGemm = v;
}

/** Forces the staging precision of texture operands (tests); null returns to DAWNFLOW_F16. */
export function setTexturePrecision(p: TexturePrecision | null): void {
  forcedPrecision = p;
}

/**
 * Runs sg and wino with their share emulated in workgroup memory at L lanes (tests: every lane
 * count on any adapter, bit-identical to the subgroup path); null returns to the adapter's share.
 */
export function setSubgroupEmulation(lanes: SgLanes | null): void {
  emulatedLanes = lanes;
}

/**
 * The overrides in force. Code wins over the environment; a GEMM core forced either way also
 * overrides DAWNFLOW_CONV (so a test that forces a core tests it), but not setConvVariant.
 */
export function planSettings(): PlanSettings {
  const gemm = forcedGemm ?? setting('DAWNFLOW_GEMM');
  return {
    conv: forcedConv ?? (gemm ? null : setting('DAWNFLOW_CONV')),
    gemm,
    precision: forcedPrecision ?? (setting('DAWNFLOW_F16') ? 'f16' : 'f32'),
    emulateLanes: emulatedLanes,
  };
}

const factsOf = new WeakMap<Gpu, AdapterFacts>();
/** Why an adapter's own share failed its self-test (sg_probe.ts), for adapters it failed on. */
const shareFaults = new WeakMap<Gpu, string>();

/** The lane grouping the adapter's subgroups promise, before its self-test. */
function claimedShare(gpu: Gpu): SgShare | null {
  return adapterLanes(gpu.features.includes('subgroups'), gpu.info.subgroupMinSize, gpu.info.subgroupMaxSize);
}

// Every device is probed as it opens: a share whose shuffled sums come out wrong is not used
// (the sg and Winograd kernels fall back to tex and gemm), and the user is told once.
onInit(async (gpu) => {
  const share = claimedShare(gpu);
  const fault = share && (await probeShare(share));
  if (!fault) return;
  shareFaults.set(gpu, fault);
  console.error(
    `dawnflow: warning: this adapter's subgroups failed the engine's self-test (${fault}); the sg and ` +
      'Winograd kernels are off, so convolutions run on slower kernels' +
      (gpu.info.software ? ' (on lavapipe, unset LP_NATIVE_VECTOR_WIDTH)' : ''),
  );
});

/** What the adapter's subgroups got wrong in the self-test, or null (passed, or none to test). */
export function adapterShareFault(): string | null {
  return shareFaults.get(currentGpu()) ?? null;
}

/** The current adapter's facts (read once per device). */
export function adapterFacts(): AdapterFacts {
  const gpu = currentGpu();
  let facts = factsOf.get(gpu);
  if (!facts) {
    const d = dispatcher();
    facts = {
      software: kernelTarget() === 'software',
      sgShare: shareFaults.has(gpu) ? null : claimedShare(gpu),
      halfStorage: d.halfStorage,
      maxBinding: d.maxBinding,
      maxTexture2D: d.limits.maxTextureDimension2D ?? 8192,
      maxWorkgroupsPerDimension: d.limits.maxComputeWorkgroupsPerDimension ?? 65535,
    };
    factsOf.set(gpu, facts);
  }
  return facts;
}

/** Whether the sg and wino kernels run here: the adapter guarantees a lane grouping, or one is emulated. */
export function hasSgShare(): boolean {
  return !!adapterFacts().sgShare || !!emulatedLanes;
}

/** The lane count of the adapter's own share (null: none; sg and wino fall back to tex and gemm). */
export function adapterSgLanes(): SgLanes | null {
  return adapterFacts().sgShare?.lanes ?? null;
}

/** The precision texture operands are staged in now: the requested one where the device can. */
export function texturePrecision(): TexturePrecision {
  return stagingPrecision(planSettings(), adapterFacts());
}

function inputs(r: PlanRequest) {
  const facts = adapterFacts();
  const key = planKey(r, facts);
  return { facts, settings: planSettings(), tuned: key === null ? undefined : tunedEntry(key) };
}

/** The plan for a convolution's `op` on `g` here and now. */
export function convPlan(op: ConvOp, g: ConvGeometry): KernelPlan {
  const r = { kind: 'conv', op, g } as const;
  return planConv(r, inputs(r));
}

/**
 * The patch matrix width a convolution on `g` runs through here and now, or null (plan.ts
 * patchColumns); `weightGrad`: its weights will want a gradient.
 */
export function convPatchColumns(g: ConvGeometry, weightGrad = false): number | null {
  const r = { kind: 'conv', op: 'forward', g } as const;
  const bw = { kind: 'conv', op: 'backward_weight', g } as const;
  const key = weightGrad ? planKey(bw, adapterFacts()) : null;
  return patchColumns(g, { ...inputs(r), tunedWeightGrad: key === null ? undefined : tunedEntry(key) });
}

/** convPatchColumns without the tuning cache's say: the tuner times the patch product whatever it chose before. */
export function convPatchColumnsUntuned(g: ConvGeometry): number | null {
  const r = { kind: 'conv', op: 'forward', g } as const;
  return patchColumns(g, { ...inputs(r), tuned: undefined });
}

/** The plan for a matrix product here and now. */
export function densePlan(r: Omit<DenseRequest, 'kind'>): DensePlan {
  const req: DenseRequest = {
    kind: 'dense',
    M: r.M,
    N: r.N,
    K: r.K,
    transA: r.transA,
    transB: r.transB,
    epilogue: r.epilogue,
  };
  return planDense(req, inputs(req));
}
