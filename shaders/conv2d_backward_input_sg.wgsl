// Conv2D backward-input, texture-fed with subgroup sharing (the lavapipe variant, as
// conv2d_forward_sg.wgsl). GEMM view: M = input pixels, N = CI, K = KH*KW*CO: dx[m, ci] =
// sum over taps and co of dz[the output pixel that tap maps m to, co] * w[tap, ci, co].
//   dz (bound as x): [batch, OH, OW, CO] staged as texels [pixel][CO/4];
//   w: HWIO staged as texels [KH*KW*CI][CO/4], so the 4x4 block w[tap, 4n4..4n4+3, 4c4..4c4+3]
//   is 4 texels (one per ci) and each output component is a dot product over co;
//   y (dx): [M][CI/4] vec4s.
// The lanes of a group share their rows' dz texels (sg_share.wgsl).
{{SG_ENABLE}}
//#include "conv2d_tex_io.wgsl"
//#include "sg_share.wgsl"

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CO4 = u.CO / 4u;
  let CI4 = u.N / 4u;
  // Out-of-range lanes still run the loop (every lane must take part in the share) on
  // clamped indices and skip the store.
  let n4 = min(gid.x, CI4 - 1u);
  let m0 = gid.y * SG_LANES;
  let mine = min(m0 + lane, u.M - 1u);
  var acc: SgRows;
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      let tap = backwardInputTap(mine, kh, kw, CO4);
      let wb = ((kh * u.KW + kw) * u.CI + n4 * 4u) * CO4;
      for (var c4 = 0u; c4 < CO4; c4++) {
        let b = mat4x4f(texel(w, wb + c4), texel(w, wb + CO4 + c4), texel(w, wb + 2u * CO4 + c4),
          texel(w, wb + 3u * CO4 + c4));
        sgAccumulateDot(texel(x, tap.base + c4) * tap.inside, b, &acc);
      }
    }
  }
  if (gid.x >= CI4) {
    return;
  }
  for (var l = 0u; l < SG_LANES; l++) {
    epilogue(m0 + l, n4, acc[l]);
  }
}
