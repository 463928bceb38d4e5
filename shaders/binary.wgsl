// out[i] = g(a[ia], b[ib]) with NumPy broadcasting. Shapes and strides (rank <= 8) travel as two
// vec4<u32> each; a stretched axis has stride 0. SAME_SHAPE skips the index maths (ia = ib = i).
// g is one op's expression (the define BINARY_F), so each op compiles to straight-line code.
// T is f32 or, for same shapes whose size allows, vec4f (as in unary.wgsl; the broadcasting path
// below then never runs).
//#include "grid1d.wgsl"
override SAME_SHAPE: bool = true;
// Elements per invocation, consecutive (elementwise.ts runOf; n is a multiple of it); 1 unless
// SAME_SHAPE.
override RUN: u32 = 1u;

struct Params {
  n: u32,
  rank: u32,
  shape0: vec4u,
  shape1: vec4u,
  aStride0: vec4u,
  aStride1: vec4u,
  bStride0: vec4u,
  bStride1: vec4u,
}

alias T = {{T}};

@group(0) @binding(0) var<storage, read> a: array<T>;
@group(0) @binding(1) var<storage, read> b: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
@group(0) @binding(3) var<uniform> u: Params;

// The op's expression from its record in the op table (src/kernels/elementwise_table.ts).
fn g(x: f32, y: f32) -> f32 {
  return {{BINARY_F}};
}

fn apply(x: T, y: T) -> T {
  return {{APPLY}};
}

fn dim(lo: vec4u, hi: vec4u, d: u32) -> u32 {
  if (d < 4u) {
    return lo[d];
  }
  return hi[d - 4u];
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg) * RUN;
  if (i >= u.n) {
    return;
  }
  if (SAME_SHAPE) {
    for (var j = 0u; j < RUN; j++) {
      out[i + j] = apply(a[i + j], b[i + j]);
    }
    return;
  }
  // Peel coordinates off the flat index, last axis first.
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var k = 0u; k < u.rank; k++) {
    let d = u.rank - 1u - k;
    let size = dim(u.shape0, u.shape1, d);
    let c = rest % size;
    rest = rest / size;
    ia += c * dim(u.aStride0, u.aStride1, d);
    ib += c * dim(u.bStride0, u.bStride1, d);
  }
  out[i] = apply(a[ia], b[ib]);
}
