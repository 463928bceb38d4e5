// Workgroup size (override constants set from the kernel's descriptor) and the flat index of a
// 1-D launch: grids past 65535 workgroups are folded into y by the host (grid1d in program.ts).
override WG_X: u32 = 256;
override WG_Y: u32 = 1;
override WG_Z: u32 = 1;

fn flatIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG_X;
}
