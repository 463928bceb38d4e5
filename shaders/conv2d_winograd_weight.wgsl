// Winograd F(m x m, 3x3) weight transform: U = G g G^T (a x 3 times 3x3 times 3 x a, a = m + 2)
// for each (ci, co4) of the 3x3 kernel g this conv runs, written as a^2 slabs U[e][ci][CO/4] of
// vec4s (e = a*i + j). w is staged as texels [9*CI][CO/4] (HWIO). One invocation per (ci, co4):
// 9 fetches, a^2 vec4 stores (with FLIP per 4 input channels: 36 fetches, 4 a^2 stores). The
// arithmetic (WINO_TRANSFORM) is generated from G (src/kernels/winograd.ts): taps g{kh}_{kw},
// the transform, put() per slab.
//
// FLIP: the input gradient's kernel, w rotated by 180 degrees with CI and CO swapped, read
// straight from the layer's w (no extra pass): u.CI is then the layer's CO and u.CO its CI.
// Each fetched texel then holds 4 input channels, so an invocation transforms all 4.
override FLIP: bool = false;
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var w: TexOperand;
@group(0) @binding(1) var<storage, read_write> uw: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

//#include "tex_operand.wgsl"

// Tap (kh, kw) of the kernel for input channel ci and output channels 4*co4..4*co4+3.
fn tap(kh: u32, kw: u32, ci: u32, co4: u32) -> vec4f {
  return texel(w, ((3u * kh + kw) * u.CI + ci) * (u.CO / 4u) + co4);
}

// FLIP: the layer's w is [3][3][u.CO][u.CI]; the rotated tap (kh, kw) for input channels
// 4*ci4..4*ci4+3 and output channels 4*co4..4*co4+3 is 4 texels, the layer's rows 4*co4..+3
// (u.CI/4 texels apart) at texel ci4 of each: column k of the 4x4 holds input channel 4*ci4 + k.
fn flipTexels(kh: u32, kw: u32, ci4: u32, co4: u32) -> mat4x4f {
  let rowTexels = u.CI / 4u;
  let first = ((3u * (2u - kh) + 2u - kw) * u.CO + 4u * co4) * rowTexels + ci4;
  return mat4x4f(
    texel(w, first),
    texel(w, first + rowTexels),
    texel(w, first + 2u * rowTexels),
    texel(w, first + 3u * rowTexels),
  );
}

fn pick(f: mat4x4f, k: u32) -> vec4f {
  return vec4f(f[0][k], f[1][k], f[2][k], f[3][k]);
}

fn put(e: u32, ci: u32, co4: u32, CO4: u32, val: vec4f) {
  uw[(e * u.CI + ci) * CO4 + co4] = val;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CO4 = u.CO / 4u;
  let i = flatIndex(gid, nwg);
  // One invocation per input channel, or with FLIP per group of 4.
  let rows = select(u.CI, u.CI / 4u, FLIP);
  if (i >= rows * CO4) {
    return;
  }
  let co4 = i % CO4;
  let row = i / CO4;
  {{WINO_TRANSFORM}}
}
