// dx of max pooling over non-overlapping windows (see maxpool2d_window.wgsl), into a dx the
// dispatcher has cleared (src/kernels/pool_window.ts): one invocation per run of NV vectors of
// channels of a window reads dy and the forward's code once per vector and stores each channel's
// gradient at its winner only, one component store per channel (the SCATTER placeholder, generated there).
// Each cell of x lies in at most one window, so the stores never collide; cells that won nothing
// and cells past the last whole window (odd H or W) keep the clear's zeros, and a window with no
// winner (255: relu' in the codes) stores a 0 at its first cell. On lavapipe a store is the
// dearest access (a scatter per component): the clear (a memset) and a quarter of the stores
// cost less than writing every cell of every window, as this kernel did before.
//#include "grid1d.wgsl"

//#include "maxpool2d_window.wgsl"

@group(0) @binding(0) var<storage, read> dy: array<{{T}}>;
@group(0) @binding(1) var<storage, read> code: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<{{T}}>;
@group(0) @binding(3) var<uniform> u: Params;

// The place of cell `at` of a window (at = kh * KW + kw) relative to the window's first cell.
fn cellOffset(at: u32) -> u32 {
  return ((at / KW) * W + at % KW) * CV;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  let p = windowAt(i, OH, OW);
  let out = i * NV;
  let first = ((p.x * H + p.y * KH) * W + p.z * KW) * CV + p.w;
  for (var j = 0u; j < NV; j++) {
    let g = dy[out + j];
    {{SCATTER}}
  }
}
