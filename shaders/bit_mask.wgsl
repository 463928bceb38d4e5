// v's components where keep holds, else +0, by their bits. Not by a multiply or a select: the
// compiler may rearrange the arithmetic around those (Mesa's NIR did, on lavapipe: a multiply by
// a shared flag, or a select's known zero), and two kernels that load the same values in
// different ways then round differently (winograd_source_image.wgsl). A mask is opaque to it.
fn masked4(v: vec4f, keep: vec4<bool>) -> vec4f {
  return bitcast<vec4f>(bitcast<vec4u>(v) & select(vec4u(0u), vec4u(0xffffffffu), keep));
}

fn masked(v: vec4f, keep: bool) -> vec4f {
  return masked4(v, vec4<bool>(keep));
}
