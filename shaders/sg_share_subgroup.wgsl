// The sg share over subgroup shuffles (sg_share.wgsl): the real path. A subgroup holds one group
// of L lanes or, where the adapter's subgroups may be wider than L (SG_WIDE), several: lane i of
// a group is then subgroup lane first + i, first being the group's first lane. That relies on
// subgroups being made of consecutive local invocation indices, as all drivers we know do
// (docs/gpus.md); with a workgroup of L lanes across, a group is one workgroup row.

const SG_WIDE = {{SG_WIDE}};

struct SgIds {
  @builtin(subgroup_invocation_id) sid: u32,
}

// The subgroup lane of this lane's group's lane 0 (0 unless SG_WIDE: the compiler folds it).
var<private> sgFirst: u32;

// This lane's index within its group.
fn sgInit(ids: SgIds) -> u32 {
  if (SG_WIDE) {
    sgFirst = ids.sid & ~(SG_LANES - 1u);
  }
  return ids.sid & (SG_LANES - 1u);
}

// The trip count of the lane loops: the constant L, so that they unroll and each shuffle reads
// a constant lane (sg_share.wgsl).
fn sgLanes() -> u32 {
  return SG_LANES;
}

// Nothing to publish or release: a shuffle reads the other lane's register.
fn sgPublish(v: vec4f, slot: u32) {}
fn sgRelease() {}

// Lane l's v (slot: which of a lane's shared values; shuffles need no slot).
fn sgRow(v: vec4f, slot: u32, l: u32) -> vec4f {
  return subgroupShuffle(v, sgFirst + l);
}

// Whether a kernel with `blocks` row blocks runs its blocks past the first (rows: its row count,
// which only the emulated share reads). Folds to a constant here.
fn sgMoreBlocks(blocks: u32, rows: u32) -> bool {
  return blocks > 1u;
}
