// Winograd F(2x2, 3x3) weight transform: U = G g G^T for each (ci, co) of an HWIO 3x3 kernel,
//   G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]],
// written as 16 slabs U[e][ci][CO/4] of vec4s (e = 4*i + j). w is staged as texels
// [9*CI][CO/4]. One invocation per (ci, co4): 9 fetches, 16 vec4 stores.
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var w: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> uw: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

//#include "tex_operand.wgsl"

// Column j of G g: the 3 taps of kernel column kw = 0..2 become 4 values.
struct Col { a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f }

fn gcol(g0: vec4f, g1: vec4f, g2: vec4f) -> Col {
  let s = 0.5 * (g0 + g2);
  let h = 0.5 * g1;
  return Col(g0, s + h, s - h, g2);
}

fn put(e: u32, ci: u32, co4: u32, CO4: u32, v: vec4f) {
  uw[(e * u.CI + ci) * CO4 + co4] = v;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CO4 = u.CO / 4u;
  let i = flatIndex(gid, nwg);
  if (i >= u.CI * CO4) {
    return;
  }
  let co4 = i % CO4;
  let ci = i / CO4;
  let row = u.CI * CO4;
  let base = ci * CO4 + co4;
  // Tap (kh, kw) sits at texel base + (3*kh + kw) * row. First G along kh (per kernel column),
  // then along kw.
  let c0 = gcol(texel(w, base), texel(w, base + 3u * row), texel(w, base + 6u * row));
  let c1 = gcol(texel(w, base + row), texel(w, base + 4u * row), texel(w, base + 7u * row));
  let c2 = gcol(texel(w, base + 2u * row), texel(w, base + 5u * row), texel(w, base + 8u * row));
  var r = gcol(c0.a0, c1.a0, c2.a0);
  put(0u, ci, co4, CO4, r.a0); put(1u, ci, co4, CO4, r.a1); put(2u, ci, co4, CO4, r.a2); put(3u, ci, co4, CO4, r.a3);
  r = gcol(c0.a1, c1.a1, c2.a1);
  put(4u, ci, co4, CO4, r.a0); put(5u, ci, co4, CO4, r.a1); put(6u, ci, co4, CO4, r.a2); put(7u, ci, co4, CO4, r.a3);
  r = gcol(c0.a2, c1.a2, c2.a2);
  put(8u, ci, co4, CO4, r.a0); put(9u, ci, co4, CO4, r.a1); put(10u, ci, co4, CO4, r.a2); put(11u, ci, co4, CO4, r.a3);
  r = gcol(c0.a3, c1.a3, c2.a3);
  put(12u, ci, co4, CO4, r.a0); put(13u, ci, co4, CO4, r.a1); put(14u, ci, co4, CO4, r.a2); put(15u, ci, co4, CO4, r.a3);
}
