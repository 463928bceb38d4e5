// Inverted dropout: keep each element with probability 1 - rate and scale kept ones by
// 1 / (1 - rate). `mask` stores that factor (0 or 1/(1-rate)) for the backward pass, which is
// dx = dy * mask. Random bits: a PCG hash of (element index, seed), so a seed fixes the mask.
//#include "grid1d.wgsl"

struct Params {
  n: u32,
  seed: u32,
  rate: f32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

// PCG-RXS-M-XS 32-bit output function (O'Neill, 2014), used as a stateless hash.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  // 24 random bits -> uniform in [0, 1) exactly representable in f32.
  let r = f32(pcg(i ^ pcg(u.seed)) >> 8u) / 16777216.0;
  let m = select(0.0, u.scale, r >= u.rate);
  mask[i] = m;
  y[i] = x[i] * m;
}
