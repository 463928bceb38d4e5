// Winograd F(2x2, 3x3): the 16 independent products M_e = V_e . U_e, V_e [T, CI], U_e [CI, CO],
// in one launch (slab e = workgroup z), on the scheme of conv2d_forward_sg.wgsl: invocation
// (n4, block) owns 8 rows (tiles) x one vec4 of CO; the 8 lanes of a subgroup (one row of the
// 8x8 workgroup) each fetch the V texel of one of their rows and share it by subgroupBroadcast,
// so per 4 channels a lane does 1 V fetch + 4 U fetches for 128 multiply-adds.
//   V staged as texels [16*T][CI/4], U as [16*CI][CO/4]; M: [16*T][CO/4] vec4s.
enable subgroups;
// m0 below depends on gid.y only, which is the same for the 8 lanes of a subgroup (one row of
// the workgroup), so the early exit keeps subgroups whole; the uniformity analysis cannot see
// that.
diagnostic(off, subgroup_uniformity);
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var v: texture_2d<f32>;
@group(0) @binding(1) var uw: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "tex_operand.wgsl"

fn store(e: u32, t: u32, n4: u32, CO4: u32, acc: vec4f) {
  if (t < u.T) {
    m[(e * u.T + t) * CO4 + n4] = acc;
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let CI4 = u.CI / 4u;
  let CO4 = u.CO / 4u;
  let e = gid.z;
  // Out-of-range lanes of a subgroup with work still run the loop (every lane must take part in
  // the broadcasts) on clamped indices and skip the store.
  let n4 = min(gid.x, CO4 - 1u);
  let m0 = gid.y * 8u;
  // A subgroup whose 8 rows are all past T (the last 64-row block) leaves together: nothing to do.
  if (m0 >= u.T) {
    return;
  }
  let vBase = (e * u.T + min(m0 + lane, u.T - 1u)) * CI4;
  let uBase = e * u.CI * CO4 + n4;
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0); var acc5 = vec4f(0.0); var acc6 = vec4f(0.0); var acc7 = vec4f(0.0);
  for (var c4 = 0u; c4 < CI4; c4++) {
    let wb = uBase + c4 * 4u * CO4;
    let w0 = texel(uw, wb);
    let w1 = texel(uw, wb + CO4);
    let w2 = texel(uw, wb + 2u * CO4);
    let w3 = texel(uw, wb + 3u * CO4);
    let a = texel(v, vBase + c4);
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
  if (gid.x >= CO4) {
    return;
  }
  store(e, m0, n4, CO4, acc0); store(e, m0 + 1u, n4, CO4, acc1);
  store(e, m0 + 2u, n4, CO4, acc2); store(e, m0 + 3u, n4, CO4, acc3);
  store(e, m0 + 4u, n4, CO4, acc4); store(e, m0 + 5u, n4, CO4, acc5);
  store(e, m0 + 6u, n4, CO4, acc6); store(e, m0 + 7u, n4, CO4, acc7);
}
