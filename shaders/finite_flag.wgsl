// The optimizers' check of the gradient they read (src/nn/training.ts names the layer whose
// gradient was not finite): flags[u.slot] is marked when any component of g is Inf or NaN (markNonFinite of the
// nonFinite tests of the invocation's elements: one atomic at most per invocation). It
// tests the exponent bits, since WGSL lets a compiler assume floats are finite (g != g may fold
// away). The mark is 1.0's bit pattern, so the flags read back as the floats 0 and 1. The
// including shader declares `flags: array<atomic<u32>>`, `u.slot`, and T/U (f32/u32 or
// vec4f/vec4u).
fn nonFinite(g: {{T}}) -> bool {
  let exponent = {{U}}(0x7f800000u);
  return any((bitcast<{{U}}>(g) & exponent) == exponent);
}

fn markNonFinite(bad: bool) {
  if (bad) {
    atomicMax(&flags[u.slot], 0x3f800000u);
  }
}
