// Winograd F(2x2, 3x3): the 16 independent products M_e = V_e . U_e, V_e [T, CI], U_e [CI, CO],
// in one launch (slab e = workgroup z), on the scheme of conv2d_forward_sg.wgsl: invocation
// (n4, block) owns SG_LANES (L) rows (tiles) x one vec4 of CO; the L lanes of a group (one row
// of the L x 64/L workgroup) each fetch the V texel of one of their rows and share it
// (sg_share.wgsl), so per 4 channels a lane does 1 V fetch + 4 U fetches for 16 L multiply-adds.
//   V staged as texels [16*T][CI/4], U as [16*CI][CO/4]; M: [16*T][CO/4] vec4s.
{{SG_ENABLE}}
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var v: texture_2d<f32>;
@group(0) @binding(1) var uw: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "tex_operand.wgsl"
//#include "sg_share.wgsl"

fn store(e: u32, t: u32, n4: u32, CO4: u32, acc: vec4f) {
  if (t < u.T) {
    m[(e * u.T + t) * CO4 + n4] = acc;
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CI4 = u.CI / 4u;
  let CO4 = u.CO / 4u;
  let e = gid.z;
  // Out-of-range lanes still run the loop (every lane must take part in the share, and the
  // emulated share's barriers need the whole workgroup) on clamped indices and skip the store.
  let n4 = min(gid.x, CO4 - 1u);
  let m0 = gid.y * SG_LANES;
  let vBase = (e * u.T + min(m0 + lane, u.T - 1u)) * CI4;
  let uBase = e * u.CI * CO4 + n4;
  var acc: SgRows;
  for (var c4 = 0u; c4 < CI4; c4++) {
    let wb = uBase + c4 * 4u * CO4;
    let b = mat4x4f(texel(uw, wb), texel(uw, wb + CO4), texel(uw, wb + 2u * CO4), texel(uw, wb + 3u * CO4));
    sgAccumulate(texel(v, vBase + c4), b, &acc);
  }
  if (gid.x >= CO4) {
    return;
  }
  for (var l = 0u; l < SG_LANES; l++) {
    store(e, m0 + l, n4, CO4, acc[l]);
  }
}
