// The subgroup share of the sg kernels (conv2d_forward_sg, conv2d_backward_input_sg,
// conv2d_backward_weight_sg, conv2d_winograd_gemm), written once. Each of the SG_LANES lanes of a
// subgroup fetches the operand of ONE row (pixel, tile) and the others read it from that lane, so
// a lane fetches 1/SG_LANES of what the rows share. Fetches are what lavapipe pays for.
// The kernel must `enable subgroups;` itself (a directive cannot follow these declarations).
//
// The lane loops have a constant trip count, so the compiler unrolls them: each shuffle then
// reads a constant lane (as subgroupBroadcast does, which WGSL allows only with a literal lane
// and so could not be written in a loop) and the per-row accumulators stay in registers.

// Lanes per subgroup: lavapipe's 8 (one SIMD register; src/kernels/conv_tex.ts picks the sg
// kernels only where subgroups have exactly 8 lanes). Each lane owns one row of a block.
const SG_LANES = 8u;

// A block's accumulators: one vec4 (4 columns) per row, row l fetched by lane l.
alias SgRows = array<vec4f, SG_LANES>;

// Lane l's v.
fn sgRow(v: vec4f, l: u32) -> vec4f {
  return subgroupShuffle(v, l);
}

// acc[l] += (row l's a) . b for every row l: a holds 4 consecutive k of this lane's row and the
// columns of b the 4 matching k-rows of this lane's vec4 of output columns.
fn sgAccumulate(a: vec4f, b: mat4x4f, acc: ptr<function, SgRows>) {
  for (var l = 0u; l < SG_LANES; l++) {
    let r = sgRow(a, l);
    (*acc)[l] += r.x * b[0] + r.y * b[1] + r.z * b[2] + r.w * b[3];
  }
}

// As sgAccumulate with b transposed: output column j of row l is dot(row l's a, b[j]).
fn sgAccumulateDot(a: vec4f, b: mat4x4f, acc: ptr<function, SgRows>) {
  for (var l = 0u; l < SG_LANES; l++) {
    let r = sgRow(a, l);
    (*acc)[l] += vec4f(dot(r, b[0]), dot(r, b[1]), dot(r, b[2]), dot(r, b[3]));
  }
}
