// Uniforms of the three conv2d GEMMs. M, N, K, kChunk describe the GEMM (their meaning differs
// per kernel); the rest is the convolution's geometry: x NHWC [batch, H, W, CI], w HWIO
// [KH, KW, CI, CO], y [batch, OH, OW, CO], strides SH/SW, top/left padding PT/PL (TF rule).
struct Params {
  M: u32,
  N: u32,
  K: u32,
  kChunk: u32,
  batch: u32,
  H: u32,
  W: u32,
  CI: u32,
  OH: u32,
  OW: u32,
  CO: u32,
  KH: u32,
  KW: u32,
  SH: u32,
  SW: u32,
  PT: u32,
  PL: u32,
}
