// The sum of a split GEMM's K slices, with the GEMM's epilogue (src/kernels/gemm_split_sum.ts):
// out[i] = activate(part[0][i] + part[1][i] + ... + part[S-1][i] + bias[i % N]), one invocation
// per output element. The slices are added in order, then the bias, then the activation: the
// additions reduce_sum, the broadcast add and the activation kernel make in three launches.
//#include "grid1d.wgsl"
//#include "activation.wgsl"

override HAS_BIAS: bool = false;

struct Params {
  S: u32,
  MN: u32,
  N: u32,
}

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.MN) {
    return;
  }
  var acc = 0.0;
  for (var s = 0u; s < u.S; s++) {
    acc += part[s * u.MN + i];
  }
  if (HAS_BIAS) {
    acc += bias[i % u.N];
  }
  out[i] = activate(acc);
}
