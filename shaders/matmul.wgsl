// C = act(op(A) . op(B) + bias): dense forward (X.W + b) and its backward (dY.W^T, X^T.dY).
// TRANS_A: A is stored [K, M]; TRANS_B: B is stored [N, K]. With K split (wid.z > 0 grids),
// C is the partial sums [S, M, N] and the host adds bias and activation after the reduction.
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  kChunk: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

//#include "activation.wgsl"

fn loadA(m: u32, k: u32) -> f32 {
  if (TRANS_A) {
    return a[k * u.M + m];
  }
  return a[m * u.K + k];
}

fn loadB(k: u32, n: u32) -> f32 {
  if (TRANS_B) {
    return b[n * u.K + k];
  }
  return b[k * u.N + n];
}

fn storeC(m: u32, n: u32, z: u32, v: f32) {
  var r = v;
  if (HAS_BIAS) {
    r += bias[n];
  }
  c[(z * u.M + m) * u.N + n] = activate(r);
}

//#include "gemm_{{CORE}}.wgsl"
