// Conv2D forward as an implicit GEMM (no im2col buffer): y = act(conv(x, w) + bias).
// GEMM view: M = batch*OH*OW output pixels, K = KH*KW*CI taps, N = CO. Row k of B is row k of
// w flattened HWIO -> [KH*KW*CI, CO], so B needs no rearranging; A's im2col element is
// gathered from x on the fly, zero in the padding.
override HAS_BIAS: bool = false;

//#include "conv2d_params.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

//#include "activation.wgsl"

//#include "conv2d_im2col.wgsl"

// A[m, k]: output pixel m, tap k.
fn loadA(m: u32, k: u32) -> f32 {
  return im2col(m, k);
}

fn loadB(k: u32, n: u32) -> f32 {
  return w[k * u.N + n];
}

fn storeC(m: u32, n: u32, z: u32, v: f32) {
  // With K split (z > 0 grids) the host turns the bias and activation off and adds them later.
  var r = v;
  if (HAS_BIAS) {
    r += bias[n];
  }
  y[(z * u.M + m) * u.N + n] = activate(r);
}

//#include "gemm_{{CORE}}.wgsl"
