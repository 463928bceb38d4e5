// The entry point of the optimizer updates (optim_*.wgsl): invocation i updates elements
// i*RUN .. i*RUN + RUN - 1 of T through the including shader's `update(i) -> bool`, which
// returns whether the gradient it read was not finite, and marks the variable's flag once for
// the run (finite_flag.wgsl). RUN is src/nn/optimizers/optimizer.ts's UPDATE_RUN.
override RUN: u32 = 1u;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let first = flatIndex(gid, nwg) * RUN;
  var bad = false;
  for (var k = 0u; k < RUN; k++) {
    if (first + k < u.n) {
      bad = update(first + k) || bad;
    }
  }
  markNonFinite(bad);
}
