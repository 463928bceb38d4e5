// dx of max pooling as a gather (no float atomics needed, and overlapping windows work): each
// input cell sums dy over the outputs whose window covers it and whose argmax is this cell.
// Output oh covers ih when oh*SH - PT <= ih < oh*SH - PT + KH.
//#include "grid1d.wgsl"

//#include "pool_params.wgsl"

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

// The outputs o along one axis whose window [o*s - pad, o*s - pad + k) contains position p.
fn coverage(p: u32, k: u32, s: u32, pad: u32, outSize: u32) -> vec2u {
  let q = i32(p + pad);
  let lo = max(0, (q - i32(k) + i32(s)) / i32(s));  // ceil((q - k + 1) / s) for q - k + 1 >= 0
  let hi = min(i32(outSize) - 1, q / i32(s));
  return vec2u(u32(lo), u32(max(hi + 1, lo)));
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  // i = ((b*H + ih)*W + iw)*C + c
  let p = nhwc(i, u.H, u.W);
  let b = p.x;
  let ih = p.y;
  let iw = p.z;
  let c = p.w;
  let rows = coverage(ih, u.KH, u.SH, u.PT, u.OH);
  let cols = coverage(iw, u.KW, u.SW, u.PL, u.OW);
  var acc = 0.0;
  for (var oh = rows.x; oh < rows.y; oh++) {
    for (var ow = cols.x; ow < cols.y; ow++) {
      let o = ((b * u.OH + oh) * u.OW + ow) * u.C + c;
      if (argmax[o] == i) {
        acc += dy[o];
      }
    }
  }
  dx[i] = acc;
}
