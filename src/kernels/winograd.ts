// Winograd F(2x2, 3x3) forward convolution (Lavin & Gray 2015), the 'wino' conv variant for 3x3
// stride-1 convolutions on adapters where the sg kernels run (where legal and paying: plan_legal.ts).
// The output is cut into 2x2 tiles; per tile and channel the 3x3 correlation over a 4x4 input
// patch d becomes
//   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A,
// 16 multiplies instead of 36. Summed over channels, the elementwise products become 16
// independent matrix products M_e = V_e . U_e ([T, CI] x [CI, CO], T tiles), which carry all
// the arithmetic: 16/36 of the direct conv's multiply-adds for even output sizes (more for odd
// ones, whose last tile is half wasted). Four launches per forward, each reading its operands
// through textures (shaders/conv2d_winograd_*.wgsl):
//   weight: U [16][CI][CO] = G g G^T  (per call: weights change during training)
//   input:  V [16][T][CI]  = B^T d B  (zero outside the image)
//   gemm:   M [16][T][CO]  = V_e . U_e, one launch over the 16 slabs (grid z), as the sg kernel
//   output: y = act(A^T M A + bias), partial tiles clipped
// The price is memory: V and M are 4x the input and output (plus their texture copies).
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec, u32Uniforms } from '../gpu/program.js';
import { TEXTURE_WIDTH_LOG2 } from '../gpu/texture_pool.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import { Tensor } from '../tensor/tensor.js';
import { ACT_CODE, type Activation } from './activation.js';
import type { ConvGeometry } from './conv_types.js';
import { perShare, SG_WORKGROUP, type SgShare, sgDefines, sgWorkgroup } from './sg_lanes.js';

// The transform matrices, for the host reference below (the shaders spell them out).
export const WINO_BT = [
  [1, 0, -1, 0],
  [0, 1, 1, 0],
  [0, -1, 1, 0],
  [0, 1, 0, -1],
];
export const WINO_G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];
export const WINO_AT = [
  [1, 1, 1, 0],
  [0, 1, -1, -1],
];

export interface WinoPlan {
  g: ConvGeometry;
  /** Tiles per image down and across, and in all (batch * TH * TW). */
  TH: number;
  TW: number;
  T: number;
  /** Transformed elements per tile, each a slab of the batched product: 16 for F(2x2, 3x3). */
  slabs: number;
  bias: boolean;
  act: Activation;
  /** The output max-pooled 2x2 at stride 2 as it is stored (conv_pool.ts): y [batch, OH/2, OW/2, CO]. */
  pool: boolean;
  /** Staging precision of the texture operands (the kernel plan's). */
  precision: TexturePrecision;
}

export function planWinograd(
  g: ConvGeometry,
  bias = false,
  act: Activation = 'linear',
  precision: TexturePrecision = 'f32',
  pool = false,
): WinoPlan {
  const TH = Math.ceil(g.OH / 2);
  const TW = Math.ceil(g.OW / 2);
  return { g, TH, TW, T: g.batch * TH * TW, slabs: 16, bias, act, pool, precision };
}

const UNIFORMS = u32Uniforms(['T', 'TH', 'TW', 'H', 'W', 'CI', 'OH', 'OW', 'CO', 'PT', 'PL']);

const WG = 64;
const defines = () => ({ TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2) });
const values = (p: WinoPlan) => ({ ...p.g, T: p.T, TH: p.TH, TW: p.TW });
const staging = (p: WinoPlan) => p.precision;

/** One transform: one invocation per item, 1-D grid. */
function transform(
  name: string,
  bindings: KernelSpec<WinoPlan>['bindings'],
  items: (p: WinoPlan) => number,
  textureFloats: (p: WinoPlan) => number[],
  flopsPerItem: number,
  constants?: KernelSpec<WinoPlan>['constants'],
): KernelSpec<WinoPlan> {
  return {
    name,
    shader: name,
    bindings,
    uniforms: UNIFORMS,
    workgroup: [WG, 1, 1],
    defines,
    constants,
    values,
    textureFloats,
    staging,
    dispatch: (p) => grid1d(items(p), WG),
    flops: (p) => items(p) * flopsPerItem,
  };
}

