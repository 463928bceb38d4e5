// The winners of 2D max-pool windows as the pool kernels keep them (maxpool2d_win_*.wgsl) and the
// Winograd output transform writes them when it pools (conv2d_winograd_output.wgsl): a winner is
// its place in its window, kh*KW + kw, a byte per channel, four channels packed in one u32.
// 255 (NO_WINNER in pool_window.ts) names no cell: the backward routes nothing to that window.

fn packCode(a: vec4u) -> u32 {
  return a.x | (a.y << 8u) | (a.z << 16u) | (a.w << 24u);
}

fn unpackCode(p: u32) -> vec4u {
  return (vec4u(p) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(255u);
}
