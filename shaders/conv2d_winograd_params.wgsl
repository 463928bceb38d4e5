// Uniforms of the Winograd F(m x m, 3x3) conv kernels (src/kernels/winograd.ts; m = WINO_M, 2 or
// 4, and a = m + 2). The output is cut into m x m tiles, TH = ceil(OH/m) by TW = ceil(OW/m) per
// image, T = batch*TH*TW in all; tile (ty, tx) reads the a x a input patch whose top-left is
// (m*ty - PT, m*tx - PL). x is NHWC [batch, H, W, CI], y NHWC [batch, OH, OW, CO]; the
// transformed operands are a^2 slabs: V [a^2][T][CI], U [a^2][CI][CO], M [a^2][T][CO], slab
// e = a*i + j for element (i, j) of a tile.
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

// The transforms' split of their invocation index, (tile, vector of channels), as pipeline
// constants (winograd.ts transform): C4 channel vectors per tile, TWC x THC tiles per image. By
// constants the divides are multiplies and shifts; by uniforms they were scalar divides per lane
// (lavapipe has no vector integer divide). The other Winograd kernels leave them unset.
override C4: u32 = 1u;
override TWC: u32 = 1u;
override THC: u32 = 1u;
