// The columns of a patch matrix (conv2d_patches.wgsl, conv2d_patches_windows.wgsl): column t of
// a row is tap (kh, kw, ci) of the HWIO kernel's row order while t < K = KH*KW*CI, then the bias
// column's one (t == K), then zeros. Both kernels take the layer's shape as override constants
// (so the index math divides by constants), declared here once (conv2d_window_pool.wgsl takes
// its image and pooled-map constants from here too); in window order (POOLED in
// conv2d_patches.wgsl, always in conv2d_patches_windows.wgsl) row (group*4 + k)*LANES + l is cell
// k (row-major: 0 1 / 2 3) of window group*LANES + l of the POOL_H x POOL_W pooled map, and rows
// of windows past the batch (BATCHC images) are zero.
override CIC: u32 = 3u;
override KHC: u32 = 3u;
override KWC: u32 = 3u;
override PWC: u32 = 32u;
override HC: u32 = 1u;
override WC: u32 = 1u;
override LANES: u32 = 8u;
override POOL_H: u32 = 1u;
override POOL_W: u32 = 1u;
override BATCHC: u32 = 1u;

// Whether column t is a tap of x (else patchExtra gives its value).
fn isTap(t: u32) -> bool {
  return t < KHC * KWC * CIC;
}

// The bias column's one, or a padding zero.
fn patchExtra(t: u32) -> f32 {
  return select(0.0, 1.0, t == KHC * KWC * CIC);
}

// Tap t as (kh, kw, ci).
fn patchTap(t: u32) -> vec3u {
  return vec3u(t / (CIC * KWC), (t / CIC) % KWC, t % CIC);
}
