// Fused activation of a GEMM epilogue; ACT: 0 linear, 1 relu, 2 sigmoid (ACT_CODE in
// src/kernels/activation.ts; the expressions are the op table's, test/unit/kernel_interfaces checks).
override ACT: u32 = 0;

fn activate(v: f32) -> f32 {
  switch ACT {
    case 1u: { return max(v, 0.0); }
    case 2u: { return 1.0 / (1.0 + exp(-v)); }
    default: { return v; }
  }
}
