// dx of Conv2D as an implicit GEMM (a transposed convolution):
//   dx[b, ih, iw, ci] = sum over (kh, kw, co) of dy[b, oh, ow, co] * w[kh, kw, ci, co]
// where ih = oh*SH - PT + kh, i.e. oh = (ih + PT - kh) / SH when that divides and is in range.
// GEMM view: M = batch*H*W input pixels, K = KH*KW*CO, N = CI.
//#include "conv2d_params.wgsl"

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

fn loadA(m: u32, k: u32) -> f32 {
  // m = (b*H + ih)*W + iw;  k = (kh*KW + kw)*CO + co
  let co = k % u.CO;
  let t = k / u.CO;
  let kw = t % u.KW;
  let kh = t / u.KW;
  let iw = m % u.W;
  let t2 = m / u.W;
  let ih = t2 % u.H;
  let b = t2 / u.H;
  let ohs = i32(ih + u.PT) - i32(kh);
  let ows = i32(iw + u.PL) - i32(kw);
  if (ohs < 0 || ows < 0 || ohs % i32(u.SH) != 0 || ows % i32(u.SW) != 0) {
    return 0.0;
  }
  let oh = u32(ohs) / u.SH;
  let ow = u32(ows) / u.SW;
  if (oh >= u.OH || ow >= u.OW) {
    return 0.0;
  }
  return dy[((b * u.OH + oh) * u.OW + ow) * u.CO + co];
}

fn loadB(k: u32, n: u32) -> f32 {
  // B[k, ci] = w[kh, kw, ci, co] with k = (kh*KW + kw)*CO + co
  let co = k % u.CO;
  let tap = k / u.CO;
  return w[(tap * u.CI + n) * u.CO + co];
}

fn storeC(m: u32, n: u32, z: u32, v: f32) {
  dx[(z * u.M + m) * u.N + n] = v;
}

//#include "gemm_{{CORE}}.wgsl"
