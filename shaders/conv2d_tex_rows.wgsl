// Where the rows of a texture-fed conv GEMM read their operand: row m is a pixel (b, oh, ow) of
// a [batch, OH', OW'] grid (forward: output pixels; backward-input: input pixels). For tap
// (kh, kw) it reads the pixel (b, ih, iw) of a [batch, H', W'] grid with
//   forward:        ih = oh*SH + kh - PT
//   backward-input: ih = (oh + PT - kh) / SH, only when that divides exactly.
// Returns the texel index of channel group 0 of that pixel (C4 texels per pixel) in .x and
// 1.0 / 0.0 (inside / in the padding) in .y, so a padded tap reads texel 0 times zero.
struct RowTap { base: u32, inside: f32 }

fn forwardTap(m: u32, kh: u32, kw: u32, C4: u32) -> RowTap {
  let ow = m % u.OW;
  let oh = (m / u.OW) % u.OH;
  let b = m / (u.OW * u.OH);
  let ih = i32(oh * u.SH + kh) - i32(u.PT);
  let iw = i32(ow * u.SW + kw) - i32(u.PL);
  if (ih < 0 || iw < 0 || ih >= i32(u.H) || iw >= i32(u.W)) {
    return RowTap(0u, 0.0);
  }
  return RowTap(((b * u.H + u32(ih)) * u.W + u32(iw)) * C4, 1.0);
}

fn backwardInputTap(m: u32, kh: u32, kw: u32, C4: u32) -> RowTap {
  let iw = m % u.W;
  let ih = (m / u.W) % u.H;
  let b = m / (u.W * u.H);
  let ny = i32(ih + u.PT) - i32(kh);
  let nx = i32(iw + u.PL) - i32(kw);
  if (ny < 0 || nx < 0 || ny % i32(u.SH) != 0 || nx % i32(u.SW) != 0) {
    return RowTap(0u, 0.0);
  }
  let oh = u32(ny) / u.SH;
  let ow = u32(nx) / u.SW;
  if (oh >= u.OH || ow >= u.OW) {
    return RowTap(0u, 0.0);
  }
  return RowTap(((b * u.OH + oh) * u.OW + ow) * C4, 1.0);
}
