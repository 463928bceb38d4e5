// A dense layer's weight gradient X^T . dZ at a batch of at most 4 (src/kernels/dense_tex.ts):
// dw[k][n] = sum over p < P of x[p][k] * dz[p][n], an outer product of so few rows that the sg
// weight kernel, which shares 8 pixels per lane group, ran half empty (10 GFLOP/s for the VGG16
// head's 8192 x 256 at batch 4). One invocation per (vec4 of columns n4, run of KR4 quads of
// rows): it loads its P dz vec4s once, then per quad of rows the P x vec4s (the same address in
// every lane of a group, which lavapipe still gathers) and stores four dw vec4s: about one load
// and one store per output vec4.
//#include "grid1d.wgsl"

// Rows of x and dz (the batch), 1 to 4.
override P: u32 = 4u;
// K / 4 and N / 4.
override K4: u32 = 1u;
override N4: u32 = 1u;
// Quads of rows per invocation.
override KR4: u32 = 16u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> dz: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dw: array<vec4f>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  let n4 = i % N4;
  let q0 = (i / N4) * KR4;
  var d: array<vec4f, 4>;
  for (var p = 0u; p < P; p++) {
    d[p] = dz[p * N4 + n4];
  }
  for (var q = q0; q < min(q0 + KR4, K4); q++) {
    var a0 = vec4f(0.0);
    var a1 = vec4f(0.0);
    var a2 = vec4f(0.0);
    var a3 = vec4f(0.0);
    for (var p = 0u; p < P; p++) {
      let xv = x[p * K4 + q];
      a0 += xv.x * d[p];
      a1 += xv.y * d[p];
      a2 += xv.z * d[p];
      a3 += xv.w * d[p];
    }
    let o = 4u * q * N4 + n4;
    dw[o] = a0;
    dw[o + N4] = a1;
    dw[o + 2u * N4] = a2;
    dw[o + 3u * N4] = a3;
  }
}
