// Conv2D backward-weight, texture-fed with subgroup sharing (the lavapipe variant, as
// conv2d_forward_sg.wgsl). GEMM view: M = KH*KW*CI rows (tap, ci), N = CO, and the reduction
// runs over the output pixels p: dw[tap, ci, co] = sum_p x[pixel p reads at tap, ci] * dz[p, co].
//   x: NHWC staged as texels [pixel][CI/4]; dz: [batch, OH, OW, CO] staged as [pixel][CO/4];
//   y (dw partials): [S][M][CO/4] vec4s, one slab per split of the pixels (grid z).
// Rows come in blocks of 8 (one tap, ci 8b..8b+7). Invocation (n4, super-block) owns RB = 4
// consecutive blocks (32 rows) x one vec4 of co. Pixels go SG_LANES (L) at a time: lane l of a
// group (one row of the L x 64/L workgroup) fetches the two x texels (8 ci) of pixel p0+l for
// each block and shares them (sg_share.wgsl); each lane fetches its own dz texel for every pixel
// and uses it for all 4 blocks. Per L pixels a lane does L + 8 fetches for 128 L multiply-adds.
// With one block per invocation (L + 2 fetches for 32 L) the per-pixel dz fetches dominated: on
// lavapipe a texel fetch is a call costing about as much as 44 multiply-adds, and 4 blocks ran
// 1.8x faster on VGG16's block3 and block5. The blocks are written out: Mesa does not unroll a
// loop over them around the lane loop, and indexing the accumulators dynamically is slow.
// sgPlace lays out the workgroup's groups (few rows, a first layer's 3x3x8, waste less).
{{SG_ENABLE}}
override WG_X: u32 = 8;
override WG_Y: u32 = 8;
override WG_Z: u32 = 1;

//#include "conv2d_params.wgsl"

@group(0) @binding(0) var x: TexOperand;
@group(0) @binding(1) var dz: TexOperand;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

//#include "tex_operand.wgsl"
//#include "conv2d_tex_rows.wgsl"
//#include "sg_share.wgsl"
// dzTexel(pixel, n4, CO4): dz itself, or the rows a fused pool's gradient stands for.
//#include "sg_weight_dz_{{DZ_SOURCE}}.wgsl"

// 8-row blocks per invocation (a0..a3 below).
const RB = 4u;  // conv_tex.ts sizes the grid for it

// acc += x[ci] * dz over 4 pixels j, for the 8 ci of a pixel split over two texels lo (ci 0-3)
// and hi (4-7): columns j of lo, hi and d are pixel j's. The 4 products are summed before they
// reach acc: llvmpipe keeps the accumulators in memory and updates them under the execution
// mask (a load, a blend and a store each), which one product per update made the bottleneck;
// 4 ran 1.2-1.3x faster. Quads start 4k pixels into the chunk whatever L is (L is a multiple of
// 4), so every L still sums in the same order.
fn madd8x4(lo: mat4x4f, hi: mat4x4f, d: mat4x4f, acc: ptr<function, array<vec4f, 8>>) {
  (*acc)[0] += lo[0].x * d[0] + lo[1].x * d[1] + lo[2].x * d[2] + lo[3].x * d[3];
  (*acc)[1] += lo[0].y * d[0] + lo[1].y * d[1] + lo[2].y * d[2] + lo[3].y * d[3];
  (*acc)[2] += lo[0].z * d[0] + lo[1].z * d[1] + lo[2].z * d[2] + lo[3].z * d[3];
  (*acc)[3] += lo[0].w * d[0] + lo[1].w * d[1] + lo[2].w * d[2] + lo[3].w * d[3];
  (*acc)[4] += hi[0].x * d[0] + hi[1].x * d[1] + hi[2].x * d[2] + hi[3].x * d[3];
  (*acc)[5] += hi[0].y * d[0] + hi[1].y * d[1] + hi[2].y * d[2] + hi[3].y * d[3];
  (*acc)[6] += hi[0].z * d[0] + hi[1].z * d[1] + hi[2].z * d[2] + hi[3].z * d[3];
  (*acc)[7] += hi[0].w * d[0] + hi[1].w * d[1] + hi[2].w * d[2] + hi[3].w * d[3];
}

// Lanes l..l+3's v.
fn rows4(v: vec4f, slot: u32, l: u32) -> mat4x4f {
  return mat4x4f(sgRow(v, slot, l), sgRow(v, slot, l + 1u), sgRow(v, slot, l + 2u), sgRow(v, slot, l + 3u));
}

// Row block bi's tap and first x texel of its 8 ci within a pixel.
struct Block { kh: u32, kw: u32, c4: u32 }

fn block(bi: u32) -> Block {
  let t = bi / (u.CI / 8u);
  return Block(t / u.KW, t % u.KW, (bi % (u.CI / 8u)) * 2u);
}

// With SEGMENT_TILES (the Winograd weight gradient's products: a 1x1 geometry whose pixels are
// the tiles of u.K per slab), x is the forward's V, [slab][CI/4][tiles] (conv2d_winograd_input.wgsl
// TILES_INNER), not [pixel][CI/4].
override SEGMENT_TILES: bool = false;

