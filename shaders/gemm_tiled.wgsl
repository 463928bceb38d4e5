// GEMM core, tiled through workgroup memory: C[M,N] = A[M,K] . B[K,N] over k in one split of K.
// The including shader supplies `u` (with M, N, K, kChunk) and three functions:
//   loadA(m, k) -> f32, loadB(k, n) -> f32   (called only for in-range indices)
//   storeC(m, n, z, v)                       (z = split index when K is split across wid.z)
// A workgroup of 16x16 invocations owns a 64x64 tile of C; invocation (tx, ty) owns the 4x4
// outputs (ty + 16i, tx + 16j), so neighbours read neighbouring words of the tiles.
override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override WG_Z: u32 = 1;

const TILE = 64u;
const BK = 16u;

var<workgroup> As: array<f32, 1024>;  // As[k * TILE + m]
var<workgroup> Bs: array<f32, 1024>;  // Bs[k * TILE + n]

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * 16u + tx;
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  let kBegin = wid.z * u.kChunk;
  let kEnd = min(u.K, kBegin + u.kChunk);
  var acc: array<vec4f, 4>;  // acc[i][j] = C[m0 + ty + 16i, n0 + tx + 16j]
  for (var k0 = kBegin; k0 < kEnd; k0 += BK) {
    // 1024 values of each tile, 4 per invocation. For A, consecutive invocations take
    // consecutive k of one row; for B, consecutive n of one k.
    for (var e = 0u; e < 4u; e++) {
      let idx = t + e * 256u;
      let am = idx / BK;
      let ak = idx % BK;
      var av = 0.0;
      if (m0 + am < u.M && k0 + ak < kEnd) {
        av = loadA(m0 + am, k0 + ak);
      }
      As[ak * TILE + am] = av;
      let bk = idx / TILE;
      let bn = idx % TILE;
      var bv = 0.0;
      if (k0 + bk < kEnd && n0 + bn < u.N) {
        bv = loadB(k0 + bk, n0 + bn);
      }
      Bs[bk * TILE + bn] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let r = kk * TILE;
      let b = vec4f(Bs[r + tx], Bs[r + tx + 16u], Bs[r + tx + 32u], Bs[r + tx + 48u]);
      for (var i = 0u; i < 4u; i++) {
        acc[i] = fma(vec4f(As[r + ty + 16u * i]), b, acc[i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let m = m0 + ty + 16u * i;
      let n = n0 + tx + 16u * j;
      if (m < u.M && n < u.N) {
        storeC(m, n, wid.z, acc[i][j]);
      }
    }
  }
}
