// What the texture-fed "rows" kernels (conv2d_forward_tex, conv2d_forward_sg,
// conv2d_backward_input_sg) share: the descriptor's bindings (rowsKernel in src/kernels/conv_tex.ts),
// texel fetches, the row-to-pixel maps and the epilogue. Each invocation owns L rows x one vec4
// of columns of y [M][N/4], in L x 64/L workgroups (L = 8 for tex, the share's lanes for sg).
override HAS_BIAS: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

//#include "conv2d_params.wgsl"

@group(0) @binding(0) var x: TexOperand;
@group(0) @binding(1) var w: TexOperand;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;
// The pooled sg forward adds a binding for its winners (conv2d_sg_pool_codes.wgsl) before u.
@group(0) @binding({{U_BINDING}}) var<uniform> u: Params;

//#include "activation.wgsl"
//#include "tex_operand.wgsl"
//#include "conv2d_tex_rows.wgsl"

// y[m, 4n4..4n4+3] = act(acc + bias); rows past M (the last block's padding) are dropped.
fn epilogue(m: u32, n4: u32, acc: vec4f) {
  if (m >= u.M) {
    return;
  }
  var r = acc;
  if (HAS_BIAS) {
    r += vec4f(bias[n4 * 4u], bias[n4 * 4u + 1u], bias[n4 * 4u + 2u], bias[n4 * 4u + 3u]);
  }
  y[m * (u.N / 4u) + n4] = vec4f(activate(r.x), activate(r.y), activate(r.z), activate(r.w));
}
