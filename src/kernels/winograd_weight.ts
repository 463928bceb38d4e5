// The weight gradient of a 3x3 stride-1 conv by Winograd F(m x m, 3x3), the 'wino' and 'wino4'
// variants of backward_weight. The forward is linear in the kernel g,
//   Y = A^T [ (G g G^T) ⊙ V ] A,  V = B^T d B,
// so per tile dL/dg = G^T [ V ⊙ (A dY A^T) ] G, and summed over tiles and pixels of a batch
//   dw[ci, co] = G^T [ sum_t V_t[ci] ⊙ D_t[co] ] G,  D = A dY A^T,
// a^2 independent products dU_e = V_e^T . D_e ([CI, T] x [T, CO]) carrying the arithmetic:
// a^2 / (9 m^2) of the direct weight gradient's multiply-adds (16/36 for m = 2, 36/144 for
// m = 4, when m divides the output). Four launches:
//   input: V [a^2][CI/4][T] = B^T d B   (the forward's input transform; vec4s of 4 channels)
//   grad:  D [a^2][T][CO] = A dY A^T  (the input shader on dY, its body generated from A)
//   gemm:  dU [a^2][S][CI][CO], the sg weight gradient on the 1x1 geometry of a^2 T pixels in
//          segments of T (one per slab), each split in S chunks as a conv's pixels are
//   out:   dw [3][3][CI][CO] = G^T (sum of the S chunks) G
// (shaders/conv2d_winograd_input.wgsl, conv2d_backward_weight_sg.wgsl,
// conv2d_winograd_weight_grad.wgsl). The transforms come from winograd.ts's matrices.
import { dispatcher } from '../gpu/engine.js';
import type { KernelSpec } from '../gpu/program.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import { reduceMiddle } from './reduce.js';
import { sgBackwardWeightKernels } from './conv_tex.js';
import type { ConvGeometry } from './conv_types.js';
import { planTexWeight } from './plan_split.js';
import type { SgShare } from './sg_lanes.js';
import {
  launchImageTransform,
  type PooledGrad,
  planWinograd,
  pooledSourceKernel,
  transform,
  transformOf,
  type WinoPlan,
  type WinoTile,
  winogradInputKernel,
} from './winograd.js';

/** D = A dY A^T per m x m tile of dY: the input transform's shader and layout, on dY as its image. */
export const winogradGradKernel: KernelSpec<WinoPlan> = {
  ...winogradInputKernel,
  // D [a^2][T][CO/4]: the product reads it by pixel (tile), each lane its own channel group.
  constants: (p) => ({ ...winogradInputKernel.constants!(p), TILES_INNER: false }),
  name: 'conv2d_winograd_grad',
  defines: (p) => transformOf(p.tile, 'grad').defines,
  flops: (p) => 4 * p.T * (p.g.CI / 4) * transformOf(p.tile, 'grad').ops,
};

/** D from a fused pool's gradient and winners (PooledGrad) instead of dY. */
export const winogradGradPooledKernel = pooledSourceKernel(winogradGradKernel, 'grad');

/** dw = G^T dU G, summing dU's chunks; the plan's T is the chunk count S (the shader says so). */
export const winogradWeightGradKernel: KernelSpec<WinoPlan> = {
  ...transform(
    'weightGrad',
    ['read', 'read_write'],
    (p) => (p.g.CI * p.g.CO) / 4,
    () => [],
    (p) => ({ CHUNKS: p.T }),
  ),
  name: 'conv2d_winograd_weight_grad',
  shader: 'conv2d_winograd_weight_grad',
};

/** The 1x1 geometry of the slabs' products: a^2 T pixels of CI channels in, CO out. */
function productGeometry(p: WinoPlan): ConvGeometry {
  const { CI, CO } = p.g;
  return { batch: p.slabs * p.T, H: 1, W: 1, CI, OH: 1, OW: 1, CO, KH: 1, KW: 1, SH: 1, SW: 1, PT: 0, PL: 0 };
}

/** The chunks each slab's T tiles are summed in (as a conv's pixels: planTexWeight). */
export function winogradWeightChunks(p: WinoPlan, maxBinding: number): { S: number; chunk: number } {
  return planTexWeight({ ...productGeometry(p), batch: p.T }, maxBinding, p.slabs);
}

/** How the Winograd weight gradient runs (winogradWeightGrads). */
export interface WinoWeightOptions {
  tile: WinoTile;
  precision: TexturePrecision;
  share: SgShare;
  /** x's transform, kept by the forward (winogradConv with keep, same tile); disposed here. */
  saved: Tensor | null;
  /**
   * Also db [CO], the sum of dz over the pixels. Column 1 of A^T is all ones (both tile sizes),
   * so element (1, 1) of a tile's A dY A^T is the sum of its m x m values of dY: db sums slab
   * a + 1 of D, T rows instead of the m^2 T pixels of dz.
   */
  bias: boolean;
}

/**
 * dw [3, 3, CI, CO] (and db where asked) of the 3x3 stride-1 conv g, from x and dz (the gradient
 * of its linear output, or a fused pool's gradient that stands for it: PooledGrad).
 */
export function winogradWeightGrads(
  x: Tensor,
  dz: Tensor | PooledGrad,
  g: ConvGeometry,
  o: WinoWeightOptions,
): { dw: Tensor; db: Tensor | null } {
  const d = dispatcher();
  const { tile, precision } = o;
  const p = planWinograd(g, { tile, precision });
  let v = o.saved;
  if (!v) {
    v = Tensor.empty([p.slabs, g.CI / 4, p.T, 4], 'float32', 'winograd V');
    d.launch(winogradInputKernel, p, [x.buffer, v.buffer]);
  }
  // dY's tiles are the output's: its image is OH x OW of CO channels, unpadded.
  const pd = planWinograd({ ...g, H: g.OH, W: g.OW, CI: g.CO, PT: 0, PL: 0 }, { tile, precision });
  const dt = Tensor.empty([p.slabs, p.T, g.CO], 'float32', 'winograd D');
  launchImageTransform(winogradGradKernel, winogradGradPooledKernel, pd, dz, dt);
  const db = o.bias ? tileSums(dt, p, g.CO) : null;
  const { S, chunk } = winogradWeightChunks(p, d.maxBinding);
  const du = Tensor.empty([p.slabs * S, g.CI, g.CO], 'float32', 'winograd dU');
  const product = { g: productGeometry(p), precision, S: p.slabs * S, chunk, segment: p.T };
  d.launch(sgBackwardWeightKernels.of(o.share), product, [v.buffer, dt.buffer, du.buffer]);
  v.dispose();
  dt.dispose();
  const dw = Tensor.empty([3, 3, g.CI, g.CO], 'float32', 'conv2d_backward_weight');
  d.launch(winogradWeightGradKernel, { ...p, T: S }, [du.buffer, dw.buffer]);
  du.dispose();
  return { dw, db };
}

/** db [CO]: the column sums of D's slab a + 1, each tile's sum of dY (WinoWeightOptions.bias). */
function tileSums(dt: Tensor, p: WinoPlan, CO: number): Tensor {
  const a = p.tile + 2;
  const plane = Tensor.empty([p.T, CO], 'float32', 'winograd dY sums');
  dispatcher().copy(dt.buffer, plane.buffer, p.T * CO * 4, (a + 1) * p.T * CO * 4);
  const db = reshapeOwned(reduceMiddle(plane, 1, p.T, CO), [CO]);
  plane.dispose();
  return db;
}
