// The lane grouping of the sg kernels (shaders/sg_share.wgsl): each group of L lanes shares the
// texels its L rows fetch. Which L an adapter guarantees, how a share is specialised (defines,
// workgroup size), and the emulated share the tests run every L with. See docs/gpus.md.
import type { Defines } from '../gpu/shader_source.js';

export const SG_LANE_COUNTS = [8, 16, 32, 64] as const;
export type SgLanes = (typeof SG_LANE_COUNTS)[number];

/** Invocations per sg workgroup: a multiple of every subgroup size the sg kernels accept. */
export const SG_WORKGROUP = 64;

/**
 * How the lanes of a group exchange what they fetched: `subgroup` shuffles (the real path), or
 * `workgroup` memory and barriers (an emulation with the same arithmetic in the same order, so
 * tests can run any L on any adapter). `wide`: a subgroup may hold several groups (the adapter's
 * subgroups can be larger than L), so a lane shuffles from its own group's first lane.
 */
export interface SgShare {
  lanes: SgLanes;
  via: 'subgroup' | 'workgroup';
  wide: boolean;
}

/**
 * The lane grouping an adapter guarantees, or null where the sg kernels cannot run: L is the
 * smallest subgroup size, so every subgroup (a power of two in [min, max]) holds whole groups of
 * L lanes; sizes past 64 could leave partial subgroups in a 64-invocation workgroup.
 */
export function adapterLanes(subgroups: boolean, min?: number, max?: number): SgShare | null {
  if (!subgroups || !min || !max) return null;
  const lanes = SG_LANE_COUNTS.find((l) => l === min);
  if (!lanes || max > SG_WORKGROUP) return null;
  return { lanes, via: 'subgroup', wide: max > min };
}

/** The emulated share of L lanes (tests). */
export function emulatedShare(lanes: SgLanes): SgShare {
  return { lanes, via: 'workgroup', wide: false };
}

/** The {{KEY}} values that specialise sg_share.wgsl (part of the pipeline key). */
export function sgDefines(s: SgShare): Defines {
  return {
    SG_LANES: s.lanes,
    SG_SHARE: s.via,
    SG_ENABLE: s.via === 'subgroup' ? 'enable subgroups;' : '',
    SG_WIDE: s.wide,
  };
}

/**
 * The trip counts `counts` of a kernel's loops as pipeline constants (shaders/trip_count.wgsl)
 * on a real share, at the cost of one pipeline per layer shape; none on the emulated share,
 * which runs only in tests, where that cost is compile time (its lane loops compile slowly).
 */
export function sgTripCounts(s: SgShare, counts: Record<string, number>): Record<string, number> {
  return s.via === 'workgroup' ? {} : counts;
}

/** L lanes across (one group per workgroup row), 64 / L groups down. */
export function sgWorkgroup(s: SgShare): [number, number, number] {
  return [s.lanes, SG_WORKGROUP / s.lanes, 1];
}

/**
 * The x and y workgroup counts of an sg kernel whose groups are placed by sgPlace
 * (sg_share.wgsl): of a workgroup's 64/L groups, the fewest (a power of two) that cover the
 * cols4 column vec4s sit across and the rest down, each group owning `perGroup` of the `rows`
 * row units (pixels, 8-row blocks).
 */
export function sgGrid(s: SgShare, cols4: number, rows: number, perGroup: number): [number, number] {
  const groups = SG_WORKGROUP / s.lanes;
  const across = sgAcross(s, cols4);
  return [Math.ceil(cols4 / (s.lanes * across)), Math.ceil(rows / ((perGroup * groups) / across))];
}

/** Groups across a workgroup (sgPlace's 2^sh): the fewest, a power of two, that cover cols4. */
function sgAcross(s: SgShare, cols4: number): number {
  let across = SG_WORKGROUP / s.lanes;
  while (across > 1 && s.lanes * (across / 2) >= cols4) across /= 2;
  return across;
}

/**
 * The grid of an sg kernel whose groups take (row unit, pixel chunk) tasks in turn
 * (conv2d_backward_weight_sg.wgsl mirrors this): x as sgGrid's columns, z the workgroups that
 * the units x chunks tasks fill at (64/L)/across groups each. A weight gradient with few rows
 * (an RGB layer's patches: 1 unit) or rows that do not fill whole workgroups (conv2d_2's 9
 * units over 4 groups) leaves no group idle but the last workgroup's.
 */
export function sgTaskGrid(s: SgShare, cols4: number, units: number, chunks: number): [number, number, number] {
  const across = sgAcross(s, cols4);
  const down = SG_WORKGROUP / s.lanes / across;
  return [Math.ceil(cols4 / (s.lanes * across)), 1, Math.ceil((units * chunks) / down)];
}

/** Every share a kernel can be specialised for: per L, real narrow, real wide, emulated. */
export const SG_SHARES: readonly SgShare[] = SG_LANE_COUNTS.flatMap((lanes) => [
  { lanes, via: 'subgroup', wide: false } as SgShare,
  { lanes, via: 'subgroup', wide: true } as SgShare,
  emulatedShare(lanes),
]);

/** A short name of a share: sg8, sg32w (wide), emu16. */
export function shareName(s: SgShare): string {
  return s.via === 'workgroup' ? `emu${s.lanes}` : `sg${s.lanes}${s.wide ? 'w' : ''}`;
}

/**
 * One kernel spec per share, built once: the workgroup size differs per L, and a spec's
 * workgroup is fixed. The record (by shareName) is exported for the interface checks.
 */
export function perShare<T>(make: (s: SgShare) => T): { of: (s: SgShare) => T; all: Record<string, T> } {
  const all: Record<string, T> = {};
  for (const s of SG_SHARES) all[shareName(s)] = make(s);
  return { of: (s) => all[shareName(s)], all };
}
