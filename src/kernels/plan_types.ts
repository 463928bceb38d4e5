// The kernel planner's vocabulary (plan.ts): what it is asked, what it knows of the adapter and
// the settings, and the plan it returns, which conv2d, matmul and the autotuner carry out.
import type { TexturePrecision } from '../gpu/texture_precision.js';
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';
import type { GemmPlan, GemmVariant } from './gemm.js';
import type { SgLanes, SgShare } from './sg_lanes.js';

/** What the planner needs to know of the adapter (plan_context.ts reads it off the device). */
export interface AdapterFacts {
  /**
   * Kernels are chosen for a CPU rasteriser (lavapipe), where texture-fed kernels beat the GEMM
   * core: the adapter is one, unless DAWNFLOW_PLAN_AS says otherwise (src/gpu/kernel_target.ts).
   */
  software: boolean;
  /**
   * The share the sg and wino kernels run with here: groups of L lanes, L the smallest subgroup
   * size (sg_lanes.ts adapterLanes); null where they cannot run (no subgroups, or sizes outside
   * 8..64): those adapters take tex or gemm.
   */
  sgShare: SgShare | null;
  /** rgba16float storage textures (not compatibility mode): f16 staging is possible. */
  halfStorage: boolean;
  /** Bytes of the largest storage binding. */
  maxBinding: number;
  maxTexture2D: number;
  maxWorkgroupsPerDimension: number;
}

/** The overrides in force: from code (tests, the autotuner) or the DAWNFLOW_* settings. */
export interface PlanSettings {
  /** A forced conv variant, or null. Applies where legal, else the next legal one down. */
  conv: ConvVariant | null;
  /** A forced GEMM core, or null; also forces the gemm variant where `conv` is null. */
  gemm: GemmVariant | null;
  /** The requested staging precision of texture operands (f16 only where the device can). */
  precision: TexturePrecision;
  /**
   * Run sg and wino with their share emulated in workgroup memory at this lane count (tests:
   * every L on any adapter), or null for the adapter's own share.
   */
  emulateLanes: SgLanes | null;
}

/** A convolution's forward or one of its gradients. */
export interface ConvRequest {
  kind: 'conv';
  op: ConvOp;
  g: ConvGeometry;
}

/**
 * A matrix product act(op(A) . op(B) + bias), A [M, K], B [K, N] after transposes. `epilogue`:
 * a bias or activation is fused.
 */
export interface DenseRequest {
  kind: 'dense';
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  epilogue: boolean;
}

export type PlanRequest = ConvRequest | DenseRequest;

/** Input channels zero-padded from `from` to `to` so that texels (or 8-row blocks) are whole. */
export interface ChannelPadding {
  from: number;
  to: number;
}

/** The sg weight gradient's pixel sum, split S ways of `chunk` pixels (partials summed after). */
export interface PixelSplit {
  S: number;
  chunk: number;
}

/** Why the variant: a forced one, this adapter's tuned choice, or the per-adapter default. */
export type PlanReason = 'forced' | 'tuned' | 'default';

interface PlanBase {
  /** The conv op run (for a dense product, the 1x1-conv op it maps to). */
  op: ConvOp;
  /** A dense product run as a 1x1 convolution of `g` (batch = rows, CI -> CO). */
  dense: boolean;
  /** The key of this request's tuning-cache entry (saved and looked up under it). */
  key: string;
  reason: PlanReason;
}

/** The GEMM-core kernels on the request's own geometry (any channel count). */
export interface GemmCorePlan extends PlanBase {
  variant: 'gemm';
  g: ConvGeometry;
  /** The core, its M x N x K, and how K is split. */
  gemm: GemmPlan;
}

/** A texture-fed kernel (conv_tex.ts, winograd.ts). */
export interface TexturePlan extends PlanBase {
  variant: Exclude<ConvVariant, 'gemm'>;
  /** The geometry the kernels run: the request's, its input channels padded where `padding` says. */
  g: ConvGeometry;
  padding: ChannelPadding | null;
  /** The weight gradient's pixel split (backward_weight only). */
  split: PixelSplit | null;
  /** Staging precision of the texture operands. */
  precision: TexturePrecision;
  /** How the sg and wino kernels' lanes share fetches; null for tex. */
  share: SgShare | null;
}

export type KernelPlan = GemmCorePlan | TexturePlan;

/** A product no texture kernel computes (both operands transposed, or transposed and fused). */
export interface GemmOnlyPlan {
  variant: 'gemm';
  op: null;
  gemm: GemmPlan;
}

export type DensePlan = KernelPlan | GemmOnlyPlan;
