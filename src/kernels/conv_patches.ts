// The patch matrix of a convolution with few input channels (shaders/conv2d_patches.wgsl): the
// layer then runs as a 1x1 convolution of PW channels, whose weight is the kernel's rows, the
// bias and zero rows (patchWeight), and whose weight gradient holds dw and db (splitPatchGrad).
// The planner decides where it pays (plan.ts patchColumns); the op is src/ops/conv_patches.ts.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { GEMM_UNIFORMS } from './gemm.js';
import { Tensor } from '../tensor/tensor.js';
import { CONV_GEOMETRY_UNIFORMS, type ConvGeometry } from './conv_types.js';
import { padAxisRaw } from './pad_axis.js';

const WG = 64;

interface PatchParams {
  g: ConvGeometry;
  PW: number;
  /** Rows in window order of the 2x2 pool that follows (windowRows), for groups of `lanes`. */
  pooled?: WindowRows;
  /** With pooled: laid out [PW/4][rows] vec4s (patchesRaw). */
  channelsOuter?: boolean;
}

/**
 * The rows of a patch matrix in window order (conv2d_patches.wgsl, POOLED): the windows of the
 * 2x2 max pool of the conv's output, in groups of `lanes` (the pooled sg forward's), four rows
 * (cells) per window; the last group padded with zero rows.
 */
export interface WindowRows {
  lanes: number;
  /** The pooled map's height and width (the conv output's halves, rounded down). */
  PH: number;
  PW: number;
  windows: number;
  rows: number;
}

export function windowRows(g: ConvGeometry, lanes: number): WindowRows {
  const PH = Math.floor(g.OH / 2);
  const PW = Math.floor(g.OW / 2);
  const windows = g.batch * PH * PW;
  return { lanes, PH, PW, windows, rows: 4 * lanes * Math.ceil(windows / lanes) };
}

export const patchesKernel: KernelSpec<PatchParams> = {
  name: 'conv2d_patches',
  shader: 'conv2d_patches',
  bindings: ['read', 'read_write'],
  uniforms: [...GEMM_UNIFORMS, ...CONV_GEOMETRY_UNIFORMS],
  workgroup: [WG, 1, 1],
  constants: ({ g, PW, pooled, channelsOuter }) => ({
    ...{ CIC: g.CI, KHC: g.KH, KWC: g.KW, PWC: PW, HC: g.H, WC: g.W, OHC: g.OH, OWC: g.OW },
    ...{ SHC: g.SH, SWC: g.SW, PTC: g.PT, PLC: g.PL },
    ...(pooled && { POOLED: true, LANES: pooled.lanes, POOL_H: pooled.PH, POOL_W: pooled.PW, BATCHC: g.batch }),
    ...(pooled && { CHANNELS_OUTER: !!channelsOuter }),
  }),
  values: (p) => ({ M: rows(p), N: p.PW, K: 0, kChunk: 0, ...p.g }),
  dispatch: (p) => grid1d(rows(p), WG),
};

/**
 * The window-order patch matrix read a window's block of x at a time (conv2d_patches_windows.wgsl):
 * a 'valid' stride-1 conv whose block rows fit four vec4s, on an x of whole vec4s.
 */
export const patchWindowsKernel: KernelSpec<PatchParams & { pooled: WindowRows }> = {
  name: 'conv2d_patches_windows',
  shader: 'conv2d_patches_windows',
  bindings: ['read', 'read_write'],
  uniforms: [['n', 'u32']],
  workgroup: [WG, 1, 1],
  constants: ({ g, PW, pooled, channelsOuter }) => ({
    ...{ CIC: g.CI, KHC: g.KH, KWC: g.KW, PWC: PW, HC: g.H, WC: g.W },
    ...{ LANES: pooled.lanes, POOL_H: pooled.PH, POOL_W: pooled.PW, BATCHC: g.batch },
    CHANNELS_OUTER: !!channelsOuter,
  }),
  values: ({ pooled }) => ({ n: pooled.rows / 4 }),
  dispatch: ({ pooled }) => grid1d(pooled.rows / 4, WG),
};

/** Whether patchWindowsKernel builds g's window-order patches (see there). */
export function windowBlocksFit(g: ConvGeometry): boolean {
  const valid = g.PT === 0 && g.PL === 0 && g.OH === g.H - g.KH + 1 && g.OW === g.W - g.KW + 1;
  const stride1 = g.SH === 1 && g.SW === 1;
  const whole = (g.batch * g.H * g.W * g.CI) % 4 === 0;
  return valid && stride1 && whole && g.KH <= 3 && (g.KW + 1) * g.CI <= 13;
}

function rows(p: PatchParams): number {
  return p.pooled?.rows ?? p.g.batch * p.g.OH * p.g.OW;
}

