// dw of Conv2D as an implicit GEMM:
//   dw[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*SH - PT + kh, ow*SW - PL + kw, ci] * dy[b, oh, ow, co]
// GEMM view: M = KH*KW*CI, N = CO, K = batch*OH*OW (long: the host splits it across wid.z and
// sums the [S, M, N] partials afterwards).
//#include "conv2d_params.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

fn loadA(m: u32, k: u32) -> f32 {
  // m = (kh*KW + kw)*CI + ci;  k = (b*OH + oh)*OW + ow
  let ci = m % u.CI;
  let t = m / u.CI;
  let kw = t % u.KW;
  let kh = t / u.KW;
  let ow = k % u.OW;
  let t2 = k / u.OW;
  let oh = t2 % u.OH;
  let b = t2 / u.OH;
  let ih = i32(oh * u.SH + kh) - i32(u.PT);
  let iw = i32(ow * u.SW + kw) - i32(u.PL);
  if (ih < 0 || iw < 0 || ih >= i32(u.H) || iw >= i32(u.W)) {
    return 0.0;
  }
  return x[((b * u.H + u32(ih)) * u.W + u32(iw)) * u.CI + ci];
}

fn loadB(k: u32, n: u32) -> f32 {
  return dy[k * u.N + n];
}

fn storeC(m: u32, n: u32, z: u32, v: f32) {
  dw[(z * u.M + m) * u.N + n] = v;
}

//#include "gemm_{{CORE}}.wgsl"
