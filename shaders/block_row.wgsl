// A row of a small block of x read as vec4s (conv2d_patches_windows.wgsl, conv2d_window_pool.wgsl):
// its floats start at any float, so each is picked from the four candidates its offset mod 4
// allows, by selects on that offset (constant indices keep the vectors in registers).
// lavapipe turns each per-lane load into a gather whose cost hardly depends on its width
// (docs/lavapipe.md), so four vec4 loads cost about what four scalar loads do.

// A block row's floats, at most 13: with the offset's 3 they fit 4 vec4s.
const ROW_VECS = 4u;

struct BlockRow {
  v: array<vec4f, ROW_VECS>,
  // The row's offset mod 4.
  s: u32,
}

// The vec4s holding floats o .. o + 12 of x.
fn blockRow(o: u32) -> BlockRow {
  let q = o / 4u;
  var r: BlockRow;
  for (var i = 0u; i < ROW_VECS; i++) {
    r.v[i] = x[q + i];
  }
  r.s = o % 4u;
  return r;
}

// Float t + s of the vectors v, s in 0..3 (the row's offset mod 4), t a constant.
fn pick(v: array<vec4f, ROW_VECS>, t: u32, s: u32) -> f32 {
  let a = v[t / 4u][t % 4u];
  let b = v[(t + 1u) / 4u][(t + 1u) % 4u];
  let c = v[(t + 2u) / 4u][(t + 2u) % 4u];
  let d = v[min((t + 3u) / 4u, ROW_VECS - 1u)][(t + 3u) % 4u];
  return select(select(a, b, s == 1u), select(c, d, s == 3u), s >= 2u);
}
