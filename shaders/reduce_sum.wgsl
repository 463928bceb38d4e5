// Sum over the middle axis of x viewed as [outer, R, inner]. Long reductions are split: this
// pass sums chunks of `chunk` rows into y [outer, S, inner] (S = ceil(R / chunk)); the host
// repeats it until S == 1. `scale` multiplies the result (1/R gives a mean).
//#include "grid1d.wgsl"

struct Params {
  outer: u32,
  R: u32,
  inner: u32,
  chunk: u32,
  S: u32,
  n: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  // i = (a * S + s) * inner + b
  let b = i % u.inner;
  let s = (i / u.inner) % u.S;
  let a = i / (u.inner * u.S);
  let r0 = s * u.chunk;
  let r1 = min(u.R, r0 + u.chunk);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) {
    acc += x[(a * u.R + r) * u.inner + b];
  }
  y[i] = acc * u.scale;
}
