// Keras ImageDataGenerator warp for a whole batch: per image, per channel,
// scipy.ndimage.affine_transform(order=1, mode=FILL, cval), then the horizontal / vertical flip,
// then * rescale. One invocation per output pixel: the sampling point, taps and weights are
// shared by its 3 channels, and the 3 bytes of a tap come from at most 2 words.
//
// px: the batch's uint8 NHWC RGB bytes, 4 per u32, little-endian (byte k of word j is pixel
//     byte 4j + k); the last word is zero-padded.
// prm: 4 vec4<u32> per image. The sampling point of output (r, c) along one input axis is
//     a·r + b·c + d, kept as an exact Q12 fixed-point part (i32 hi: a·4096 rounded) plus an f32
//     remainder (lo = a - hi/4096, |lo| <= 2^-13). f32 alone has a 3e-5 px ulp at 300 px, which
//     would both blur the bilinear weights and misplace the 'constant' / 'wrap' edges; the split
//     keeps the point to ~1e-7 px. The CPU checks that |hi·r| + |hi·c| + |hi_d| fits in an i32.
//   [0] = (hi_a, hi_b, hi_d, flipH) for input rows      [1] = (lo_a, lo_b, lo_d, flipV) rows
//   [2] = (hi_a, hi_b, hi_d, 0) for input columns       [3] = (lo_a, lo_b, lo_d, 0) columns
// y: float32 [n, h, w, 3].
//#include "grid1d.wgsl"
// 0 nearest, 1 constant, 2 reflect, 3 wrap (SciPy's old 'wrap': period n - 1).
override FILL: u32 = 0u;
// Every image is unchanged: y = byte * rescale, prm is not read.
override IDENTITY: bool = false;

struct Params {
  pixels: u32,
  h: u32,
  w: u32,
  last_word: u32,
  rescale: f32,
  cval: f32,
}

@group(0) @binding(0) var<storage, read> px: array<u32>;
@group(0) @binding(1) var<storage, read> prm: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> u: Params;

// The RGB bytes starting at byte q, as the 24 bits at bit s of the word pair (hi:lo).
fn rgb(q: u32) -> vec3<f32> {
  let word = q >> 2u;
  let lo = px[word];
  let hi = px[min(word + 1u, u.last_word)];
  let s = (q & 3u) * 8u;
  // A shift by 32 would wrap to 0 in WGSL, so s = 0 takes lo alone.
  let v = select((lo >> s) | (hi << (32u - s)), lo, s == 0u);
  return vec3<f32>(f32(v & 255u), f32((v >> 8u) & 255u), f32((v >> 16u) & 255u));
}

// A sampling point i + f with integer i and f in [0, 1).
struct Point {
  i: i32,
  f: f32,
}

fn point(hi: vec4<u32>, lo: vec4<u32>, r: i32, c: i32) -> Point {
  let h = bitcast<vec3<i32>>(hi.xyz);
  let l = bitcast<vec3<f32>>(lo.xyz);
  let s = h.x * r + h.y * c + h.z;
  // Arithmetic shift and mask split s into floor(s / 4096) and an exact fraction.
  let t = f32(s & 4095) * (1.0 / 4096.0) + (l.x * f32(r) + l.y * f32(c) + l.z);
  let k = floor(t);
  var p = Point((s >> 12u) + i32(k), t - k);
  if (p.f >= 1.0) {
    // t a hair below an integer rounded up to it.
    p = Point(p.i + 1, 0.0);
  }
  return p;
}

// The two taps along an axis of n samples, as SciPy's order-1 affine_transform reads them.
struct Taps {
  i0: i32,
  i1: i32,
  f: f32,
  inside: bool,
}

fn reflect_index(k: i32, n: i32) -> i32 {
  let p = 2 * n;
  let m = ((k % p) + p) % p;
  return select(2 * n - 1 - m, m, m < n);
}

// SciPy 'wrap' folds the point itself with period n - 1: a point above n - 1 goes to
// i mod (n-1) (so n - 1 + f, f > 0, lands on f); a negative one to (0, n - 1] when f = 0, else
// to [0, n - 2] + f. The folded point's second tap can only pass the end when f = 0.
fn wrap_point(p: Point, n: i32) -> Point {
  if (n == 1) {
    return Point(0, 0.0);
  }
  let sz = n - 1;
  if (p.i < 0) {
    if (p.f == 0.0) {
      return Point(sz - (-p.i) % sz, 0.0);
    }
    return Point(sz - 1 - (-p.i - 1) % sz, p.f);
  }
  if (p.i > sz || (p.i == sz && p.f > 0.0)) {
    return Point(p.i % sz, p.f);
  }
  return p;
}

fn taps(p0: Point, n: i32) -> Taps {
  if (FILL == 2u) {
    return Taps(reflect_index(p0.i, n), reflect_index(p0.i + 1, n), p0.f, true);
  }
  var p = p0;
  if (FILL == 3u) {
    p = wrap_point(p0, n);
  }
  // 'constant': cval for any point outside [0, n - 1], exactly; no blending across the edge.
  let inside = p.i >= 0 && (p.i < n - 1 || (p.i == n - 1 && p.f == 0.0));
  return Taps(clamp(p.i, 0, n - 1), clamp(p.i + 1, 0, n - 1), p.f, FILL != 1u || inside);
}

fn warp(img: u32, r: i32, c: i32) -> vec3<f32> {
  let base = img * 4u;
  let rows = taps(point(prm[base], prm[base + 1u], r, c), i32(u.h));
  let cols = taps(point(prm[base + 2u], prm[base + 3u], r, c), i32(u.w));
  if (!rows.inside || !cols.inside) {
    return vec3<f32>(u.cval);
  }
  let row0 = (img * u.h + u32(rows.i0)) * u.w;
  let row1 = (img * u.h + u32(rows.i1)) * u.w;
  let top = rgb((row0 + u32(cols.i0)) * 3u) * (1.0 - cols.f) + rgb((row0 + u32(cols.i1)) * 3u) * cols.f;
  let bottom = rgb((row1 + u32(cols.i0)) * 3u) * (1.0 - cols.f) + rgb((row1 + u32(cols.i1)) * 3u) * cols.f;
  return top * (1.0 - rows.f) + bottom * rows.f;
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= u.pixels) {
    return;
  }
  var v: vec3<f32>;
  if (IDENTITY) {
    v = rgb(i * 3u);
  } else {
    // i = (img*h + r)*w + c; the flips reverse the warped image, so read it at (r', c').
    let img = i / (u.h * u.w);
    let r = (i / u.w) % u.h;
    let c = i % u.w;
    let base = img * 4u;
    let rr = select(r, u.h - 1u - r, prm[base + 1u].w != 0u);
    let cc = select(c, u.w - 1u - c, prm[base].w != 0u);
    v = warp(img, i32(rr), i32(cc));
  }
  v = v * u.rescale;
  y[i * 3u] = v.x;
  y[i * 3u + 1u] = v.y;
  y[i * 3u + 2u] = v.z;
}
