// The adapter's arithmetic ceiling: each invocation runs ITERS rounds over ACC vec4 accumulators
// held in registers, each round a chain of CHAIN multiply-adds per accumulator. The chains are
// independent of each other, so the pipes stay full while each waits on its own previous result;
// nothing is loaded in the loop. Multiplier m < 1 and addend c keep every chain bounded (it
// converges to c / (1 - m)). The sum is written once per invocation so the compiler cannot drop
// the work.
// Why chains of 4 over 16 accumulators, not one multiply-add over 8 (this kernel until
// 2026-12-06): lavapipe (Mesa 25.0.7) writes a variable assigned in a loop back under the
// execution mask, a load, a blend and a store per update, so one multiply-add per update measured
// that overhead more than the pipes: 54 GFLOP/s there against 112 with chains of 4 and 123 with
// 16 accumulators, on the same 2 cores in one run (the engine's GEMM cores already sum 4 products
// per update, so the old ceiling read as 100 % where they were not). A GPU is not slowed by either.
//#include "grid1d.wgsl"

struct Params {
  invocations: u32,
  iters: u32,
  m: f32,
  c: f32,
}

// Must match src/kernels/ceiling.ts (FMA_ACCUMULATORS, FMA_CHAIN).
const ACC = 16u;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.invocations) {
    return;
  }
  // Distinct starting values per invocation, accumulator and lane (the CPU check recomputes them).
  let s = f32(i % 1024u) * (1.0 / 1024.0);
  let a0 = vec4f(s, s + 0.01, s + 0.02, s + 0.03);
  var a: array<vec4f, ACC>;
  for (var j = 0u; j < ACC; j++) {
    a[j] = a0 + vec4f(0.1 * f32(j));
  }
  let m = vec4f(u.m);
  let c = vec4f(u.c);
  for (var k = 0u; k < u.iters; k++) {
    // The constant trip count unrolls; the array's elements become registers.
    for (var j = 0u; j < ACC; j++) {
      a[j] = fma(fma(fma(fma(a[j], m, c), m, c), m, c), m, c);
    }
  }
  // In order, as the CPU check sums them.
  var t = a[0];
  for (var j = 1u; j < ACC; j++) {
    t += a[j];
  }
  out[i] = (t.x + t.y) + (t.z + t.w);
}
