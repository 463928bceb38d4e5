// The sg forward with a fused 2x2 max pool (conv2d_forward_sg.wgsl, POOL_ROWS): window w's four
// cells (row-major: 0 1 / 2 3) come as the lane's four blocks. y is the pooled map, one row per
// window; `code` its winners as the pool's forward keeps them (pool_code.wgsl): the first max in
// row-major order, and under RELU_MASK no winner where the max is not positive (relu' at the
// winner: src/ops/relu_mask.ts). Windows past WINDOWS (the last group's padding) are dropped.
//#include "pool_code.wgsl"

@group(0) @binding(4) var<storage, read_write> code: array<u32>;

override WINDOWS: u32 = 1u;
override RELU_MASK: bool = false;

fn act4(v: vec4f) -> vec4f {
  return vec4f(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}

fn poolStore(w: u32, n4: u32, v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f) {
  if (w >= WINDOWS) {
    return;
  }
  let a0 = act4(v0);
  let a1 = act4(v1);
  let a2 = act4(v2);
  let a3 = act4(v3);
  let o = w * (u.N / 4u) + n4;
  y[o] = quadMax(a0, a1, a2, a3);
  code[o] = quadCode(a0, a1, a2, a3, RELU_MASK);
}
