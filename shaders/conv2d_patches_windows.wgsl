// The window-order patch matrix (conv2d_patches.wgsl, POOLED) of a 'valid' stride-1 conv with
// few channels, one invocation per window of the 2x2 pool: its four cells' rows come out of one
// (KH+1) x (KW+1) block of x, read as vec4s. lavapipe turns each per-lane load into a gather
// whose cost hardly depends on its width (docs/lavapipe.md), so a block row of (KW+1)*CI floats
// costs four vec4 loads where the per-row kernel paid KH*KW*CI scalar loads for each of the four
// cells: 16 loads per window instead of 108 for the RGB 3x3 case (block_row.wgsl).
// Layout of the rows as in conv2d_patches.wgsl; Uniforms: n, the number of windows padded to
// whole lane groups (rows / 4).
//#include "grid1d.wgsl"
//#include "patch_taps.wgsl"

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> p: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

// As conv2d_patches.wgsl's: [PW/4][rows] vec4s instead of [rows][PW/4] (rows: 4 per window).
override CHANNELS_OUTER: bool = false;

// Where vec4 j of row m goes.
fn patchAt(m: u32, j: u32, PW4: u32) -> u32 {
  return select(m * PW4 + j, j * 4u * u.n + m, CHANNELS_OUTER);
}

//#include "block_row.wgsl"

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
        p[patchAt(first + k * LANES, j, PW4)] = vec4f(0.0);
      }
    }
    return;
  }
  let oh = 2u * ((w / POOL_W) % POOL_H);
  let ow = 2u * (w % POOL_W);
  var f: array<f32, 64>;
  for (var r = 0u; r <= KHC; r++) {
    let row = blockRow(((b * HC + oh + r) * WC + ow) * CIC);
    for (var t = 0u; t < (KWC + 1u) * CIC; t++) {
      f[r * 16u + t] = pick(row.v, t, row.s);
    }
  }
  for (var k = 0u; k < 4u; k++) {
    let m = first + k * LANES;
    for (var j = 0u; j < PW4; j++) {
      let t = 4u * j;
      let c = vec4f(column(&f, t, k / 2u, k % 2u), column(&f, t + 1u, k / 2u, k % 2u), column(&f, t + 2u, k / 2u, k % 2u), column(&f, t + 3u, k / 2u, k % 2u));
      p[patchAt(m, j, PW4)] = c;
    }
  }
}
