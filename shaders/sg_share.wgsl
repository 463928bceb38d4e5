// The subgroup share of the sg kernels (conv2d_forward_sg, conv2d_backward_input_sg,
// conv2d_backward_weight_sg, conv2d_winograd_gemm), written once. The lanes come in groups of
// SG_LANES (L); each lane of a group fetches the operand of ONE of the group's L rows (pixels,
// tiles) and the others read it from that lane, so a lane fetches 1/L of what the rows share.
// Fetches are what lavapipe pays for. How lanes exchange what they fetched is the transport
// included below: subgroup shuffles, or workgroup memory (an emulation for tests that does the
// same arithmetic in the same order). docs/gpus.md says which L runs on which adapter.
// The kernel starts with {{SG_ENABLE}} itself (a directive cannot follow these declarations),
// takes `ids: SgIds` in its entry point and calls sgInit(ids) first. Its workgroup is
// L x (64 / L) (src/kernels/sg_lanes.ts): the L lanes of a workgroup row form one group.
//
// The lane loops run to the transport's sgLanes(). Over shuffles that is the constant L, so the
// compiler unrolls them: each shuffle then reads a constant lane of the group (as
// subgroupBroadcast does, which WGSL allows only with a literal lane and so could not be written
// in a loop) and the per-row accumulators stay in registers. The emulation hides L from the
// compiler instead, so its kernels stay loops and compile quickly (sg_share_workgroup.wgsl).

// Lanes per group; each lane owns one row of a block of L rows.
const SG_LANES = {{SG_LANES}}u;

// A block's accumulators: one vec4 (4 columns) per row, row l fetched by lane l of the group.
alias SgRows = array<vec4f, SG_LANES>;

//#include "sg_share_{{SG_SHARE}}.wgsl"

// acc[l] += (row l's a) . b for every row l: a holds 4 consecutive k of this lane's row and the
// columns of b the 4 matching k-rows of this lane's vec4 of output columns.
fn sgAccumulate(a: vec4f, b: mat4x4f, acc: ptr<function, SgRows>) {
  sgPublish(a, 0u);
  for (var l = 0u; l < sgLanes(); l++) {
    let r = sgRow(a, 0u, l);
    (*acc)[l] += r.x * b[0] + r.y * b[1] + r.z * b[2] + r.w * b[3];
  }
  sgRelease();
}

// As sgAccumulate with b transposed: output column j of row l is dot(row l's a, b[j]).
fn sgAccumulateDot(a: vec4f, b: mat4x4f, acc: ptr<function, SgRows>) {
  sgPublish(a, 0u);
  for (var l = 0u; l < sgLanes(); l++) {
    let r = sgRow(a, 0u, l);
    (*acc)[l] += vec4f(dot(r, b[0]), dot(r, b[1]), dot(r, b[2]), dot(r, b[3]));
  }
  sgRelease();
}

// log2 of the groups across a workgroup: the fewest, a power of two, that cover N4 column vec4s.
fn sgAcrossLog2(N4: u32) -> u32 {
  var sh = firstTrailingBit(WG_Y);
  while (sh > 0u && (SG_LANES << (sh - 1u)) >= N4) {
    sh--;
  }
  return sh;
}

// Where this lane works when each group owns a column vec4 per lane and blocks of rows: the
// WG_Y groups of the L x WG_Y workgroup sit 2^sh across (columns) and the rest down (rows), as
// many across as the N4 column vec4s fill, so that few rows waste less of a workgroup
// (src/kernels/sg_lanes.ts sizes the grid by the same rule). Returns the lane's column vec4
// (maybe past N4: clamp it, skip the store) and its group's index down the rows of the grid.
fn sgPlace(wid: vec3u, lid: vec3u, lane: u32, N4: u32) -> vec2u {
  let sh = sgAcrossLog2(N4);
  let col = ((wid.x << sh) + (lid.y & ((1u << sh) - 1u))) * SG_LANES + lane;
  return vec2u(col, ((wid.y * WG_Y) >> sh) + (lid.y >> sh));
}
