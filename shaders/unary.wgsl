// y[i] = f(x[i]), f being one op's expression (the define UNARY_F), so each op compiles to
// straight-line code. `alpha` is the scalar of the scalar ops. T is f32 or, where the size
// allows, vec4f (src/kernels/elementwise.ts): a vec4 access costs lavapipe about a third of four
// scalar ones; f still runs per float, so the results are the same. An invocation takes a run
// of RUN elements.
//#include "grid1d.wgsl"

struct Params {
  n: u32,
  alpha: f32,
}

alias T = {{T}};

@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read_write> y: array<T>;
@group(0) @binding(2) var<uniform> u: Params;

// The op's expression from its record in the op table (src/kernels/elementwise_table.ts).
fn f(v: f32, alpha: f32) -> f32 {
  return {{UNARY_F}};
}

fn apply(v: T, alpha: f32) -> T {
  return {{APPLY}};
}

// Elements per invocation, consecutive (elementwise.ts runOf; n is a multiple of it).
override RUN: u32 = 1u;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let first = flatIndex(gid, nwg) * RUN;
  if (first >= u.n) {
    return;
  }
  for (var j = 0u; j < RUN; j++) {
    let i = first + j;
    y[i] = apply(x[i], u.alpha);
  }
}
