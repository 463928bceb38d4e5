// The window-order patch matrix (conv2d_patches.wgsl, POOLED) of a 'valid' stride-1 conv with
// few channels, one invocation per window of the 2x2 pool: its four cells' rows come out of one
// (KH+1) x (KW+1) block of x, read as vec4s. lavapipe turns each per-lane load into a gather
// whose cost hardly depends on its width (docs/lavapipe.md), so a block row of (KW+1)*CI floats
// costs four vec4 loads where the per-row kernel paid KH*KW*CI scalar loads for each of the four
// cells: 16 loads per window instead of 108 for the RGB 3x3 case. A block row starts at any
// float, so each float of it is picked from the four candidates its offset mod 4 allows, by
// selects on that offset (constant indices keep the vectors in registers).
// Layout of the rows as in conv2d_patches.wgsl; Uniforms: n, the number of windows padded to
// whole lane groups (rows / 4).
//#include "grid1d.wgsl"
//#include "patch_taps.wgsl"

// A block row's floats, (KW+1)*CI of them (at most 13: with the offset's 3 they fit 4 vec4s).
const ROW_VECS = 4u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> p: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

// Float t + s of the vectors v, s in 0..3 (the row's offset mod 4), t a constant.
fn pick(v: array<vec4f, ROW_VECS>, t: u32, s: u32) -> f32 {
  let a = v[t / 4u][t % 4u];
  let b = v[(t + 1u) / 4u][(t + 1u) % 4u];
  let c = v[(t + 2u) / 4u][(t + 2u) % 4u];
  let d = v[min((t + 3u) / 4u, ROW_VECS - 1u)][(t + 3u) % 4u];
  return select(select(a, b, s == 1u), select(c, d, s == 3u), s >= 2u);
}

// Column t of cell (dy, dx)'s row from the block f (row r at f[r * RF ..]).
fn column(f: ptr<function, array<f32, 64>>, t: u32, dy: u32, dx: u32) -> f32 {
  if (!isTap(t)) {
    return patchExtra(t);
  }
  let tap = patchTap(t);
  return (*f)[(dy + tap.x) * 16u + (dx + tap.y) * CIC + tap.z];
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = flatIndex(gid, nwg);
  if (w >= u.n) {
    return;
  }
  let PW4 = PWC / 4u;
  // Row of cell k: (group*4 + k)*LANES + l.
  let first = (w / LANES) * 4u * LANES + w % LANES;
  let b = w / (POOL_W * POOL_H);
  if (b >= BATCHC) {
    for (var k = 0u; k < 4u; k++) {
      for (var j = 0u; j < PW4; j++) {
        p[(first + k * LANES) * PW4 + j] = vec4f(0.0);
      }
    }
    return;
  }
  let oh = 2u * ((w / POOL_W) % POOL_H);
  let ow = 2u * (w % POOL_W);
  var f: array<f32, 64>;
  for (var r = 0u; r <= KHC; r++) {
    let o = ((b * HC + oh + r) * WC + ow) * CIC;
    let q = o / 4u;
    let s = o % 4u;
    var v: array<vec4f, ROW_VECS>;
    for (var i = 0u; i < ROW_VECS; i++) {
      v[i] = x[q + i];
    }
    for (var t = 0u; t < (KWC + 1u) * CIC; t++) {
      f[r * 16u + t] = pick(v, t, s);
    }
  }
  for (var k = 0u; k < 4u; k++) {
    let m = first + k * LANES;
    for (var j = 0u; j < PW4; j++) {
      let t = 4u * j;
      let c = vec4f(column(&f, t, k / 2u, k % 2u), column(&f, t + 1u, k / 2u, k % 2u), column(&f, t + 2u, k / 2u, k % 2u), column(&f, t + 3u, k / 2u, k % 2u));
      p[m * PW4 + j] = c;
    }
  }
}
