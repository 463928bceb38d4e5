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

// The packed winners of a 2x2 window whose cells (row-major: 0 1 / 2 3) hold a0..a3: the first
// maximum in row-major order, as the pool kernels pick it; with `relu` (the cells are a relu's
// outputs) none, 255, where the maximum is not positive: relu' at the winner (src/ops/relu_mask.ts).
fn quadCode(a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f, relu: bool) -> u32 {
  var top = a0;
  var at = vec4u(0u);
  at = select(at, vec4u(1u), a1 > top);
  top = select(top, a1, a1 > top);
  at = select(at, vec4u(2u), a2 > top);
  top = select(top, a2, a2 > top);
  at = select(at, vec4u(3u), a3 > top);
  top = select(top, a3, a3 > top);
  return packCode(select(at, vec4u(255u), vec4<bool>(relu) & !(top > vec4f(0.0))));
}

// The max of a 2x2 window's cells in the pool kernels' order of comparisons, so that a fused
// pool's values are the pool kernel's bit for bit.
fn quadMax(a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f) -> vec4f {
  var best = a0;
  best = select(best, a1, a1 > best);
  best = select(best, a2, a2 > best);
  return select(best, a3, a3 > best);
}
