// Texel i of a flat float array staged into an rgba32float texture by src/gpu/texture_pool.ts:
// the texture is 2^TEX_W_LOG2 texels wide, so texel i sits at (i mod width, i / width).
// TexOperand is a sampled texture or a read-only storage texture, as the dispatcher binds it
// (src/gpu/texel_access.ts); only the sampled load takes a mip level.
alias TexOperand = {{TEX_OPERAND}};

fn texel(t: TexOperand, i: u32) -> vec4f {
  let mask = (1u << {{TEX_W_LOG2}}u) - 1u;
  return textureLoad(t, vec2u(i & mask, i >> {{TEX_W_LOG2}}u){{TEX_LEVEL}});
}
