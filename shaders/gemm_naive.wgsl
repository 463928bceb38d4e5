// GEMM core, one invocation per output: the differential baseline for gemm_tiled.wgsl, with the
// same contract (u.M/N/K/kChunk, loadA, loadB, storeC; split index in wid.z).
override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override WG_Z: u32 = 1;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let m = gid.y;
  let n = gid.x;
  if (m >= u.M || n >= u.N) {
    return;
  }
  let kBegin = wid.z * u.kChunk;
  let kEnd = min(u.K, kBegin + u.kChunk);
  var acc = 0.0;
  for (var k = kBegin; k < kEnd; k++) {
    acc = fma(loadA(m, k), loadB(k, n), acc);
  }
  storeC(m, n, wid.z, acc);
}
