// dx of max pooling over non-overlapping windows (see maxpool2d_window.wgsl). One invocation per
// run of NV vectors of channels of a window reads dy and the forward's code once per vector, then
// writes every cell of its window: dy where the code names the cell, else 0. Each cell of x lies in exactly one
// window, so this is a gather of each cell's gradient from the one output it belongs to, with
// no float atomics and no zero-fill pass. Cells past the last window (odd H or W) belong to the
// partial windows of a grid of ceil(H/KH) x ceil(W/KW), which have no output and write zeros.
// One invocation per window, not per cell: a quarter of the loads (2x2), which on lavapipe cost
// a bounds check and a branch per lane; measured about 2x faster than per cell. Read from
// textures instead it was slower (the staging copies cost more than the loads saved).
//#include "grid1d.wgsl"

//#include "maxpool2d_window.wgsl"

@group(0) @binding(0) var<storage, read> dy: array<{{T}}>;
@group(0) @binding(1) var<storage, read> code: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<{{T}}>;
@group(0) @binding(3) var<uniform> u: Params;

// The grid of windows, partial ones included.
override TH: u32 = (H + KH - 1u) / KH;
override TW: u32 = (W + KW - 1u) / KW;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  let p = windowAt(i, TH, TW);
  let b = p.x;
  let oh = p.y;
  let ow = p.z;
  let cv = p.w;
  let inside = oh < OH && ow < OW;
  let out = ((b * OH + oh) * OW + ow) * CV + cv;
  let first = ((b * H + oh * KH) * W + ow * KW) * CV + cv;
  for (var j = 0u; j < NV; j++) {
    var g = {{T}}(0.0);
    var at = {{U}}(0u);
    if (inside) {
      g = dy[out + j];
      at = {{UNPACK}}(code[out + j]);
    }
    let base = first + j;
    // Only a partial window (H or W not a multiple of the window) has cells to skip: where the
    // windows tile x the constant test folds away and the stores go unguarded.
    for (var kh = 0u; kh < KH; kh++) {
      for (var kw = 0u; kw < KW; kw++) {
        if ((H % KH == 0u || oh * KH + kh < H) && (W % KW == 0u || ow * KW + kw < W)) {
          dx[base + (kh * W + kw) * CV] = select({{T}}(0.0), g, at == {{U}}(kh * KW + kw));
        }
      }
    }
  }
}
