// Conv2D backward-input, texture-fed with subgroup sharing (the lavapipe variant, as
// conv2d_forward_sg.wgsl). GEMM view: M = input pixels, N = CI, K = KH*KW*CO: dx[m, ci] =
// sum over taps and co of dz[the output pixel that tap maps m to, co] * w[tap, ci, co].
//   dz (bound as x): [batch, OH, OW, CO] staged as texels [pixel][CO/4];
//   w: HWIO staged as texels [KH*KW*CI][CO/4], so the 4x4 block w[tap, 4n4..4n4+3, 4c4..4c4+3]
//   is 4 texels (one per ci) and each output component is a dot product over co;
//   y (dx): [M][CI/4] vec4s.
// As the forward: an invocation owns 4 blocks of L rows x one vec4 of CI, the lanes of a group
// share their rows' dz texels (sg_share.wgsl), and the 4 w texels of a step serve all 4 blocks.
{{SG_ENABLE}}
//#include "conv2d_tex_io.wgsl"
//#include "sg_share.wgsl"

// Row blocks of an invocation: 4, or 1 where M fits one (conv_tex.ts; the grid is the same).
override SG_BLOCKS: u32 = 4u;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CO4 = u.CO / 4u;
  let CI4 = u.N / 4u;
  let place = sgPlace(wid, lid, lane, CI4);
  // Out-of-range lanes still run the loop (every lane must take part in the share) on
  // clamped indices and skip the store.
  let n4 = min(place.x, CI4 - 1u);
  let m0 = place.y * 4u * SG_LANES;
  let last = u.M - 1u;
  let px0 = gridPixel(min(m0 + lane, last), u.H, u.W);
  let px1 = gridPixel(min(m0 + SG_LANES + lane, last), u.H, u.W);
  let px2 = gridPixel(min(m0 + 2u * SG_LANES + lane, last), u.H, u.W);
  let px3 = gridPixel(min(m0 + 3u * SG_LANES + lane, last), u.H, u.W);
  var a0: SgRows;
  var a1: SgRows;
  var a2: SgRows;
  var a3: SgRows;
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      let t0 = backwardInputTapAt(px0, kh, kw, CO4);
      let t1 = backwardInputTapAt(px1, kh, kw, CO4);
      let t2 = backwardInputTapAt(px2, kh, kw, CO4);
      let t3 = backwardInputTapAt(px3, kh, kw, CO4);
      let wb = ((kh * u.KW + kw) * u.CI + n4 * 4u) * CO4;
      for (var c4 = 0u; c4 < CO4; c4++) {
        let b = mat4x4f(texel(w, wb + c4), texel(w, wb + CO4 + c4), texel(w, wb + 2u * CO4 + c4),
          texel(w, wb + 3u * CO4 + c4));
        let x0 = texel(x, t0.base + c4) * t0.inside;
        sgAccumulateDot(x0, b, &a0);
        // One block where the rows fit it (a dense layer's few samples): the other three would
        // fetch and multiply clamped copies of the last row.
        if (sgMoreBlocks(SG_BLOCKS, u.M)) {
          let x1 = texel(x, t1.base + c4) * t1.inside;
          let x2 = texel(x, t2.base + c4) * t2.inside;
          let x3 = texel(x, t3.base + c4) * t3.inside;
          sgAccumulateDot(x1, b, &a1);
          sgAccumulateDot(x2, b, &a2);
          sgAccumulateDot(x3, b, &a3);
        }
      }
    }
  }
  if (place.x >= CI4) {
    return;
  }
  for (var l = 0u; l < sgLanes(); l++) {
    epilogue(m0 + l, n4, a0[l]);
    if (SG_BLOCKS > 1u) {
      epilogue(m0 + SG_LANES + l, n4, a1[l]);
      epilogue(m0 + 2u * SG_LANES + l, n4, a2[l]);
      epilogue(m0 + 3u * SG_LANES + l, n4, a3[l]);
    }
  }
}
