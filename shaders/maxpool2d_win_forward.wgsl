// Max pooling over non-overlapping windows (see maxpool2d_window.wgsl), one invocation per run
// of NV vectors of y: KH*KW vector loads of x for each. With a gradient to come it also writes `code`, the
// winners' places in their window, packed. Ties go to the first maximum in row-major order (only
// a strictly greater value takes over), as in maxpool2d_forward.wgsl and TF's MaxPoolGrad.
// Under RELU_MASK the codes also carry relu' (see below).
//#include "grid1d.wgsl"

//#include "maxpool2d_window.wgsl"

// x is a relu output (src/ops/relu_mask.ts): a window whose max is not positive gets no winner
// (code 255), so the backward gives it no gradient, as relu' would.
override RELU_MASK: bool = false;

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{T}}>;
{{CODE_VAR}}
@group(0) @binding({{U_BINDING}}) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  let p = windowAt(i, OH, OW);
  let b = p.x;
  let oh = p.y;
  let ow = p.z;
  let cv = p.w;
  let first = ((b * H + oh * KH) * W + ow * KW) * CV + cv;
  // The run's first vector of y: i's runs are in y's order.
  let out = i * NV;
  for (var j = 0u; j < NV; j++) {
    let base = first + j;
    var best = x[base];
    {{AT_DECL}}
    for (var kh = 0u; kh < KH; kh++) {
      for (var kw = 0u; kw < KW; kw++) {
        if (kh + kw == 0u) {
          continue;
        }
        let v = x[base + (kh * W + kw) * CV];
        let gt = v > best;
        best = select(best, v, gt);
        {{AT_UPDATE}}
      }
    }
    let o = out + j;
    y[o] = best;
    {{CODE_STORE}}
  }
}
