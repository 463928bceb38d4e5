// Conv2D forward, texture-fed, without subgroups: the fallback of conv2d_forward_sg.wgsl (same
// layouts and contract) for adapters whose subgroups are not 8 lanes. GEMM view as in
// conv2d_forward.wgsl: M = output pixels, K = KH*KW*CI taps, N = CO.
//   x: NHWC staged as texels [pixel][CI/4]; w: HWIO staged as texels [KH*KW*CI][CO/4];
//   y: [M][CO/4] vec4s.
// Invocation (n4, block) owns 8 rows (pixels) x 4 columns (one vec4 of CO): per 4 taps it
// fetches 8 x texels and 4 w texels for 128 multiply-adds.
//#include "conv2d_tex_io.wgsl"

// Rows of an invocation: 8, or 4 where M is at most 4 (conv_tex.ts; the grid is the same).
override ROWS: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let CI4 = u.CI / 4u;
  let CO4 = u.N / 4u;
  if (gid.x >= CO4 || gid.y * 8u >= u.M) {
    return;
  }
  let n4 = gid.x;
  let m0 = gid.y * 8u;
  let last = u.M - 1u;
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0); var acc5 = vec4f(0.0); var acc6 = vec4f(0.0); var acc7 = vec4f(0.0);
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      // Rows past M repeat the last row; their results are not stored.
      let t0 = forwardTap(m0, kh, kw, CI4);
      let t1 = forwardTap(min(m0 + 1u, last), kh, kw, CI4);
      let t2 = forwardTap(min(m0 + 2u, last), kh, kw, CI4);
      let t3 = forwardTap(min(m0 + 3u, last), kh, kw, CI4);
      let t4 = forwardTap(min(m0 + 4u, last), kh, kw, CI4);
      let t5 = forwardTap(min(m0 + 5u, last), kh, kw, CI4);
      let t6 = forwardTap(min(m0 + 6u, last), kh, kw, CI4);
      let t7 = forwardTap(min(m0 + 7u, last), kh, kw, CI4);
      let wRow = (kh * u.KW + kw) * u.CI;
      for (var c4 = 0u; c4 < CI4; c4++) {
        let wb = (wRow + c4 * 4u) * CO4 + n4;
        let w0 = texel(w, wb);
        let w1 = texel(w, wb + CO4);
        let w2 = texel(w, wb + 2u * CO4);
        let w3 = texel(w, wb + 3u * CO4);
        var r = texel(x, t0.base + c4) * t0.inside;
        acc0 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = texel(x, t1.base + c4) * t1.inside;
        acc1 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = texel(x, t2.base + c4) * t2.inside;
        acc2 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        r = texel(x, t3.base + c4) * t3.inside;
        acc3 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        // Four rows where M fits them (a dense layer at batch <= 4): the other four would fetch
        // and multiply clamped copies of the last row.
        if (ROWS > 4u) {
          r = texel(x, t4.base + c4) * t4.inside;
          acc4 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
          r = texel(x, t5.base + c4) * t5.inside;
          acc5 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
          r = texel(x, t6.base + c4) * t6.inside;
          acc6 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
          r = texel(x, t7.base + c4) * t7.inside;
          acc7 += r.x * w0 + r.y * w1 + r.z * w2 + r.w * w3;
        }
      }
    }
  }
  epilogue(m0, n4, acc0); epilogue(m0 + 1u, n4, acc1);
  epilogue(m0 + 2u, n4, acc2); epilogue(m0 + 3u, n4, acc3);
  epilogue(m0 + 4u, n4, acc4); epilogue(m0 + 5u, n4, acc5);
  epilogue(m0 + 6u, n4, acc6); epilogue(m0 + 7u, n4, acc7);
}
