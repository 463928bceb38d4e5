// The implicit im2col matrix of a convolution, read straight from the NHWC input x: the row is
// an output pixel p = (b*OH + oh)*OW + ow, the column a tap t = (kh*KW + kw)*CI + ci (the row
// order of the HWIO kernel flattened to [KH*KW*CI, CO]). Zero where the tap falls in the padding.
fn im2col(p: u32, t: u32) -> f32 {
  let ci = t % u.CI;
  let kw = (t / u.CI) % u.KW;
  let kh = t / (u.CI * u.KW);
  let ow = p % u.OW;
  let oh = (p / u.OW) % u.OH;
  let b = p / (u.OW * u.OH);
  let ih = i32(oh * u.SH + kh) - i32(u.PT);
  let iw = i32(ow * u.SW + kw) - i32(u.PL);
  if (ih < 0 || iw < 0 || ih >= i32(u.H) || iw >= i32(u.W)) {
    return 0.0;
  }
  return x[((b * u.H + u32(ih)) * u.W + u32(iw)) * u.CI + ci];
}
