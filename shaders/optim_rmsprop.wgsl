// Keras 2.3 RMSprop, fused and in place, one invocation per RUN adjacent elements of T
// (vec4s of parameters where the size allows, else floats; src/nn/optimizers/optimizer.ts):
//   a <- rho*a + (1 - rho)*g^2;  p <- p - lr*g / (sqrt(a) + eps)   (eps outside the sqrt)
// Constants are f32 as in Keras (1 - rho is computed in f32 here, as the backend does). A
// non-finite gradient marks flags[slot] (finite_flag.wgsl).
//#include "grid1d.wgsl"

struct Params {
  n: u32,
  lr: f32,
  rho: f32,
  eps: f32,
  slot: u32,
}

@group(0) @binding(0) var<storage, read_write> p: array<{{T}}>;
@group(0) @binding(1) var<storage, read> g: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> a: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(4) var<uniform> u: Params;

//#include "finite_flag.wgsl"
//#include "update_run.wgsl"

fn update(i: u32) -> bool {
  let gi = g[i];
  let acc = u.rho * a[i] + (1.0 - u.rho) * (gi * gi);
  a[i] = acc;
  p[i] = p[i] - u.lr * gi / (sqrt(acc) + u.eps);
  return nonFinite(gi);
}

