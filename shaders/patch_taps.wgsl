// The columns of a patch matrix (conv2d_patches.wgsl, conv2d_patches_windows.wgsl): column t of
// a row is tap (kh, kw, ci) of the HWIO kernel's row order while t < K = KH*KW*CI, then the bias
// column's one (t == K), then zeros. The including shader declares CIC, KHC and KWC.

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
