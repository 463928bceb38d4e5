// The patch matrix of a convolution with few input channels (RGB): row m is output pixel
// m = (b*OH + oh)*OW + ow, column t = (kh*KW + kw)*CI + ci its tap in the HWIO kernel's row order
// (zero in the padding), then a column of ones (the bias's row of the patch kernel) and zeros up
// to PW columns. The conv is then a 1x1 conv of PW channels, whole texels, with no padded input
// to stage and no per-tap address arithmetic. One invocation per row, storing a vec4 at a time
// (scalar stores to rows PW floats apart were a scatter each: 3x slower). The layer's channels
// and taps and PW come as override constants (CIC, KHC, KWC, PWC): the loop over columns unrolls
// and each column's tap folds to constants (its divides were 8 scalar ones per lane group
// otherwise). So does the rest of the geometry (the ...C constants below): a row's pixel is then
// found by multiplies and shifts, where divides by uniforms were scalar divides per lane (lavapipe
// has no vector integer divide): 4.0 -> 2.6 ms for the scratch net's first layer at batch 4.
// Uniforms: the conv's (conv2d_params.wgsl), M its rows.
//#include "grid1d.wgsl"
//#include "conv2d_params.wgsl"
//#include "patch_taps.wgsl"

override OHC: u32 = 1u;
override OWC: u32 = 1u;
override SHC: u32 = 1u;
override SWC: u32 = 1u;
override PTC: u32 = 0u;
override PLC: u32 = 0u;
// POOLED: the rows go window by window of the 2x2 max pool that follows (conv_patches.ts), as
// the pooled sg forward takes them (window order: patch_taps.wgsl); pixels in no window (an odd
// last row or column) have no row.
override POOLED: bool = false;
// With POOLED, also channel group by channel group: [PW/4][rows] vec4s instead of [rows][PW/4]
// (conv_patches.ts patchesRaw), so that the sg kernels' lanes, one row each, fetch neighbours.
override CHANNELS_OUTER: bool = false;
// Every tap of every row inside x (a 'valid' conv): no bounds test, which cost a third of the time.
override ALL_INSIDE: bool = PTC == 0u && PLC == 0u && (OHC - 1u) * SHC + KHC <= HC && (OWC - 1u) * SWC + KWC <= WC;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> p: array<vec4f>;
@group(0) @binding(2) var<uniform> u: Params;

// Column t of the row of output pixel (b, oh, ow).
fn column(t: u32, b: u32, oh: u32, ow: u32) -> f32 {
  if (!isTap(t)) {
    return patchExtra(t);
  }
  let tap = patchTap(t);
  let kh = tap.x;
  let kw = tap.y;
  let ci = tap.z;
  if (ALL_INSIDE) {
    return x[((b * HC + oh * SHC + kh) * WC + ow * SWC + kw) * CIC + ci];
  }
  let ih = i32(oh * SHC + kh) - i32(PTC);
  let iw = i32(ow * SWC + kw) - i32(PLC);
  let inside = ih >= 0 && iw >= 0 && ih < i32(HC) && iw < i32(WC);
  let i = select(0u, ((b * HC + u32(ih)) * WC + u32(iw)) * CIC + ci, inside);
  return select(0.0, x[i], inside);
}

// Where vec4 j of row m goes.
fn patchAt(m: u32, j: u32, PW4: u32) -> u32 {
  return select(m * PW4 + j, j * u.M + m, CHANNELS_OUTER);
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let m = flatIndex(gid, nwg);
  if (m >= u.M) {
    return;
  }
  var ow = m % OWC;
  var oh = (m / OWC) % OHC;
  var b = m / (OWC * OHC);
  let PW4 = PWC / 4u;
  if (POOLED) {
    let k = (m / LANES) % 4u;
    let w = (m / (4u * LANES)) * LANES + m % LANES;
    ow = 2u * (w % POOL_W) + k % 2u;
    oh = 2u * ((w / POOL_W) % POOL_H) + k / 2u;
    b = w / (POOL_W * POOL_H);
    if (b >= BATCHC) {
      for (var j = 0u; j < PW4; j++) {
        p[patchAt(m, j, PW4)] = vec4f(0.0);
      }
      return;
    }
  }
  for (var j = 0u; j < PW4; j++) {
    let t = 4u * j;
    p[patchAt(m, j, PW4)] = vec4f(column(t, b, oh, ow), column(t + 1u, b, oh, ow), column(t + 2u, b, oh, ow), column(t + 3u, b, oh, ow));
  }
}
