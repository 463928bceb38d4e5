// Winograd F(2x2, 3x3) input transform: V = B^T d B for the 4x4 input patch d of each tile,
//   B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
// zero outside the image, written as 16 slabs V[e][T][CI/4] of vec4s (e = 4*i + j).
// x is staged as texels [pixel][CI/4]. One invocation per (tile, c4): 16 fetches (clamped
// indices times an inside flag, so the lanes never diverge), 16 vec4 stores.
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var x: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

//#include "tex_operand.wgsl"

// d B for one patch row: (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
struct Row { a0: vec4f, a1: vec4f, a2: vec4f, a3: vec4f }

fn patchRow(rowBase: u32, rowIn: f32, cols: vec4u, colIn: vec4f, CI4: u32) -> Row {
  let d0 = texel(x, rowBase + cols.x * CI4) * (rowIn * colIn.x);
  let d1 = texel(x, rowBase + cols.y * CI4) * (rowIn * colIn.y);
  let d2 = texel(x, rowBase + cols.z * CI4) * (rowIn * colIn.z);
  let d3 = texel(x, rowBase + cols.w * CI4) * (rowIn * colIn.w);
  return Row(d0 - d2, d1 + d2, d2 - d1, d1 - d3);
}

// Texel of channel group c4 at column 0 of input row ih (clamped into the image) of image b.
fn rowBase(b: u32, ih: i32, c4: u32, CI4: u32) -> u32 {
  return (b * u.H + u32(clamp(ih, 0, i32(u.H) - 1))) * u.W * CI4 + c4;
}

fn rowInside(ih: i32) -> f32 {
  return select(0.0, 1.0, ih >= 0 && ih < i32(u.H));
}

fn put(e: u32, t: u32, c4: u32, CI4: u32, val: vec4f) {
  v[(e * u.T + t) * CI4 + c4] = val;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let CI4 = u.CI / 4u;
  let i = flatIndex(gid, nwg);
  if (i >= u.T * CI4) {
    return;
  }
  let c4 = i % CI4;
  let t = i / CI4;
  let tx = t % u.TW;
  let ty = (t / u.TW) % u.TH;
  let b = t / (u.TW * u.TH);
  let ih0 = i32(2u * ty) - i32(u.PT);
  let iw0 = i32(2u * tx) - i32(u.PL);
  // Columns: clamped into the image, with a 1/0 inside flag.
  let iw = vec4i(iw0, iw0 + 1, iw0 + 2, iw0 + 3);
  let colIn = select(vec4f(0.0), vec4f(1.0), (iw >= vec4i(0)) & (iw < vec4i(i32(u.W))));
  let cols = vec4u(clamp(iw, vec4i(0), vec4i(i32(u.W) - 1)));
  // One patch row at a time (d B), then B^T along the rows:
  // V0 = p0 - p2, V1 = p1 + p2, V2 = p2 - p1, V3 = p1 - p3.
  let p0 = patchRow(rowBase(b, ih0, c4, CI4), rowInside(ih0), cols, colIn, CI4);
  let p2 = patchRow(rowBase(b, ih0 + 2, c4, CI4), rowInside(ih0 + 2), cols, colIn, CI4);
  let v0 = Row(p0.a0 - p2.a0, p0.a1 - p2.a1, p0.a2 - p2.a2, p0.a3 - p2.a3);
  let p1 = patchRow(rowBase(b, ih0 + 1, c4, CI4), rowInside(ih0 + 1), cols, colIn, CI4);
  let v1 = Row(p1.a0 + p2.a0, p1.a1 + p2.a1, p1.a2 + p2.a2, p1.a3 + p2.a3);
  let v2 = Row(p2.a0 - p1.a0, p2.a1 - p1.a1, p2.a2 - p1.a2, p2.a3 - p1.a3);
  let p3 = patchRow(rowBase(b, ih0 + 3, c4, CI4), rowInside(ih0 + 3), cols, colIn, CI4);
  let v3 = Row(p1.a0 - p3.a0, p1.a1 - p3.a1, p1.a2 - p3.a2, p1.a3 - p3.a3);
  put(0u, t, c4, CI4, v0.a0); put(1u, t, c4, CI4, v0.a1); put(2u, t, c4, CI4, v0.a2); put(3u, t, c4, CI4, v0.a3);
  put(4u, t, c4, CI4, v1.a0); put(5u, t, c4, CI4, v1.a1); put(6u, t, c4, CI4, v1.a2); put(7u, t, c4, CI4, v1.a3);
  put(8u, t, c4, CI4, v2.a0); put(9u, t, c4, CI4, v2.a1); put(10u, t, c4, CI4, v2.a2); put(11u, t, c4, CI4, v2.a3);
  put(12u, t, c4, CI4, v3.a0); put(13u, t, c4, CI4, v3.a1); put(14u, t, c4, CI4, v3.a2); put(15u, t, c4, CI4, v3.a3);
}
