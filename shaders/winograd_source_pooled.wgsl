// The image a Winograd input transform reads (conv2d_winograd_input.wgsl) when it is dz, the
// gradient of a conv output that went through a fused 2x2 max pool (src/ops/conv_pool.ts): not
// dz itself, which the pool's backward would write (mostly zeros, its cells 4x the pool's), but
// the pool's gradient dy [batch, H/2, W/2, CI] (x, staged as texels) and the forward's winners
// (code, packed as pool_code.wgsl says, one u32 per texel of dy). Cell (ih, iw) of dz is its
// window's dy where it is that window's winner, else 0; rows and columns past the last whole
// window (odd H or W) are in none and stay 0, as the pool's backward leaves them. The generated
// loads fetch each window once (winRowAt, winColAt, window) and pick its cells (cell): a 6x6
// patch of F(4x4) is 9 or 16 windows, not 36 texels.
@group(0) @binding(2) var<storage, read> code: array<u32>;
@group(0) @binding(3) var<uniform> u: Params;

//#include "pool_code.wgsl"

// A window's gradient (0 outside the pooled map) and its channels' winners.
struct Window { g: vec4f, at: vec4u }

// Window row wr of image b at channel group c4: the texel of window column 0.
fn winRowAt(b: u32, wr: i32, c4: u32, CI4: u32) -> Line {
  let PH = u.H / 2u;
  let base = (b * PH + u32(clamp(wr, 0, i32(PH) - 1))) * (u.W / 2u) * CI4 + c4;
  return Line(base, select(0.0, 1.0, wr >= 0 && wr < i32(PH)));
}

// Window column wc: its texel offset within a window row.
fn winColAt(wc: i32, CI4: u32) -> Line {
  let PW = u.W / 2u;
  return Line(u32(clamp(wc, 0, i32(PW) - 1)) * CI4, select(0.0, 1.0, wc >= 0 && wc < i32(PW)));
}

fn window(row: Line, col: Line) -> Window {
  let i = row.base + col.base;
  return Window(masked(texel(x, i), row.inside * col.inside != 0.0), unpackCode(code[i]));
}

// Cell k (kh * 2 + kw) of the window: its gradient where it won, else +0 (masked as bits, for
// the reason bit_mask.wgsl gives).
fn cell(w: Window, k: u32) -> vec4f {
  return masked4(w.g, w.at == vec4u(k));
}
