// Winograd F(2x2, 3x3) output transform: Y = A^T M A for each tile and vec4 of CO,
//   A^T = [[1, 1, 1, 0], [0, 1, -1, -1]],
// plus bias and activation, stored into NHWC y; the parts of a tile past OH or OW (odd output
// sizes) are dropped. M is staged as texels [16*T][CO/4]. One invocation per (tile, co4):
// 16 fetches, up to 4 vec4 stores; with POOL (a max pool fused, conv_pool.ts) the tile, a 2x2
// window, is stored as its maximum.
override HAS_BIAS: bool = false;
override POOL: bool = false;
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var m: texture_2d<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "activation.wgsl"
//#include "tex_operand.wgsl"

// Row i of M (slabs 4i..4i+3) times A: (m0 + m1 + m2, m1 - m2 - m3).
struct Pair { a: vec4f, b: vec4f }

fn rowA(first: u32, stride: u32) -> Pair {
  let m0 = texel(m, first);
  let m1 = texel(m, first + stride);
  let m2 = texel(m, first + 2u * stride);
  let m3 = texel(m, first + 3u * stride);
  return Pair(m0 + m1 + m2, m1 - m2 - m3);
}

fn put(b: u32, oh: u32, ow: u32, co4: u32, CO4: u32, val: vec4f, bv: vec4f) {
  if (oh < u.OH && ow < u.OW) {
    let r = val + bv;
    y[((b * u.OH + oh) * u.OW + ow) * CO4 + co4] =
      vec4f(activate(r.x), activate(r.y), activate(r.z), activate(r.w));
  }
}

fn act4(v: vec4f) -> vec4f {
  return vec4f(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}

// With the pool fused (conv_pool.ts): the 2x2 block v0 v1 / v2 v3 of the tile, activated, max-
// pooled into y [batch, OH/2, OW/2, CO] at (ph, pw). The first maximum in row-major order wins,
// as in the pool kernels, so the values are bit-equal to conv then pool; blocks past the pooled
// map (the last row or column of an odd OH or OW) are dropped, as the pool drops them.
fn putPool(b: u32, ph: u32, pw: u32, co4: u32, CO4: u32, v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f, bv: vec4f) {
  let PH = u.OH / 2u;
  let PW = u.OW / 2u;
  if (ph < PH && pw < PW) {
    var best = act4(v0 + bv);
    let a1 = act4(v1 + bv);
    best = select(best, a1, a1 > best);
    let a2 = act4(v2 + bv);
    best = select(best, a2, a2 > best);
    let a3 = act4(v3 + bv);
    best = select(best, a3, a3 > best);
    y[((b * PH + ph) * PW + pw) * CO4 + co4] = best;
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CO4 = u.CO / 4u;
  let i = flatIndex(gid, nwg);
  if (i >= u.T * CO4) {
    return;
  }
  let co4 = i % CO4;
  let t = i / CO4;
  let tx = t % u.TW;
  let ty = (t / u.TW) % u.TH;
  let b = t / (u.TW * u.TH);
  // Slab e of this (tile, co4) is texel (e*T + t)*CO4 + co4: slabs are T*CO4 texels apart.
  let slab = u.T * CO4;
  let first = t * CO4 + co4;
  // A^T along the rows: Y0 = r0 + r1 + r2, Y1 = r1 - r2 - r3.
  let r0 = rowA(first, slab);
  let r1 = rowA(first + 4u * slab, slab);
  let r2 = rowA(first + 8u * slab, slab);
  let y0 = r0.a + r1.a + r2.a;
  let y1 = r0.b + r1.b + r2.b;
  var z0 = r1.a - r2.a;
  var z1 = r1.b - r2.b;
  let r3 = rowA(first + 12u * slab, slab);
  z0 -= r3.a;
  z1 -= r3.b;
  var bv = vec4f(0.0);
  if (HAS_BIAS) {
    bv = vec4f(bias[co4 * 4u], bias[co4 * 4u + 1u], bias[co4 * 4u + 2u], bias[co4 * 4u + 3u]);
  }
  if (POOL) {
    putPool(b, ty, tx, co4, CO4, y0, y1, z0, z1, bv);
    return;
  }
  let oh = 2u * ty;
  let ow = 2u * tx;
  put(b, oh, ow, co4, CO4, y0, bv);
  put(b, oh, ow + 1u, co4, CO4, y1, bv);
  put(b, oh + 1u, ow, co4, CO4, z0, bv);
  put(b, oh + 1u, ow + 1u, co4, CO4, z1, bv);
}
