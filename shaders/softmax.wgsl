// Softmax over the last axis (C values per row), one invocation per row; the max is subtracted
// first so large logits do not overflow. BACKWARD computes dx = y * (g - sum(g * y)) from the
// forward's output y (in `a`) and the upstream gradient g (in `b`).
//#include "grid1d.wgsl"
override BACKWARD: bool = false;

struct Params {
  rows: u32,
  C: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = flatIndex(gid, nwg);
  if (r >= u.rows) {
    return;
  }
  let base = r * u.C;
  if (BACKWARD) {
    var dot = 0.0;
    for (var c = 0u; c < u.C; c++) {
      dot += a[base + c] * b[base + c];
    }
    for (var c = 0u; c < u.C; c++) {
      out[base + c] = a[base + c] * (b[base + c] - dot);
    }
    return;
  }
  var m = a[base];
  for (var c = 1u; c < u.C; c++) {
    m = max(m, a[base + c]);
  }
  var s = 0.0;
  for (var c = 0u; c < u.C; c++) {
    let e = exp(a[base + c] - m);
    out[base + c] = e;
    s += e;
  }
  for (var c = 0u; c < u.C; c++) {
    out[base + c] = out[base + c] / s;
  }
}
