// Keras 2.3.1's binary cross-entropy, per element: tf.keras.backend.binary_crossentropy of TF 1.15
// and 2.0 (which branch a model takes: src/nn/loss.ts).
// FROM_LOGITS = true (the output was a sigmoid's; v is its input z), TF's stable
// sigmoid_cross_entropy_with_logits:
//   loss = max(z, 0) - z*y + log1p(exp(-|z|)),  d/dz = sigmoid(z) - y.
// FROM_LOGITS = false (v is a probability p), p is clipped to [eps, 1 - eps] (both bounds in f32, as
// TF forms them) and eps is added inside the logs as well:
//   loss = -(y*log(q + eps) + (1 - y)*log((1 - q) + eps)),  q = clip(p),
//   d/dp = (1 - y)/((1 - q) + eps) - y/(q + eps) where eps <= p <= 1 - eps, else 0 (TF clips with
//   minimum/maximum, whose gradients pass at equality).
// BACKWARD = true writes d(mean loss)/d input, scaled by the upstream gradient g[0].
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

// log(1 + x) for x in [0, 1]. Where 1 + x would round x's low bits away (a saturated logit makes
// x = exp(-|z|) tiny) a 5-term series keeps it exact to f32; its error x^6/6 is below 3e-9 at 0.05.
fn log1pSmall(x: f32) -> f32 {
  if (x < 0.05) {
    return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x * 0.2))));
  }
  return log(1.0 + x);
}

fn logitsLoss(z: f32, t: f32) -> f32 {
  return max(z, 0.0) - z * t + log1pSmall(exp(-abs(z)));
}

// sigmoid(z) - y from s = sigmoid(-|z|) (no overflow): for z >= 0 it is (1 - y) - s, so a
// saturated z with y = 1 keeps its tiny gradient instead of rounding 1 - y to 0.
fn logitsGrad(z: f32, t: f32) -> f32 {
  let e = exp(-abs(z));
  let s = e / (1.0 + e);
  if (z >= 0.0) {
    return (1.0 - t) - s;
  }
  return s - t;
}

fn probsLoss(v: f32, t: f32) -> f32 {
  let q = clamp(v, u.eps, 1.0 - u.eps);
  return -(t * log(q + u.eps) + (1.0 - t) * log((1.0 - q) + u.eps));
}

fn probsGrad(v: f32, t: f32) -> f32 {
  if (v < u.eps || v > 1.0 - u.eps) {
    return 0.0;
  }
  return (1.0 - t) / ((1.0 - v) + u.eps) - t / (v + u.eps);
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) {
    return;
  }
  let v = p[i];
  let t = y[i];
  if (BACKWARD) {
    let d = select(probsGrad(v, t), logitsGrad(v, t), FROM_LOGITS);
    out[i] = g[0] * d * u.invCount;
  } else {
    out[i] = select(probsLoss(v, t), logitsLoss(v, t), FROM_LOGITS);
  }
}
