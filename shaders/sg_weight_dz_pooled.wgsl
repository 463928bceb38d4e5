// dz of a pooled patch product (src/ops/conv_pool.ts: an RGB conv + 2x2 max pool whose patch
// rows come in the pool's window order, conv_patches.ts WindowRows) as the sg weight gradient
// reads it (conv2d_backward_weight_sg.wgsl), without the rows being written: row (group*4 + k)
// * DZ_LANES + l is cell k of window group * DZ_LANES + l, and its dz is the window's dy (staged
// as texels [window][CO/4], in dz's binding) where the forward's winners (code, packed as
// pool_code.wgsl says) name cell k, else 0, as shaders/maxpool2d_rows_backward.wgsl wrote it.
// Rows past the last window (padding to whole lane groups) read 0.
@group(0) @binding(3) var<storage, read> code: array<u32>;
@group(0) @binding(4) var<uniform> u: Params;

override DZ_LANES: u32 = 8u;
override DZ_WINDOWS: u32 = 1u;

//#include "pool_code.wgsl"
//#include "bit_mask.wgsl"

fn dzTexel(pixel: u32, n4: u32, CO4: u32) -> vec4f {
  let w = (pixel / (4u * DZ_LANES)) * DZ_LANES + pixel % DZ_LANES;
  let k = (pixel / DZ_LANES) % 4u;
  let i = min(w, DZ_WINDOWS - 1u) * CO4 + n4;
  return masked4(texel(dz, i), (unpackCode(code[i]) == vec4u(k)) & vec4<bool>(w < DZ_WINDOWS));
}
