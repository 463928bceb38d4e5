// Pooling geometry: x NHWC [batch, H, W, C] -> y [batch, OH, OW, C], window KH x KW, strides
// SH/SW, top/left padding PT/PL (TF rule); n = the number of invocations of the launch.
struct Params {
  n: u32,
  batch: u32,
  H: u32,
  W: u32,
  C: u32,
  OH: u32,
  OW: u32,
  KH: u32,
  KW: u32,
  SH: u32,
  SW: u32,
  PT: u32,
  PL: u32,
}

// (b, row, col, c) of flat NHWC index i in a [*, rows, cols, C] tensor.
fn nhwc(i: u32, rows: u32, cols: u32) -> vec4u {
  return vec4u(i / (u.C * cols * rows), (i / (u.C * cols)) % rows, (i / u.C) % cols, i % u.C);
}
