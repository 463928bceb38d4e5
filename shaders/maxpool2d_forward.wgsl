// Max pooling, NHWC. One invocation per output; padded cells never win (TF pads with -inf).
// Also writes the flat index into x of the winner (the first maximum in window scan order),
// which the backward pass gathers by.
//#include "grid1d.wgsl"

//#include "pool_params.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<u32>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  // i = ((b*OH + oh)*OW + ow)*C + c
  let o = nhwc(i, u.OH, u.OW);
  let b = o.x;
  let oh = o.y;
  let ow = o.z;
  let c = o.w;
  var best = 0.0;
  var at = 0xffffffffu;
  for (var kh = 0u; kh < u.KH; kh++) {
    let ih = i32(oh * u.SH + kh) - i32(u.PT);
    if (ih < 0 || ih >= i32(u.H)) {
      continue;
    }
    for (var kw = 0u; kw < u.KW; kw++) {
      let iw = i32(ow * u.SW + kw) - i32(u.PL);
      if (iw < 0 || iw >= i32(u.W)) {
        continue;
      }
      let j = ((b * u.H + u32(ih)) * u.W + u32(iw)) * u.C + c;
      let v = x[j];
      if (at == 0xffffffffu || v > best) {
        best = v;
        at = j;
      }
    }
  }
  y[i] = best;
  argmax[i] = at;
}
