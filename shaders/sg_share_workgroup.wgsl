// The sg share emulated in workgroup memory (sg_share.wgsl), for tests: any L runs on any
// adapter, subgroups or not, with the arithmetic of the subgroup path in the same order, so the
// results are bit-identical to it. Each lane publishes its value in its own slot, a barrier
// makes it visible, the group's lanes read it, and a second barrier keeps the next publish from
// overwriting a slot still being read. Slow (two barriers per share); never planned by default.

struct SgIds {
  @builtin(local_invocation_index) li: u32,
}

// Eight values per lane at most (the weight gradient shares two texels per pixel for each of
// its four row blocks): 8 KiB.
var<workgroup> sgSlots: array<vec4f, 512>;
// This lane's slot index, and its group's lane 0's.
var<private> sgMe: u32;
var<private> sgFirst: u32;
// L, read from workgroup memory so that the compiler cannot see it (sgLanes).
var<workgroup> sgLaneCount: u32;
var<private> sgEnd: u32;

fn sgInit(ids: SgIds) -> u32 {
  sgMe = ids.li;
  sgFirst = ids.li & ~(SG_LANES - 1u);
  if (ids.li == 0u) {
    sgLaneCount = SG_LANES;
  }
  workgroupBarrier();
  sgEnd = sgLaneCount;
  return ids.li & (SG_LANES - 1u);
}

// The trip count of the lane loops: L, but not a constant here. Unrolled over up to 64 lanes
// with every row's accumulators live across the barriers, the emulated kernels took lavapipe
// minutes each to compile with Mesa's shader cache cold (2-core AMD EPYC, AVX2: the L = 16
// cases of test/ops/sg_lanes.test.ts 30-37 s each, L = 32 past 3 minutes for one case); as
// loops they compile in seconds. The arithmetic and its order are the same either way.
fn sgLanes() -> u32 {
  return sgEnd;
}

fn sgPublish(v: vec4f, slot: u32) {
  sgSlots[slot * 64u + sgMe] = v;
  workgroupBarrier();
}

fn sgRelease() {
  workgroupBarrier();
}

fn sgRow(v: vec4f, slot: u32, l: u32) -> vec4f {
  return sgSlots[slot * 64u + sgFirst + l];
}

// Whether a kernel with `blocks` row blocks runs its blocks past the first (sg_share_subgroup.wgsl).
// Here a uniform runtime test, true exactly when blocks > 1 (no kernel has 2^32 - 1 rows). The
// kernels once wrote `if (SG_BLOCKS > 1u)` inline: with the override folded to false around this
// share's barriers, lavapipe (Mesa 25.0.7, 256-bit) compiled a one-block kernel into one that
// summed wrong (test/ops/sg_lanes.test.ts's cases of at most L rows; docs/gpus.md).
fn sgMoreBlocks(blocks: u32, rows: u32) -> bool {
  return blocks > 1u || rows == 0xffffffffu;
}
