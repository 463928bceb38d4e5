// Uniforms of the Winograd F(2x2, 3x3) conv kernels (src/kernels/winograd.ts). The output is cut
// into 2x2 tiles, TH = ceil(OH/2) by TW = ceil(OW/2) per image, T = batch*TH*TW in all; tile
// (ty, tx) reads the 4x4 input patch whose top-left is (2*ty - PT, 2*tx - PL). x is NHWC
// [batch, H, W, CI], y NHWC [batch, OH, OW, CO]; the transformed operands are 16 slabs:
// V [16][T][CI], U [16][CI][CO], M [16][T][CO], slab e = 4*i + j for element (i, j) of a tile.
struct Params {
  T: u32,
  TH: u32,
  TW: u32,
  H: u32,
  W: u32,
  CI: u32,
  OH: u32,
  OW: u32,
  CO: u32,
  PT: u32,
  PL: u32,
}
