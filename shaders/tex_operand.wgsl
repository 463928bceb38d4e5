// Texel i of a flat float array staged into an rgba32float texture by src/gpu/texture_pool.ts:
// the texture is 2^TEX_W_LOG2 texels wide, so texel i sits at (i mod width, i / width).
fn texel(t: texture_2d<f32>, i: u32) -> vec4f {
  let mask = (1u << {{TEX_W_LOG2}}u) - 1u;
  return textureLoad(t, vec2u(i & mask, i >> {{TEX_W_LOG2}}u), 0);
}
