// Keras 2.3 Adam, fused and in place, one invocation per RUN adjacent elements of T
// (vec4s of parameters where the size allows, else floats; src/nn/optimizers/optimizer.ts):
//   m <- b1*m + (1 - b1)*g;  v <- b2*v + (1 - b2)*g^2;  p <- p - lr_t*m / (sqrt(v) + eps)
// with lr_t = lr*sqrt(1 - b2^t)/(1 - b1^t) folded in on the host (eps is the paper's eps-hat).
// A non-finite gradient marks flags[slot] (finite_flag.wgsl).
//#include "grid1d.wgsl"

struct Params {
  n: u32,
  lrT: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  slot: u32,
}

@group(0) @binding(0) var<storage, read_write> p: array<{{T}}>;
@group(0) @binding(1) var<storage, read> g: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> m: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> v: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> u: Params;

//#include "finite_flag.wgsl"
//#include "update_run.wgsl"

fn update(i: u32) -> bool {
  let gi = g[i];
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * (gi * gi);
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] - u.lrT * mi / (sqrt(vi) + u.eps);
  return nonFinite(gi);
}