export const winogradWeightKernel = transform(
  'conv2d_winograd_weight',
  ['texture', 'read_write'],
  (p) => p.g.CI * (p.g.CO / 4),
  (p) => [9 * p.g.CI * p.g.CO],
  4 * 28,
);

export const winogradInputKernel = transform(
  'conv2d_winograd_input',
  ['texture', 'read_write'],
  (p) => p.T * (p.g.CI / 4),
  (p) => [p.g.batch * p.g.H * p.g.W * p.g.CI],
  4 * 32,
);

export const winogradOutputKernel = transform(
  'conv2d_winograd_output',
  ['texture', 'read', 'read_write'],
  (p) => p.T * (p.g.CO / 4),
  (p) => [16 * p.T * p.g.CO],
  4 * 28,
  (p) => ({ HAS_BIAS: p.bias, ACT: ACT_CODE[p.act], POOL: p.pool }),
);

/**
 * The slabs' products (16 for F(2x2, 3x3)) in one launch, per share: L x 64/L workgroups, an
 * invocation owning L tiles x a vec4 of CO; z = slab.
 */
export const winogradGemmKernels = perShare((s) => gemmKernel(s));

/** The lavapipe specialisation (8-lane subgroups), whose flops the benches' ceilings read. */
export const winogradGemmKernel = winogradGemmKernels.of({ lanes: 8, via: 'subgroup', wide: false });

function gemmKernel(share: SgShare): KernelSpec<WinoPlan> {
  const specialised = { ...defines(), ...sgDefines(share) };
  return {
    name: 'conv2d_winograd_gemm',
    shader: 'conv2d_winograd_gemm',
    bindings: ['texture', 'texture', 'read_write'],
    uniforms: UNIFORMS,
    workgroup: sgWorkgroup(share),
    defines: () => specialised,
    values,
    staging,
    textureFloats: (p) => [p.slabs * p.T * p.g.CI, p.slabs * p.g.CI * p.g.CO],
    dispatch: (p) => {
      // The shader's rule: its 64/L groups sit gx across CO (the fewest that cover it, a power of
      // two) and the rest down T, each group owning 4 blocks of L rows.
      const CO4 = p.g.CO / 4;
      let gx = SG_WORKGROUP / share.lanes;
      while (gx > 1 && share.lanes * (gx / 2) >= CO4) gx /= 2;
      return [Math.ceil(CO4 / (share.lanes * gx)), Math.ceil(p.T / ((4 * SG_WORKGROUP) / gx)), p.slabs];
    },
    flops: (p) => 2 * p.slabs * p.T * p.g.CI * p.g.CO,
  };
}

/**
 * y = act(conv2d(x, w) + b) by Winograd F(2x2, 3x3), on a geometry the planner found it legal for;
 * with `pool`, y max-pooled 2x2 at stride 2 (conv_pool.ts).
 */
export function winogradForward(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation,
  precision: TexturePrecision,
  share: SgShare,
  pool = false,
): Tensor {
  const p = planWinograd(g, !!b, act, precision, pool);
  const d = dispatcher();
  const u = Tensor.empty([16, g.CI, g.CO], 'float32', 'winograd U');
  d.launch(winogradWeightKernel, p, [w.buffer, u.buffer]);
  const v = Tensor.empty([16, p.T, g.CI], 'float32', 'winograd V');
  d.launch(winogradInputKernel, p, [x.buffer, v.buffer]);
  const m = Tensor.empty([16, p.T, g.CO], 'float32', 'winograd M');
  d.launch(winogradGemmKernels.of(share), p, [v.buffer, u.buffer, m.buffer]);
  // Safe to recycle now: a later writer of these buffers is encoded after the launches above.
  u.dispose();
  v.dispose();
  const shape = pool ? [g.batch, Math.floor(g.OH / 2), Math.floor(g.OW / 2), g.CO] : [g.batch, g.OH, g.OW, g.CO];
  const y = Tensor.empty(shape, 'float32', pool ? 'conv2d_maxpool' : 'conv2d_forward');
  // The bias binding is unread without a bias (HAS_BIAS off); x's buffer fills it.
  d.launch(winogradOutputKernel, p, [m.buffer, (b ?? x).buffer, y.buffer]);
  m.dispose();
  return y;
}

