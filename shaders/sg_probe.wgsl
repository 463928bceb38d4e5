// Self-test of the sg share on the adapter's own subgroups (src/kernels/sg_probe.ts): one
// workgroup runs sgAccumulate exactly as the sg kernels do, on texels fetched from textures,
// and writes every lane's accumulators. A driver whose shuffles of fetched texels go wrong
// (lavapipe at LP_NATIVE_VECTOR_WIDTH=512, 16 lanes, Mesa 25.0) fails it, and the planner then
// keeps the sg and Winograd kernels off that adapter.
{{SG_ENABLE}}
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

@group(0) @binding(0) var a: TexOperand;
@group(0) @binding(1) var bt: TexOperand;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

//#include "tex_operand.wgsl"
//#include "sg_share.wgsl"

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(local_invocation_id) lid: vec3u, ids: SgIds) {
  // Not local_invocation_index: the emulated share's SgIds takes that builtin.
  let li = lid.y * WG_X + lid.x;
  sgInit(ids);
  let b = mat4x4f(texel(bt, li * 4u), texel(bt, li * 4u + 1u), texel(bt, li * 4u + 2u), texel(bt, li * 4u + 3u));
  var acc: SgRows;
  sgAccumulate(texel(a, li), b, &acc);
  for (var l = 0u; l < sgLanes(); l++) {
    y[li * SG_LANES + l] = acc[l];
  }
}
