// Keras binary cross-entropy, per element. FROM_LOGITS = false (Keras 2.2/2.3 TF backend on
// probabilities): p is clipped to [eps, 1 - eps], turned back into a logit z = log(p / (1 - p)),
// and TF's stable sigmoid_cross_entropy_with_logits is applied:
//   loss = max(z, 0) - z*y + log(1 + exp(-|z|)).
// FROM_LOGITS = true applies the same formula to the input directly.
// BACKWARD = true writes d(mean loss)/d input instead, scaled by the upstream gradient g[0]:
//   logits: (sigmoid(z) - y) / n;  probabilities: (p - y) / (p (1 - p)) / n, and 0 where p was
//   clipped (the clip passes no gradient).
//#include "grid1d.wgsl"
override FROM_LOGITS: bool = false;
override BACKWARD: bool = false;

struct Params {
  n: u32,
  eps: f32,
  invCount: f32,
}

@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

fn forward(v: f32, t: f32) -> f32 {
  var z = v;
  if (!FROM_LOGITS) {
    let q = clamp(v, u.eps, 1.0 - u.eps);
    z = log(q / (1.0 - q));
  }
  return max(z, 0.0) - z * t + log(1.0 + exp(-abs(z)));
}

fn grad(v: f32, t: f32) -> f32 {
  if (FROM_LOGITS) {
    return 1.0 / (1.0 + exp(-v)) - t;
  }
  if (v < u.eps || v > 1.0 - u.eps) {
    return 0.0;
  }
  return (v - t) / (v * (1.0 - v));
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  if (BACKWARD) {
    out[i] = g[0] * grad(p[i], y[i]) * u.invCount;
  } else {
    out[i] = forward(p[i], y[i]);
  }
}
