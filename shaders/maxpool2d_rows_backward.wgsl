// dz of the pooled patch product (src/kernels/conv_patches.ts): the gradient w.r.t. the conv's
// output, in the patch matrix's window order (conv2d_patches.wgsl, POOLED: row (group*4 + k)*LANES
// + l is cell k of window group*LANES + l), from dy (the pooled map's, a row per window) and the
// winners the pooled forward kept (pool_code.wgsl). One invocation per (window, vec4 of
// channels) writes its window's four rows: dy where the code names the cell, else 0 (a window
// with no winner, 255, gets zeros: relu' is in the codes). Padding windows past WINDOWS get
// zeros, so their (zero) patch rows add nothing to the weight gradient either way.
//#include "grid1d.wgsl"
//#include "pool_code.wgsl"

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<vec4f>;
@group(0) @binding(1) var<storage, read> code: array<u32>;
@group(0) @binding(2) var<storage, read_write> dz: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

override CV: u32 = 1u;
override LANES: u32 = 8u;
override WINDOWS: u32 = 1u;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  let cv = i % CV;
  let w = i / CV;
  var g = vec4f(0.0);
  var at = vec4u(255u);
  if (w < WINDOWS) {
    g = dy[w * CV + cv];
    at = unpackCode(code[w * CV + cv]);
  }
  let first = (w / LANES) * 4u * LANES + w % LANES;
  for (var k = 0u; k < 4u; k++) {
    dz[(first + k * LANES) * CV + cv] = select(vec4f(0.0), g, at == vec4u(k));
  }
}