/**
 * maxPool2d(act(conv2d(x, w) + b), 2) by Winograd F(tile x tile, 3x3): the output transform
 * stores each 2x2 block's maximum, y [batch, OH/2, OW/2, CO] (conv_pool.ts; tile 2 here).
 */
export function winogradConvPooled(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  tile: number,
  act: Activation,
  precision: TexturePrecision,
  share: SgShare,
): Tensor {
  if (tile !== 2) throw new Error(`dawnflow: no Winograd F(${tile}x${tile}, 3x3) to pool`);
  return winogradForward(x, w, b, g, act, precision, share, true);
}

// --- host reference -----------------------------------------------------------------------

/**
 * The same algorithm in float64 on the host, with the same tiling and layouts as the kernels
 * (x NHWC, w HWIO, no bias or activation): a check of the matrices and of the tile and padding
 * arithmetic independent of the GPU.
 */
export function winogradHost(x: Float64Array, w: Float64Array, g: ConvGeometry): Float64Array {
  const { TH, TW } = planWinograd(g);
  const y = new Float64Array(g.batch * g.OH * g.OW * g.CO);
  const mul = (a: number[][], bm: number[][]) =>
    a.map((r) => bm[0].map((_, j) => r.reduce((s, v, k) => s + v * bm[k][j], 0)));
  const tr = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
  const B = tr(WINO_BT);
  const GT = tr(WINO_G);
  const A = tr(WINO_AT);
  // U[ci][co] = G g G^T
  const U: number[][][][] = [];
  for (let ci = 0; ci < g.CI; ci++) {
    U.push([]);
    for (let co = 0; co < g.CO; co++) {
      const k = [0, 1, 2].map((kh) => [0, 1, 2].map((kw) => w[((kh * 3 + kw) * g.CI + ci) * g.CO + co]));
      U[ci].push(mul(mul(WINO_G, k), GT));
    }
  }
  for (let n = 0; n < g.batch; n++)
    for (let ty = 0; ty < TH; ty++)
      for (let tx = 0; tx < TW; tx++) {
        const M = Array.from({ length: g.CO }, () => [0, 1, 2, 3].map(() => [0, 0, 0, 0]));
        for (let ci = 0; ci < g.CI; ci++) {
          const d = [0, 1, 2, 3].map((r) =>
            [0, 1, 2, 3].map((c) => {
              const ih = 2 * ty - g.PT + r;
              const iw = 2 * tx - g.PL + c;
              return ih < 0 || iw < 0 || ih >= g.H || iw >= g.W ? 0 : x[((n * g.H + ih) * g.W + iw) * g.CI + ci];
            }),
          );
          const V = mul(mul(WINO_BT, d), B);
          for (let co = 0; co < g.CO; co++) {
            for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) M[co][i][j] += V[i][j] * U[ci][co][i][j];
          }
        }
        for (let co = 0; co < g.CO; co++) {
          const Y = mul(mul(WINO_AT, M[co]), A);
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++) {
              const oh = 2 * ty + i;
              const ow = 2 * tx + j;
              if (oh < g.OH && ow < g.OW) y[((n * g.OH + oh) * g.OW + ow) * g.CO + co] = Y[i][j];
            }
        }
      }
  return y;
}