/** The 1x1 geometry the patch matrix is convolved as: PW channels in, the layer's pixels out. */
export function patchGeometry(g: ConvGeometry, PW: number): ConvGeometry {
  return {
    batch: g.batch,
    H: g.OH,
    W: g.OW,
    CI: PW,
    OH: g.OH,
    OW: g.OW,
    CO: g.CO,
    KH: 1,
    KW: 1,
    SH: 1,
    SW: 1,
    PT: 0,
    PL: 0,
  };
}

/**
 * x's patch matrix [batch, OH, OW, PW], or with `pooled` [pooled.rows, PW] in window order; with
 * `channelsOuter` as well, [PW/4, pooled.rows, 4]: a vec4 of columns for every row, then the
 * next (the sg kernels' lanes each read one row: neighbouring texels, two cache lines per fetch
 * of eight lanes instead of eight; the from-scratch convnet's pooled RGB forward ran about 17 %
 * faster on lavapipe).
 */
export function patchesRaw(x: Tensor, g: ConvGeometry, PW: number, pooled?: WindowRows, channelsOuter = false): Tensor {
  if (channelsOuter && !pooled) throw new Error('dawnflow: channel-outer patches are window-order ones');
  const shape = !pooled ? [g.batch, g.OH, g.OW, PW] : channelsOuter ? [PW / 4, pooled.rows, 4] : [pooled.rows, PW];
  const out = Tensor.empty(shape, 'float32', 'conv2d_patches');
  const p = { g, PW, pooled, channelsOuter };
  if (pooled && windowBlocksFit(g)) {
    dispatcher().launch(patchWindowsKernel, { ...p, pooled }, [x.buffer, out.buffer]);
  } else {
    dispatcher().launch(patchesKernel, p, [x.buffer, out.buffer]);
  }
  return out;
}

/** The geometry of a patch product over `rows` rows of no spatial layout (the window order's). */
export function rowsGeometry(g: ConvGeometry, rows: number): ConvGeometry {
  return { ...g, batch: rows, OH: 1, OW: 1 };
}

interface RowsBackwardParams {
  w: WindowRows;
  C: number;
}

/**
 * dz of the pooled patch product in the patch rows' window order, from dy (the pooled map's)
 * and the winners its forward kept: shaders/maxpool2d_rows_backward.wgsl.
 */
export const poolRowsBackwardKernel: KernelSpec<RowsBackwardParams> = {
  name: 'maxpool2d_rows_backward',
  shader: 'maxpool2d_rows_backward',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [['n', 'u32']],
  workgroup: [WG, 1, 1],
  constants: ({ w, C }) => ({ CV: C / 4, LANES: w.lanes, WINDOWS: w.windows }),
  values: ({ w, C }) => ({ n: (w.rows / 4) * (C / 4) }),
  dispatch: ({ w, C }) => grid1d((w.rows / 4) * (C / 4), WG),
};

/** dz [rows, C] in window order from dy [batch, PH, PW, C] and the winners; disposes nothing. */
export function poolRowsBackward(dy: Tensor, codes: Tensor, w: WindowRows): Tensor {
  const C = dy.shape[3];
  const dz = Tensor.empty([w.rows, C], 'float32', 'maxpool2d_rows_backward');
  dispatcher().launch(poolRowsBackwardKernel, { w, C }, [dy.buffer, codes.buffer, dz.buffer]);
  return dz;
}

/** The patch conv's weight [1, 1, PW, CO]: w's KH*KW*CI rows, then b (zeros without one), then zeros. */
export function patchWeight(w: Tensor, b: Tensor | null, g: ConvGeometry, PW: number): Tensor {
  const K = g.KH * g.KW * g.CI;
  const rowsView = w.view([K, g.CO]);
  const padded = padAxisRaw(rowsView, 0, PW);
  rowsView.dispose();
  if (b) dispatcher().copy(b.buffer, padded.buffer, g.CO * 4, 0, K * g.CO * 4);
  const out = padded.view([1, 1, PW, g.CO]);
  padded.dispose();
  return out;
}

/** dw [KH, KW, CI, CO] and db [CO] out of the patch conv's weight gradient [1, 1, PW, CO] (disposed). */
export function splitPatchGrad(dwp: Tensor, g: ConvGeometry): { dw: Tensor; db: Tensor } {
  const K = g.KH * g.KW * g.CI;
  const dw = Tensor.empty([g.KH, g.KW, g.CI, g.CO], 'float32', 'conv2d_backward_weight');
  const db = Tensor.empty([g.CO], 'float32', 'conv2d_backward_bias');
  dispatcher().copy(dwp.buffer, dw.buffer, K * g.CO * 4);
  dispatcher().copy(dwp.buffer, db.buffer, g.CO * 4, K * g.CO * 4);
  dwp.dispose();
  return { dw, db };
}
