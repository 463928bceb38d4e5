// Winograd F(m x m, 3x3) input transform: V = B^T d B for the a x a input patch d of each tile
// (a = m + 2), zero outside the image, written as a^2 slabs V[e][T][CI/4] of vec4s (e = a*i + j).
// x is staged as texels [pixel][CI/4]. One invocation per (tile, c4): a^2 fetches (clamped
// indices times an inside flag, so the lanes never diverge), a^2 vec4 stores. The arithmetic
// (WINO_TRANSFORM) is generated from B^T (src/kernels/winograd.ts): loads d{r}_{c}, the
// transform, put() per slab.
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var x: TexOperand;
@group(0) @binding(1) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

//#include "tex_operand.wgsl"

// A patch row or column: its texel offset (clamped into the image) and a 1/0 inside flag.
struct Line { base: u32, inside: f32 }

// Row ih of image b at channel group c4: the texel of column 0.
fn rowAt(b: u32, ih: i32, c4: u32, CI4: u32) -> Line {
  let base = (b * u.H + u32(clamp(ih, 0, i32(u.H) - 1))) * u.W * CI4 + c4;
  return Line(base, select(0.0, 1.0, ih >= 0 && ih < i32(u.H)));
}

// Column iw: its texel offset within a row.
fn colAt(iw: i32, CI4: u32) -> Line {
  return Line(u32(clamp(iw, 0, i32(u.W) - 1)) * CI4, select(0.0, 1.0, iw >= 0 && iw < i32(u.W)));
}

fn fetch(row: Line, col: Line) -> vec4f {
  return texel(x, row.base + col.base) * (row.inside * col.inside);
}

fn put(e: u32, t: u32, c4: u32, CI4: u32, val: vec4f) {
  v[(e * u.T + t) * CI4 + c4] = val;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CI4 = C4;
  let i = flatIndex(gid, nwg);
  if (i >= u.T * CI4) {
    return;
  }
  let c4 = i % CI4;
  let t = i / CI4;
  let tx = t % TWC;
  let ty = (t / TWC) % THC;
  let b = t / (TWC * THC);
  let ih0 = i32({{WINO_M}}u * ty) - i32(u.PT);
  let iw0 = i32({{WINO_M}}u * tx) - i32(u.PL);
  {{WINO_TRANSFORM}}
}
