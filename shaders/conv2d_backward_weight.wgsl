// dw of Conv2D as an implicit GEMM:
//   dw[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*SH - PT + kh, ow*SW - PL + kw, ci] * dy[b, oh, ow, co]
// GEMM view: M = KH*KW*CI, N = CO, K = batch*OH*OW (long: the host splits it across wid.z and
// sums the [S, M, N] partials afterwards).
//#include "conv2d_params.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "conv2d_im2col.wgsl"

// A[m, k] = im2col^T: tap m, output pixel k.
fn loadA(m: u32, k: u32) -> f32 {
  return im2col(k, m);
}

fn loadB(k: u32, n: u32) -> f32 {
  return dy[k * u.N + n];
}

fn storeC(m: u32, n: u32, z: u32, v: f32) {
  dw[(z * u.M + m) * u.N + n] = v;
}

//#include "gemm_{{CORE}}.wgsl"
