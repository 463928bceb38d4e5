// Conv2D backward-input, texture-fed with subgroup sharing (the lavapipe variant, as
// conv2d_forward_sg.wgsl). GEMM view: M = input pixels, N = CI, K = KH*KW*CO: dx[m, ci] =
// sum over taps and co of dz[the output pixel that tap maps m to, co] * w[tap, ci, co].
//   dz (bound as x): [batch, OH, OW, CO] staged as texels [pixel][CO/4];
//   w: HWIO staged as texels [KH*KW*CI][CO/4], so the 4x4 block w[tap, 4n4..4n4+3, 4c4..4c4+3]
//   is 4 texels (one per ci) and each output component is a dot product over co;
//   y (dx): [M][CI/4] vec4s.
// The 8 lanes of a subgroup share their 8 rows' dz texels through subgroupBroadcast.
enable subgroups;
//#include "conv2d_tex_io.wgsl"

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let CO4 = u.CO / 4u;
  let CI4 = u.N / 4u;
  // Out-of-range lanes still run the loop (every lane must take part in the broadcasts) on
  // clamped indices and skip the store.
  let n4 = min(gid.x, CI4 - 1u);
  let m0 = gid.y * 8u;
  let mine = min(m0 + lane, u.M - 1u);
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0); var acc5 = vec4f(0.0); var acc6 = vec4f(0.0); var acc7 = vec4f(0.0);
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      let tap = backwardInputTap(mine, kh, kw, CO4);
      let wb = ((kh * u.KW + kw) * u.CI + n4 * 4u) * CO4;
      for (var c4 = 0u; c4 < CO4; c4++) {
        let w0 = texel(w, wb + c4);
        let w1 = texel(w, wb + CO4 + c4);
        let w2 = texel(w, wb + 2u * CO4 + c4);
        let w3 = texel(w, wb + 3u * CO4 + c4);
        let a = texel(x, tap.base + c4) * tap.inside;
        var r = subgroupBroadcast(a, 0u);
        acc0 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 1u);
        acc1 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 2u);
        acc2 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 3u);
        acc3 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 4u);
        acc4 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 5u);
        acc5 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 6u);
        acc6 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
        r = subgroupBroadcast(a, 7u);
        acc7 += vec4f(dot(r, w0), dot(r, w1), dot(r, w2), dot(r, w3));
      }
    }
  }
  if (gid.x >= CI4) {
    return;
  }
  epilogue(m0, n4, acc0); epilogue(m0 + 1u, n4, acc1);
  epilogue(m0 + 2u, n4, acc2); epilogue(m0 + 3u, n4, acc3);
  epilogue(m0 + 4u, n4, acc4); epilogue(m0 + 5u, n4, acc5);
  epilogue(m0 + 6u, n4, acc6); epilogue(m0 + 7u, n4, acc7);
}
