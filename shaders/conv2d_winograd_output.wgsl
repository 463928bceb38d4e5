// Winograd F(m x m, 3x3) output transform: Y = A^T M A for each tile and vec4 of CO, plus bias
// and activation, stored into NHWC y; the parts of a tile past OH or OW (partial tiles) are
// dropped. M is staged as texels [a^2*T][CO/4] (a = m + 2). One invocation per (tile, co4):
// a^2 fetches, up to m^2 vec4 stores. The arithmetic (WINO_TRANSFORM) is generated from A^T
// (src/kernels/winograd.ts): loads m{i}_{j} of slab a*i + j, the transform, put() per output,
// or putPool() per 2x2 block where a max pool is fused.
override HAS_BIAS: bool = false;
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var m: TexOperand;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;
{{CODE_VAR}}
@group(0) @binding({{U_BINDING}}) var<uniform> u: Params;

// With codes (a pooled forward whose gradient will be asked for), a 2x2 block whose max is not
// positive gets no winner under RELU_MASK: relu' at the winner, as src/ops/relu_mask.ts explains.
override RELU_MASK: bool = false;

//#include "activation.wgsl"
//#include "tex_operand.wgsl"
//#include "pool_code.wgsl"

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
// map (the last row or column of an odd OH or OW) are dropped, as the pool drops them. The codes
// variant also stores each block's winners as the pool's forward keeps them (pool_code.wgsl).
fn putPool(b: u32, ph: u32, pw: u32, co4: u32, CO4: u32, v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f, bv: vec4f) {
  let PH = u.OH / 2u;
  let PW = u.OW / 2u;
  if (ph < PH && pw < PW) {
    let a0 = act4(v0 + bv);
    let a1 = act4(v1 + bv);
    let a2 = act4(v2 + bv);
    let a3 = act4(v3 + bv);
    var best = a0;
    best = select(best, a1, a1 > best);
    best = select(best, a2, a2 > best);
    best = select(best, a3, a3 > best);
    let o = (b * PH + ph) * PW + pw;
    y[o * CO4 + co4] = best;
    {{CODE_STORE}}
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CO4 = C4;
  let i = flatIndex(gid, nwg);
  if (i >= u.T * CO4) {
    return;
  }
  let co4 = i % CO4;
  let t = i / CO4;
  let tx = t % TWC;
  let ty = (t / TWC) % THC;
  let b = t / (TWC * THC);
  // Slab e of this (tile, co4) is texel (e*T + t)*CO4 + co4: slabs are T*CO4 texels apart.
  let slab = u.T * CO4;
  let first = t * CO4 + co4;
  var bv = vec4f(0.0);
  if (HAS_BIAS) {
    bv = vec4f(bias[co4 * 4u], bias[co4 * 4u + 1u], bias[co4 * 4u + 2u], bias[co4 * 4u + 3u]);
  }
  let oh0 = {{WINO_M}}u * ty;
  let ow0 = {{WINO_M}}u * tx;
  {{WINO_TRANSFORM}}
}
