// Winograd F(m x m, 3x3) weight transform: U = G g G^T (a x 3 times 3x3 times 3 x a, a = m + 2)
// for each (ci, co4) of the 3x3 kernel g this conv runs, written as a^2 slabs U[e][ci][CO/4] of
// vec4s (e = a*i + j). w is staged as texels [9*CI][CO/4] (HWIO). One invocation per (ci, co4):
// 9 fetches (36 with FLIP), a^2 vec4 stores. The arithmetic (WINO_TRANSFORM) is generated
// from G (src/kernels/winograd.ts): taps g{kh}_{kw}, the transform, put() per slab.
//
// FLIP: the input gradient's kernel, w rotated by 180 degrees with CI and CO swapped, read
// straight from the layer's w (no extra pass): u.CI is then the layer's CO and u.CO its CI.
override FLIP: bool = false;
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var w: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> uw: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

//#include "tex_operand.wgsl"

// Tap (kh, kw) of the kernel for input channel ci and output channels 4*co4..4*co4+3.
fn tap(kh: u32, kw: u32, ci: u32, co4: u32) -> vec4f {
  if (!FLIP) {
    return texel(w, ((3u * kh + kw) * u.CI + ci) * (u.CO / 4u) + co4);
  }
  // The layer's w is [3][3][u.CO][u.CI]: the 4 wanted values are channel ci of its rows
  // 4*co4..4*co4+3 (one texel row of u.CI/4 texels apart) at the rotated tap.
  let rowTexels = u.CI / 4u;
  let first = ((3u * (2u - kh) + 2u - kw) * u.CO + 4u * co4) * rowTexels + ci / 4u;
  let k = ci % 4u;
  return vec4f(
    texel(w, first)[k],
    texel(w, first + rowTexels)[k],
    texel(w, first + 2u * rowTexels)[k],
    texel(w, first + 3u * rowTexels)[k],
  );
}

fn put(e: u32, ci: u32, co4: u32, CO4: u32, val: vec4f) {
  uw[(e * u.CI + ci) * CO4 + co4] = val;
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
