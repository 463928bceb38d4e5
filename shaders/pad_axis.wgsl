// Resizes the middle axis of x viewed as [A, B, C] to y [A, B2, C]: y[a, b, c] = x[a, b, c] for
// b < B, else 0 (zero-padding when B2 > B, cropping when B2 < B), except 1 at b == ones (a padded
// channel of ones: the weight gradient then sums dz there, the bias gradient; B2 for none). One
// invocation per y element.
//#include "grid1d.wgsl"

struct Params {
  n: u32,   // A * B2 * C
  B: u32,
  B2: u32,
  C: u32,
  ones: u32,
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
  let c = i % u.C;
  let b = (i / u.C) % u.B2;
  let a = i / (u.C * u.B2);
  var v = 0.0;
  if (b < u.B) {
    v = x[(a * u.B + b) * u.C + c];
  } else if (b == u.ones) {
    v = 1.0;
  }
  y[i] = v;
}
