// Where the rows of a texture-fed conv GEMM read their operand: row m is a pixel (b, oh, ow) of
// a [batch, OH', OW'] grid (forward: output pixels; backward-input: input pixels). For tap
// (kh, kw) it reads the pixel (b, ih, iw) of a [batch, H', W'] grid with
//   forward:        ih = oh*SH + kh - PT
//   backward-input: ih = (oh + PT - kh) / SH, only when that divides exactly.
// Returns the texel index of channel group 0 of that pixel (C4 texels per pixel) in .x and
// 1.0 / 0.0 (inside / in the padding) in .y, so a padded tap reads texel 0 times zero.
// The *At forms take the row's pixel from gridPixel, so that a kernel looping over taps divides
// once per row rather than once per tap: lavapipe has no vector integer divide (a divide is 8
// scalar ones).
struct RowTap { base: u32, inside: f32 }

// Row m of a [batch, R, C] grid as (b, r, c).
fn gridPixel(m: u32, R: u32, C: u32) -> vec3u {
  return vec3u(m / (R * C), (m / C) % R, m % C);
}

// Pixel px of a [batch, R, C] grid moved n rows on, by subtraction (a kernel walking its rows
// L at a time skips the divides of gridPixel); the batch index stays at most bMax.
fn gridAdvance(px: vec3u, n: u32, R: u32, C: u32, bMax: u32) -> vec3u {
  var b = px.x;
  var r = px.y;
  var c = px.z + n;
  while (c >= C) {
    c -= C;
    r += 1u;
    if (r == R) {
      r = 0u;
      b += 1u;
    }
  }
  return vec3u(min(b, bMax), r, c);
}

fn forwardTapAt(px: vec3u, kh: u32, kw: u32, C4: u32) -> RowTap {
  let ih = i32(px.y * u.SH + kh) - i32(u.PT);
  let iw = i32(px.z * u.SW + kw) - i32(u.PL);
  if (ih < 0 || iw < 0 || ih >= i32(u.H) || iw >= i32(u.W)) {
    return RowTap(0u, 0.0);
  }
  return RowTap(((px.x * u.H + u32(ih)) * u.W + u32(iw)) * C4, 1.0);
}

fn forwardTap(m: u32, kh: u32, kw: u32, C4: u32) -> RowTap {
  return forwardTapAt(gridPixel(m, u.OH, u.OW), kh, kw, C4);
}

fn backwardInputTapAt(px: vec3u, kh: u32, kw: u32, C4: u32) -> RowTap {
  let ny = i32(px.y + u.PT) - i32(kh);
  let nx = i32(px.z + u.PL) - i32(kw);
  if (ny < 0 || nx < 0) {
    return RowTap(0u, 0.0);
  }
  var oh = u32(ny);
  var ow = u32(nx);
  // Unit strides (the common case) skip the divides.
  if (u.SH != 1u || u.SW != 1u) {
    if (ny % i32(u.SH) != 0 || nx % i32(u.SW) != 0) {
      return RowTap(0u, 0.0);
    }
    oh = oh / u.SH;
    ow = ow / u.SW;
  }
  if (oh >= u.OH || ow >= u.OW) {
    return RowTap(0u, 0.0);
  }
  return RowTap(((px.x * u.OH + oh) * u.OW + ow) * C4, 1.0);
}

fn backwardInputTap(m: u32, kh: u32, kw: u32, C4: u32) -> RowTap {
  return backwardInputTapAt(gridPixel(m, u.H, u.W), kh, kw, C4);
}
