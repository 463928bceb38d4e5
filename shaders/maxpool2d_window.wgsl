// The geometry of the windowed max-pool kernels (maxpool2d_win_*.wgsl): non-overlapping KH x KW
// windows at stride KH x KW with no padding, each wholly inside x. The shape is pipeline
// constants, not uniforms, so every divide and modulo below is by a constant (a multiply and a
// shift: lavapipe has no vector integer divide) and the window loop unrolls. Channels go in
// vectors of T (vec4f when C is a multiple of 4, else f32); CV is C over the vector width.
override CV: u32 = 1u;
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
