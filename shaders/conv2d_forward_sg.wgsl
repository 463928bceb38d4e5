// Conv2D forward, texture-fed with subgroup sharing: the lavapipe variant (see
// src/kernels/conv_tex.ts for when it is chosen). GEMM view as in conv2d_forward.wgsl: M = output
// pixels, K = KH*KW*CI taps, N = CO.
//   x: NHWC staged as texels [pixel][CI/4]; w: HWIO staged as texels [KH*KW*CI][CO/4];
//   y: [M][CO/4] vec4s.
// Invocation (n4, block) owns 4 blocks of SG_LANES (L) rows (pixels) x 4 columns (one vec4 of
// CO). The L lanes of a group (one row of the L x 64/L workgroup) share their rows
// (sg_share.wgsl): each lane fetches the x texel of ONE row per block, so per 4 taps a lane does
// 4 x fetches + 4 w fetches for 64 L multiply-adds. One block (1 + 4 fetches for 16 L) left the
// w fetches dominant: on lavapipe a texel fetch is a call costing about as much as 44
// multiply-adds. The blocks are written out: Mesa does not unroll a loop over them around the
// share's lane loop, and indexing the accumulators dynamically is slow. sgPlace lays out the
// workgroup's groups.
{{SG_ENABLE}}
//#include "conv2d_tex_io.wgsl"
//#include "sg_share.wgsl"
//#include "conv2d_sg_pool_{{POOL_OUT}}.wgsl"

// Row blocks of an invocation: 4, or 1 where M fits one (conv_tex.ts; the grid is the same).
override SG_BLOCKS: u32 = 4u;
// The rows come window by window of a 2x2 max pool (the RGB patch matrix in window order,
// conv_patches.ts): block k holds cell k of the group's L windows, and poolStore() writes each
// window's max (and winners) instead of the four rows. Set only with POOL_OUT = codes.
override POOL_ROWS: bool = false;
// x as channel groups of rows, [CI/4][M] (a 1x1 geometry: the channel-outer patch rows of
// conv_patches.ts), so that the lanes, one row each, fetch neighbouring texels.
override X_CHANNELS_OUTER: bool = false;

// Row m's texel of channel group c4 at tap t (t.inside zero in the padding).
fn xTexel(t: RowTap, m: u32, c4: u32) -> vec4f {
  if (X_CHANNELS_OUTER) {
    return texel(x, c4 * u.M + m);
  }
  return texel(x, t.base + c4) * t.inside;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CI4 = u.CI / 4u;
  let CO4 = u.N / 4u;
  let place = sgPlace(wid, lid, lane, CO4);
  // Out-of-range lanes still run the loop (every lane must take part in the share) on
  // clamped indices and skip the store.
  let n4 = min(place.x, CO4 - 1u);
  let m0 = place.y * 4u * SG_LANES;
  let last = u.M - 1u;
  let r0 = min(m0 + lane, last);
  let r1 = min(m0 + SG_LANES + lane, last);
  let r2 = min(m0 + 2u * SG_LANES + lane, last);
  let r3 = min(m0 + 3u * SG_LANES + lane, last);
  let px0 = gridPixel(r0, u.OH, u.OW);
  let px1 = gridPixel(r1, u.OH, u.OW);
  let px2 = gridPixel(r2, u.OH, u.OW);
  let px3 = gridPixel(r3, u.OH, u.OW);
  var a0: SgRows;
  var a1: SgRows;
  var a2: SgRows;
  var a3: SgRows;
  for (var kh = 0u; kh < u.KH; kh++) {
    for (var kw = 0u; kw < u.KW; kw++) {
      let t0 = forwardTapAt(px0, kh, kw, CI4);
      let t1 = forwardTapAt(px1, kh, kw, CI4);
      let t2 = forwardTapAt(px2, kh, kw, CI4);
      let t3 = forwardTapAt(px3, kh, kw, CI4);
      let wRow = (kh * u.KW + kw) * u.CI;
      for (var c4 = 0u; c4 < CI4; c4++) {
        let wb = (wRow + c4 * 4u) * CO4 + n4;
        let b = mat4x4f(texel(w, wb), texel(w, wb + CO4), texel(w, wb + 2u * CO4), texel(w, wb + 3u * CO4));
        let x0 = xTexel(t0, r0, c4);
        sgAccumulate(x0, b, &a0);
        // One block where the rows fit it (a dense layer's few samples): the other three would
        // fetch and multiply clamped copies of the last row.
        if (sgMoreBlocks(SG_BLOCKS, u.M)) {
          let x1 = xTexel(t1, r1, c4);
          let x2 = xTexel(t2, r2, c4);
          let x3 = xTexel(t3, r3, c4);
          sgAccumulate(x1, b, &a1);
          sgAccumulate(x2, b, &a2);
          sgAccumulate(x3, b, &a3);
        }
      }
    }
  }
  if (place.x >= CO4) {
    return;
  }
  if (POOL_ROWS) {
    for (var l = 0u; l < sgLanes(); l++) {
      poolStore(place.y * SG_LANES + l, n4, a0[l], a1[l], a2[l], a3[l]);
    }
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