// The two x texels (lo, hi) of block k for pixel px, zero in the padding or past the chunk;
// `first`: the first pixel of px's segment.
fn xPair(px: vec3u, ok: bool, k: Block, CI4: u32, first: u32) -> mat2x4f {
  if (SEGMENT_TILES) {
    let at = first * CI4 + (px.x - first) + k.c4 * u.K;
    let inside = select(0.0, 1.0, ok);
    return mat2x4f(texel(x, at) * inside, texel(x, at + u.K) * inside);
  }
  let tap = forwardTapAt(px, k.kh, k.kw, CI4);
  let inside = select(0.0, tap.inside, ok);
  return mat2x4f(texel(x, tap.base + k.c4) * inside, texel(x, tap.base + k.c4 + 1u) * inside);
}

// Rows of block bi (if it exists) of column vec4 n4 in split z.
fn store(z: u32, bi: u32, blocks: u32, n4: u32, CO4: u32, acc: ptr<function, array<vec4f, 8>>) {
  if (bi < blocks) {
    for (var i = 0u; i < 8u; i++) {
      y[(z * u.M + bi * 8u + i) * CO4 + n4] = (*acc)[i];
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, ids: SgIds) {
  let lane = sgInit(ids);
  let CI4 = u.CI / 4u;
  let CO4 = u.N / 4u;
  // The pixels come in segments of u.K, each summed into slabs of its own: one segment of all
  // batch * OH * OW pixels for a conv; the a^2 slabs of tiles for the Winograd weight gradient
  // (src/kernels/winograd_weight.ts), a 1x1 geometry of a^2 T pixels in segments of T.
  let pixels = u.batch * u.OH * u.OW;
  let P = u.K;
  let chunks = (P + u.kChunk - 1u) / u.kChunk;
  let blocks = u.M / 8u;
  // The groups down the workgroup take tasks in turn: task q is row unit (RB blocks) q % units
  // of pixel chunk (slab) q / units, so that few rows (an RGB layer's patches: one unit) or rows
  // that do not fill whole workgroups leave no group idle (src/kernels/sg_lanes.ts sgTaskGrid
  // mirrors this and sizes the grid). Lanes across are columns, as sgPlace lays them out.
  let col = sgPlace(wid, lid, lane, CO4).x;
  let sh = sgAcrossLog2(CO4);
  let units = (blocks + RB - 1u) / RB;
  let q = wid.z * (WG_Y >> sh) + (lid.y >> sh);
  let bi0 = (q % units) * RB;
  let z = q / units;
  let stores = z < (pixels / P) * chunks;
  // Out-of-range lanes run on clamped indices (every lane must take part in the share).
  let n4 = min(col, CO4 - 1u);
  let k0 = block(min(bi0, blocks - 1u));
  let k1 = block(min(bi0 + 1u, blocks - 1u));
  let k2 = block(min(bi0 + 2u, blocks - 1u));
  let k3 = block(min(bi0 + 3u, blocks - 1u));
  // Chunk z % chunks of segment z / chunks; chunks past the pixels (the last workgroup's spare
  // tasks) sum nothing.
  let first = (z / chunks) * P;
  let pBegin = first + (z % chunks) * u.kChunk;
  let pEnd = min(min(first + P, pixels), pBegin + u.kChunk);
  let last = max(pEnd, 1u) - 1u;
  var a0: array<vec4f, 8>;
  var a1: array<vec4f, 8>;
  var a2: array<vec4f, 8>;
  var a3: array<vec4f, 8>;
  // The lane's pixel as (b, oh, ow), stepped by SG_LANES without divides (gridAdvance); the
  // batch index is clamped so that lanes past the end still address a real pixel.
  var px = gridPixel(min(pBegin + lane, pixels - 1u), u.OH, u.OW);
  // A trip count the same for the whole workgroup (the emulated share's barriers need it).
  for (var i = 0u; i < u.kChunk; i += SG_LANES) {
    let p0 = pBegin + i;
    let ok = p0 + lane < pEnd;
    let x0 = xPair(px, ok, k0, CI4, first);
    let x1 = xPair(px, ok, k1, CI4, first);
    let x2 = xPair(px, ok, k2, CI4, first);
    let x3 = xPair(px, ok, k3, CI4, first);
    px = gridAdvance(px, SG_LANES, u.OH, u.OW, u.batch - 1u);
    sgPublish(x0[0], 0u);
    sgPublish(x0[1], 1u);
    sgPublish(x1[0], 2u);
    sgPublish(x1[1], 3u);
    sgPublish(x2[0], 4u);
    sgPublish(x2[1], 5u);
    sgPublish(x3[0], 6u);
    sgPublish(x3[1], 7u);
    for (var l = 0u; l < sgLanes(); l += 4u) {
      let d = mat4x4f(dzTexel(min(p0 + l, last), n4, CO4), dzTexel(min(p0 + l + 1u, last), n4, CO4),
        dzTexel(min(p0 + l + 2u, last), n4, CO4), dzTexel(min(p0 + l + 3u, last), n4, CO4));
      madd8x4(rows4(x0[0], 0u, l), rows4(x0[1], 1u, l), d, &a0);
      madd8x4(rows4(x1[0], 2u, l), rows4(x1[1], 3u, l), d, &a1);
      madd8x4(rows4(x2[0], 4u, l), rows4(x2[1], 5u, l), d, &a2);
      madd8x4(rows4(x3[0], 6u, l), rows4(x3[1], 7u, l), d, &a3);
    }
    sgRelease();
  }
  if (col >= CO4 || !stores) {
    return;
  }
  store(z, bi0, blocks, n4, CO4, &a0);
  store(z, bi0 + 1u, blocks, n4, CO4, &a1);
  store(z, bi0 + 2u, blocks, n4, CO4, &a2);
  store(z, bi0 + 3u, blocks, n4, CO4, &a3);
}
