// Stages a flat f32 operand into an rgba16float texture in the layout of src/gpu/texture_pool.ts
// (texel i at (i mod 2^TEX_W_LOG2, i >> TEX_W_LOG2)): the opt-in half-precision staging of
// 'texture' bindings (src/ops/precision.ts). copyBufferToTexture cannot convert f32 to f16, so
// this kernel does. No f16 arithmetic or type appears here (no `enable f16`, no 'shader-f16'):
// rgba16float is a core write-only storage format, and the kernels that read the texture get
// vec4<f32> from textureLoad. One invocation per texel.
//#include "grid1d.wgsl"

// The nearest f16 value (ties to even), computed in f32 so that the store's own conversion is
// exact. WGSL and Vulkan leave that conversion's rounding to the implementation, and lavapipe
// truncates: every staged value would shrink by up to 2^-10 (2^-11 on average in its binade),
// so every product by ~7e-4 on average, a bias that sums over K terms instead of cancelling.
// Normal range: round the f32 significand to 10 bits; f16 subnormals (|v| < 2^-14): to a multiple
// of 2^-24; infinities and NaN pass unchanged. Past 65504 the store decides (infinity or 65504).
fn roundToHalf(v: vec4f) -> vec4f {
  let b = bitcast<vec4u>(v);
  let normal = bitcast<vec4f>((b + 0xfffu + ((b >> vec4u(13u)) & vec4u(1u))) & vec4u(0xffffe000u));
  let subnormal = round(v * 16777216.0) * (1.0 / 16777216.0);
  let special = (b & vec4u(0x7f800000u)) == vec4u(0x7f800000u);
  return select(select(normal, subnormal, abs(v) < vec4f(6.103515625e-5)), v, special);
}

struct Params {
  texels: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba16float, write>;
@group(0) @binding(2) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.texels) {
    return;
  }
  let mask = (1u << {{TEX_W_LOG2}}u) - 1u;
  textureStore(dst, vec2u(i & mask, i >> {{TEX_W_LOG2}}u), roundToHalf(src[i]));
}
