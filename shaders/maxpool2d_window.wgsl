// The geometry of the windowed max-pool kernels (maxpool2d_win_*.wgsl): non-overlapping KH x KW
// windows at stride KH x KW with no padding, each wholly inside x. The shape is pipeline
// constants, not uniforms, so every divide and modulo below is by a constant (a multiply and a
// shift: lavapipe has no vector integer divide) and the window loop unrolls. Channels go in
// vectors of T (vec4f when C is a multiple of 4, else f32); CV is C over the vector width.
// A winner is kept as its place in its window, kh*KW + kw (below 256: pool.ts checks), of type U
// (vec4u or u32), stored as one u32 per vector: a vec4u packed a byte per channel, so each lane
// stores and loads one u32 instead of four.
// An invocation handles a run of NV adjacent vectors of channels at one window (pool_window.ts
// picks NV): the per-invocation cost (index arithmetic, the bounds test, the launch of its lane)
// is paid once per run.
override CV: u32 = 1u;
override NV: u32 = 1u;
override CN: u32 = CV / NV;
override H: u32 = 1u;
override W: u32 = 1u;
override OH: u32 = 1u;
override OW: u32 = 1u;
override KH: u32 = 1u;
override KW: u32 = 1u;

// n = the number of invocations (vectors of y, or of x for the backward).
struct Params {
  n: u32,
}

// (b, row, col, cv) of invocation i = ((b*rows + row)*cols + col)*CN + cv/NV, cv the first vector
// of its run; rows and cols are pipeline constants at every call, so the divides stay multiplies
// and shifts.
fn windowAt(i: u32, rows: u32, cols: u32) -> vec4u {
  let t = i / CN;
  let r = t / cols;
  return vec4u(r / rows, r % rows, t % cols, (i % CN) * NV);
}

//#include "pool_code.wgsl"
