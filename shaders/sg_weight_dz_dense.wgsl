// dz as the sg weight gradient reads it (conv2d_backward_weight_sg.wgsl): staged as texels
// [pixel][CO/4].
@group(0) @binding(3) var<uniform> u: Params;

fn dzTexel(pixel: u32, n4: u32, CO4: u32) -> vec4f {
  return texel(dz, pixel * CO4 + n4);
}
