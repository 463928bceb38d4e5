// Winograd F(m x m, 3x3) input transform: V = B^T d B for the a x a input patch d of each tile
// (a = m + 2), zero outside the image, written as a^2 slabs of vec4s (e = a*i + j; put() says
// in which order).
// x is staged as texels [pixel][CI/4]. One invocation per (tile, c4): a^2 fetches (clamped
// indices times an inside flag, so the lanes never diverge), a^2 vec4 stores. The arithmetic
// (WINO_TRANSFORM) is generated from B^T (src/kernels/winograd.ts): loads d{r}_{c}, the
// transform, put() per slab. Where the image is a gradient that came back through a fused 2x2
// max pool, the loads read the pool's gradient and winners instead of the full image
// (WINO_SOURCE: winograd_source_image.wgsl or winograd_source_pooled.wgsl).
//#include "grid1d.wgsl"
//#include "conv2d_winograd_params.wgsl"

@group(0) @binding(0) var x: TexOperand;
@group(0) @binding(1) var<storage, read_write> v: array<vec4f>;

//#include "tex_operand.wgsl"

// A patch row or column: its texel offset (clamped into the image) and a 1/0 inside flag.
struct Line { base: u32, inside: f32 }

//#include "bit_mask.wgsl"

//#include "winograd_source_{{WINO_SOURCE}}.wgsl"

// Where put() writes: with TILES_INNER, V [a^2][CI/4][T] (each slab's tiles consecutive per
// channel group: the Winograd product's lanes read consecutive tiles, in 2 cache lines per
// fetch instead of 8, and on lavapipe the products of VGG16's forward ran about 4 % faster and
// this transform 12 % faster); else [a^2][T][CI/4], as the weight gradient's product reads dY's
// transform (its lanes read consecutive channel groups).
override TILES_INNER: bool = false;

fn put(e: u32, t: u32, c4: u32, CI4: u32, val: vec4f) {
  if (TILES_INNER) {
    v[(e * CI4 + c4) * u.T + t] = val;
  } else {
    v[(e * u.T + t) * CI4 + c4] = val;
  }
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
