// dx of max pooling over non-overlapping windows (see maxpool2d_window.wgsl) as a gather: one
// invocation per vector of x reads dy and the forward's `code` at the one output whose window
// holds it, and keeps dy where the code names its place. Cells past the last window (odd H or
// W) get 0, so no zero-fill pass is needed and no two invocations write the same cell.
//#include "grid1d.wgsl"

//#include "tex_operand.wgsl"

//#include "maxpool2d_window.wgsl"

@group(0) @binding(0) {{DY_VAR}};
@group(0) @binding(1) {{CODE_VAR}};
@group(0) @binding(2) var<storage, read_write> dx: array<{{T}}>;
@group(0) @binding(3) var<uniform> u: Params;

fn loadDy(j: u32) -> {{T}} {
  return {{DY_AT}};
}

fn loadCode(j: u32) -> {{T}} {
  return {{CODE_AT}};
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  // i = ((b*H + ih)*W + iw)*CV + cv
  let cv = i % CV;
  let t = i / CV;
  let iw = t % W;
  let r = t / W;
  let ih = r % H;
  let b = r / H;
  let oh = ih / KH;
  let ow = iw / KW;
  var g = {{T}}(0.0);
  if (oh < OH && ow < OW) {
    let o = ((b * OH + oh) * OW + ow) * CV + cv;
    let place = f32((ih - oh * KH) * KW + iw - ow * KW);
    g = select({{T}}(0.0), loadDy(o), loadCode(o) == {{T}}(place));
  }
  dx[i] = g;
}
