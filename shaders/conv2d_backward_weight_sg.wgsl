// Conv2D backward-weight, texture-fed with subgroup sharing (the lavapipe variant, as
// conv2d_forward_sg.wgsl). GEMM view: M = KH*KW*CI rows (tap, ci), N = CO, and the reduction
// runs over the output pixels p: dw[tap, ci, co] = sum_p x[pixel p reads at tap, ci] * dz[p, co].
//   x: NHWC staged as texels [pixel][CI/4]; dz: [batch, OH, OW, CO] staged as [pixel][CO/4];
//   y (dw partials): [S][M][CO/4] vec4s, one slab per split of the pixels (grid z).
// Invocation (n4, block) owns 8 rows (one tap, ci 8b..8b+7) x one vec4 of co. Pixels go SG_LANES
// (L) at a time: lane l of a group (one row of the L x 64/L workgroup) fetches the two x texels
// (8 ci) of pixel p0+l and shares them (sg_share.wgsl); each lane fetches its own dz texel for
// every pixel. Per L pixels a lane does L + 2 fetches for 32 L multiply-adds.
{{SG_ENABLE}}
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

//#include "conv2d_params.wgsl"

@group(0) @binding(0) var x: texture_2d<f32>;
@group(0) @binding(1) var dz: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "tex_operand.wgsl"
//#include "conv2d_tex_rows.wgsl"
//#include "sg_share.wgsl"

// acc += x[ci] * dz, for the 8 ci of a pixel split over two texels lo (ci 0-3) and hi (4-7).
fn madd8(lo: vec4f, hi: vec4f, d: vec4f, acc: ptr<function, array<vec4f, 8>>) {
  (*acc)[0] += lo.x * d; (*acc)[1] += lo.y * d; (*acc)[2] += lo.z * d; (*acc)[3] += lo.w * d;
  (*acc)[4] += hi.x * d; (*acc)[5] += hi.y * d; (*acc)[6] += hi.z * d; (*acc)[7] += hi.w * d;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CI4 = u.CI / 4u;
  let CO4 = u.N / 4u;
  let P = u.K;  // batch * OH * OW output pixels
  let blocks = u.M / 8u;
  // Out-of-range lanes run on clamped indices (every lane must take part in the share).
  let n4 = min(gid.x, CO4 - 1u);
  let rb = min(gid.y, blocks - 1u);
  let t = rb / (u.CI / 8u);
  let c4 = (rb % (u.CI / 8u)) * 2u;
  let kh = t / u.KW;
  let kw = t % u.KW;
  let pBegin = wid.z * u.kChunk;  // wid, not gid: the loop bounds must be subgroup-uniform
  let pEnd = min(P, pBegin + u.kChunk);
  var acc: array<vec4f, 8>;
  for (var p0 = pBegin; p0 < pEnd; p0 += SG_LANES) {
    let p = p0 + lane;
    let tap = forwardTap(min(p, P - 1u), kh, kw, CI4);
    let inside = select(0.0, tap.inside, p < pEnd);
    let lo = texel(x, tap.base + c4) * inside;
    let hi = texel(x, tap.base + c4 + 1u) * inside;
    let last = pEnd - 1u;
    sgPublish(lo, 0u);
    sgPublish(hi, 1u);
    for (var l = 0u; l < SG_LANES; l++) {
      madd8(sgRow(lo, 0u, l), sgRow(hi, 1u, l), texel(dz, min(p0 + l, last) * CO4 + n4), &acc);
    }
    sgRelease();
  }
  if (gid.x >= CO4 || gid.y >= blocks) {
    return;
  }
  let row0 = rb * 8u;
  for (var i = 0u; i < 8u; i++) {
    y[(wid.z * u.M + row0 + i) * CO4 + n4] = acc[i];
  }
}
