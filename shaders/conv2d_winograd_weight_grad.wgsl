// Winograd F(m x m, 3x3) weight gradient, last step: dw = G^T (sum over pixel chunks of dU) G
// per (ci, co4), 3 x a times a x a times a x 3 (a = m + 2). dU holds the slabs' products
// V_e^T . D_e summed per chunk of tiles, [a^2][S][CI][CO/4] vec4s (src/kernels/winograd_weight.ts);
// dw is HWIO [3][3][CI][CO/4]. One invocation per (ci, co4): a^2 S vec4 loads, 9 vec4 stores.
// The arithmetic (WINO_TRANSFORM) is generated from G: loads m{r}_{c} through part(), the
// transform, put() per tap.
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var<storage, read> du: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dw: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

// S as a pipeline constant (winograd_weight.ts): a loop bound known when the shader compiles
// unrolls, and a single chunk (VGG16's block 5) is one load, not a loop per slab.
override CHUNKS: u32 = 0u;

//#include "trip_count.wgsl"

// Slab e's sum over the S chunks (u.T holds S here) at (ci, co4).
fn part(e: u32, ci: u32, co4: u32, CO4: u32) -> vec4f {
  var s = du[(e * u.T * u.CI + ci) * CO4 + co4];
  for (var k = 1u; k < tripCount(CHUNKS, u.T); k++) {
    s += du[((e * u.T + k) * u.CI + ci) * CO4 + co4];
  }
  return s;
}

fn put(kh: u32, kw: u32, ci: u32, co4: u32, CO4: u32, val: vec4f) {
  dw[((3u * kh + kw) * u.CI + ci) * CO4 + co4] = val;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CO4 = u.CO / 4u;
  let i = flatIndex(gid, nwg);
  if (i >= u.CI * CO4) {
    return;
  }
  let co4 = i % CO4;
  let ci = i / CO4;
  {{WINO_TRANSFORM}}
}
