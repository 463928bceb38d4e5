// Winograd: the independent products M_e = V_e . U_e, V_e [T, CI], U_e [CI, CO] (T tiles, one
// per slab e: 16 for F(2x2, 3x3)), in one launch (slab e = workgroup z), on the scheme of
// conv2d_forward_sg.wgsl: the L lanes of a group (one row of the L x 64/L workgroup) each own one
// vec4 of CO and share the V texels they fetch (sg_share.wgsl).
//   V staged as texels [slabs][CI/4][T], U as [slabs*CI][CO/4]; M: [slabs*T][CO/4] vec4s.
// A group owns RB blocks of L rows, not one: per 4 channels a lane then fetches RB V texels (one
// per block, shared) and 4 U texels (its own columns, reused by all RB*L rows) for 16*RB*L
// multiply-adds. On lavapipe a texel fetch is a call costing about as much as 44 multiply-adds,
// and the U fetches dominated with one block (5 fetches per 128 multiply-adds); RB = 4 (2 per
// 128) ran 1.4-1.8x faster on the VGG16 shapes. The blocks are written out, not looped over:
// Mesa did not unroll a 4 x L nested loop, and indexing the accumulators dynamically is slow.
// sgPlace lays out the workgroup's groups: stacking them all down rows (4 * 64 rows per
// workgroup) wasted up to a third of the work on the last rows of a slab when T is small
// (T = 324 for VGG16's block4 at batch 4).
{{SG_ENABLE}}
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

// Row blocks of L rows per group (the accumulators a0..a3 and V texels t0..t3 below).
const RB = 4u;  // winograd.ts sizes the grid for it
// The main loop's trip count CI / 4, as a pipeline constant where the share is real
// (trip_count.wgsl). Measured on lavapipe (AVX2, interleaved profiles of the same steps): the
// products ran 13-20 % faster with the bound known when the shader compiles than read from the
// uniforms, on every layer of VGG16 and of the from-scratch convnet. The sg conv and weight
// kernels, given the same, measured no different, and the FMA ceiling kernel reached 30 % fewer
// GFLOP/s (80 against 115) with its round count constant, so only this loop takes one.
override LOOP_C4: u32 = 0u;

//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var v: TexOperand;
@group(0) @binding(1) var uw: TexOperand;
@group(0) @binding(2) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "tex_operand.wgsl"
//#include "trip_count.wgsl"
//#include "sg_share.wgsl"

// Rows m0 .. m0 + L - 1 of column vec4 n4 of slab e, those past T left out.
fn store(e: u32, m0: u32, n4: u32, CO4: u32, acc: ptr<function, SgRows>) {
  for (var l = 0u; l < sgLanes(); l++) {
    if (m0 + l < u.T) {
      m[(e * u.T + m0 + l) * CO4 + n4] = (*acc)[l];
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CI4 = u.CI / 4u;
  let CO4 = u.CO / 4u;
  let e = wid.z;
  let place = sgPlace(wid, lid, lane, CO4);
  let n4 = place.x;
  let m0 = place.y * RB * SG_LANES;
  // Out-of-range lanes still run the loop (every lane must take part in the share, and the
  // emulated share's barriers need the whole workgroup) on clamped indices and skip the store.
  // V is [slabs][CI/4][T] (conv2d_winograd_input.wgsl TILES_INNER): a block's lanes read
  // consecutive tiles of one channel group.
  let last = u.T - 1u;
  let slab = e * CI4 * u.T;
  let v0 = slab + min(m0 + lane, last);
  let v1 = slab + min(m0 + SG_LANES + lane, last);
  let v2 = slab + min(m0 + 2u * SG_LANES + lane, last);
  let v3 = slab + min(m0 + 3u * SG_LANES + lane, last);
  let uBase = e * u.CI * CO4 + min(n4, CO4 - 1u);
  var a0: SgRows;
  var a1: SgRows;
  var a2: SgRows;
  var a3: SgRows;
  for (var c4 = 0u; c4 < tripCount(LOOP_C4, CI4); c4++) {
    let wb = uBase + c4 * 4u * CO4;
    let b = mat4x4f(texel(uw, wb), texel(uw, wb + CO4), texel(uw, wb + 2u * CO4), texel(uw, wb + 3u * CO4));
    let channels = c4 * u.T;
    let t0 = texel(v, v0 + channels);
    let t1 = texel(v, v1 + channels);
    let t2 = texel(v, v2 + channels);
    let t3 = texel(v, v3 + channels);
    sgAccumulate(t0, b, &a0);
    sgAccumulate(t1, b, &a1);
    sgAccumulate(t2, b, &a2);
    sgAccumulate(t3, b, &a3);
  }
  if (n4 >= CO4) {
    return;
  }
  store(e, m0, n4, CO4, &a0);
  store(e, m0 + SG_LANES, n4, CO4, &a1);
  store(e, m0 + 2u * SG_LANES, n4, CO4, &a2);
  store(e, m0 + 3u * SG_LANES, n4, CO4, &a3);
}
