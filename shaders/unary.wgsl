// y[i] = f(x[i]), f being one op's expression (the define UNARY_F), so each op compiles to
// straight-line code. `alpha` is the scalar of the scalar ops.
//#include "grid1d.wgsl"

struct Params {
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

// The op's expression from its record in the op table (src/kernels/elementwise_table.ts).
fn f(v: f32, alpha: f32) -> f32 {
  return {{UNARY_F}};
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  y[i] = f(x[i], u.alpha);
}
