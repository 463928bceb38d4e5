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
}

export const patchesKernel: KernelSpec<PatchParams> = {
  name: 'conv2d_patches',
  shader: 'conv2d_patches',
  bindings: ['read', 'read_write'],
  uniforms: [...GEMM_UNIFORMS, ...CONV_GEOMETRY_UNIFORMS],
  workgroup: [WG, 1, 1],
  constants: ({ g, PW }) => ({
    ...{ CIC: g.CI, KHC: g.KH, KWC: g.KW, PWC: PW, HC: g.H, WC: g.W, OHC: g.OH, OWC: g.OW },
    ...{ SHC: g.SH, SWC: g.SW, PTC: g.PT, PLC: g.PL },
  }),
  values: (p) => ({ M: rows(p.g), N: p.PW, K: 0, kChunk: 0, ...p.g }),
  dispatch: (p) => grid1d(rows(p.g), WG),
};

function rows(g: ConvGeometry): number {
  return g.batch * g.OH * g.OW;
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

/** x's patch matrix [batch, OH, OW, PW]. */
export function patchesRaw(x: Tensor, g: ConvGeometry, PW: number): Tensor {
  const out = Tensor.empty([g.batch, g.OH, g.OW, PW], 'float32', 'conv2d_patches');
  dispatcher().launch(patchesKernel, { g, PW }, [x.buffer, out.buffer]);
  return out;
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
