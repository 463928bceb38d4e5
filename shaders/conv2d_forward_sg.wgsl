// Conv2D forward, texture-fed with subgroup sharing: the lavapipe variant (see
// src/kernels/conv_tex.ts for when it is chosen). GEMM view as in conv2d_forward.wgsl: M = output
// pixels, K = KH*KW*CI taps, N = CO.
//   x: NHWC staged as texels [pixel][CI/4]; w: HWIO staged as texels [KH*KW*CI][CO/4];
//   y: [M][CO/4] vec4s.
// Invocation (n4, block) owns SG_LANES (L) rows (pixels) x 4 columns (one vec4 of CO). The L
// lanes of a group (one row of the L x 64/L workgroup) share their rows (sg_share.wgsl): each
// lane fetches the x texel of ONE row, so per 4 taps a lane does 1 x fetch + 4 w fetches for
// 16 L multiply-adds instead of L + 4.
{{SG_ENABLE}}
//#include "conv2d_tex_io.wgsl"
//#include "sg_share.wgsl"

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CI4 = u.CI / 4u;
  let CO4 = u.N / 4u;
  // Out-of-range lanes still run the loop (every lane must take part in the share) on
  // clamped indices and skip the store.
  let n4 = min(gid.x, CO4 - 1u);
  let m0 = gid.y * SG_LANES;
  let mine = min(m0 + lane, u.M - 1u);
  var acc: SgRows;
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      let tap = forwardTap(mine, kh, kw, CI4);
      let wRow = (kh * u.KW + kw) * u.CI;
      for (var c4 = 0u; c4 < CI4; c4++) {
        let wb = (wRow + c4 * 4u) * CO4 + n4;
        let b = mat4x4f(texel(w, wb), texel(w, wb + CO4), texel(w, wb + 2u * CO4), texel(w, wb + 3u * CO4));
        sgAccumulate(texel(x, tap.base + c4) * tap.inside, b, &acc);
      }
    }
  }
  if (gid.x >= CO4) {
    return;
  }
  for (var l = 0u; l < SG_LANES; l++) {
    epilogue(m0 + l, n4, acc[l]);
  }
}
