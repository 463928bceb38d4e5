// The image a Winograd input transform reads (conv2d_winograd_input.wgsl), as it is: x staged as
// texels [pixel][CI/4], H x W pixels per image; the generated loads call rowAt, colAt and fetch.
@group(0) @binding(2) var<uniform> u: Params;

// Row ih of image b at channel group c4: the texel of column 0.
fn rowAt(b: u32, ih: i32, c4: u32, CI4: u32) -> Line {
  let base = (b * u.H + u32(clamp(ih, 0, i32(u.H) - 1))) * u.W * CI4 + c4;
  return Line(base, select(0.0, 1.0, ih >= 0 && ih < i32(u.H)));
}

// Column iw: its texel offset within a row.
fn colAt(iw: i32, CI4: u32) -> Line {
  return Line(u32(clamp(iw, 0, i32(u.W) - 1)) * CI4, select(0.0, 1.0, iw >= 0 && iw < i32(u.W)));
}

// The texel at (row, col), +0 outside the image, zeroed by a bit mask (bit_mask.wgsl says why):
// with the inside flags as a multiply, this transform and its pooled twin
// (winograd_source_pooled.wgsl) rounded some of V differently on lavapipe; masked, they agree.
fn fetch(row: Line, col: Line) -> vec4f {
  return masked(texel(x, row.base + col.base), row.inside * col.inside != 0.0);
}
