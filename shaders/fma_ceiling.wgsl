// The adapter's arithmetic ceiling: each invocation runs ITERS rounds of a multiply-add on eight
// vec4 accumulators held in registers. The eight chains are independent of each other, so the
// pipes stay full while each chain waits on its own previous result; nothing is loaded in the
// loop. Multiplier m < 1 and addend c keep every chain bounded (it converges to c / (1 - m)).
// The sum is written once per invocation so the compiler cannot drop the work.
//#include "grid1d.wgsl"

struct Params {
  invocations: u32,
  iters: u32,
  m: f32,
  c: f32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.invocations) {
    return;
  }
  // Distinct starting values per invocation and lane (the CPU check recomputes them).
  let s = f32(i % 1024u) * (1.0 / 1024.0);
  var a0 = vec4f(s, s + 0.01, s + 0.02, s + 0.03);
  var a1 = a0 + vec4f(0.1);
  var a2 = a0 + vec4f(0.2);
  var a3 = a0 + vec4f(0.3);
  var a4 = a0 + vec4f(0.4);
  var a5 = a0 + vec4f(0.5);
  var a6 = a0 + vec4f(0.6);
  var a7 = a0 + vec4f(0.7);
  let m = vec4f(u.m);
  let c = vec4f(u.c);
  for (var k = 0u; k < u.iters; k++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
    a4 = fma(a4, m, c);
    a5 = fma(a5, m, c);
    a6 = fma(a6, m, c);
    a7 = fma(a7, m, c);
  }
  let t = (a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7));
  out[i] = (t.x + t.y) + (t.z + t.w);
}
