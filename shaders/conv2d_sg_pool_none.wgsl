// The sg forward without a fused pool (conv2d_forward_sg.wgsl, POOL_ROWS off): poolStore is
// never called, and the codes binding is not declared.
fn poolStore(w: u32, n4: u32, v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f) {}
