// y[i] = f(x[i]). OP (an override constant) picks f when the pipeline is built, so each variant
// compiles to straight-line code. `alpha` is the scalar of the scalar ops.
//#include "grid1d.wgsl"
override OP: u32 = 0;

struct Params {
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: Params;

fn f(v: f32) -> f32 {
  switch OP {
    case 1u: { return max(v, 0.0); }                 // relu
    case 2u: { return 1.0 / (1.0 + exp(-v)); }       // sigmoid (tf.nn.sigmoid)
    case 3u: { return -v; }
    case 4u: { return exp(v); }
    case 5u: { return log(v); }
    case 6u: { return sqrt(v); }
    case 7u: { return v * v; }
    case 8u: { return abs(v); }
    case 9u: { return v * u.alpha; }                  // scale
    case 10u: { return v + u.alpha; }                 // add scalar
    case 11u: { return u.alpha; }                     // fill
    case 12u: { return 1.0 / v; }
    case 13u: { return tanh(v); }
    default: { return v; }                            // copy
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  y[i] = f(x[i]);
}
