// Conv2D forward, texture-fed with subgroup sharing: the lavapipe variant (see
// src/kernels/conv_tex.ts for when it is chosen). GEMM view as in conv2d_forward.wgsl: M = output
// pixels, K = KH*KW*CI taps, N = CO.
//   x: NHWC staged as texels [pixel][CI/4]; w: HWIO staged as texels [KH*KW*CI][CO/4];
//   y: [M][CO/4] vec4s.
// Invocation (n4, block) owns 8 rows (pixels) x 4 columns (one vec4 of CO). The 8 lanes of a
// subgroup (one row of the 8x8 workgroup) share their 8 rows: each lane fetches the x texel of
// ONE row and subgroupBroadcast hands it to the others, so per 4 taps a lane does 1 x fetch +
// 4 w fetches for 128 multiply-adds instead of 8 + 4. Fetches are what lavapipe pays for.
enable subgroups;
//#include "conv2d_tex_io.wgsl"

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let CI4 = u.CI / 4u;
  let CO4 = u.N / 4u;
  // Out-of-range lanes still run the loop (every lane must take part in the broadcasts) on
  // clamped indices and skip the store.
  let n4 = min(gid.x, CO4 - 1u);
  let m0 = gid.y * 8u;
  let mine = min(m0 + lane, u.M - 1u);
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0); var acc5 = vec4f(0.0); var acc6 = vec4f(0.0); var acc7 = vec4f(0.0);
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      let tap = forwardTap(mine, kh, kw, CI4);
      let wRow = (kh * u.KW + kw) * u.CI;
      for (var c4 = 0u; c4 < CI4; c4++) {
        let wb = (wRow + c4 * 4u) * CO4 + n4;
        let w0 = texel(w, wb);
        let w1 = texel(w, wb + CO4);
        let w2 = texel(w, wb + 2u * CO4);
        let w3 = texel(w, wb + 3u * CO4);
        let a = texel(x, tap.base + c4) * tap.inside;
        var r = subgroupBroadcast(a, 0u);
        acc0 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 1u);
        acc1 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 2u);
        acc2 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 3u);
        acc3 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 4u);
        acc4 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 5u);
        acc5 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 6u);
        acc6 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = subgroupBroadcast(a, 7u);
        acc7 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
      }
    }
  }
  if (gid.x >= CO4) {
    return;
  }
  epilogue(m0, n4, acc0); epilogue(m0 + 1u, n4, acc1);
  epilogue(m0 + 2u, n4, acc2); epilogue(m0 + 3u, n4, acc3);
  epilogue(m0 + 4u, n4, acc4); epilogue(m0 + 5u, n4, acc5);
  epilogue(m0 + 6u, n4, acc6); epilogue(m0 + 7u, n4, acc7);
}
