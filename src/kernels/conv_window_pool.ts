// An RGB conv and the 2x2 max pool after it straight from the image (the window kernel,
// shaders/conv2d_window_pool.wgsl): one invocation per pool window computes the window's four
// cells for every output channel from its block of x, with the patch weights in workgroup
// memory, and writes y and the winners as the pooled patch product does
// (conv_patches_pool.ts), so the op's backward is the same. It builds no patch matrix: on
// lavapipe the from-scratch convnet's first conv + pool took 8.7-10.7 ms a call through the
// patches and the sg product against 3.3-3.5 ms this way (2026-12-06, ten calls per submit,
// same process). The weight gradient wants the patches anyway, so the plan runs this kernel
// where none is coming (conv_patches_pool.ts); the op's backward can still build them from x.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';
import { ACT_CODE, type Activation } from './activation.js';
import { patchWeight, type WindowRows, windowBlocksFit } from './conv_patches.js';
import type { ConvGeometry } from './conv_types.js';

const WG = 64;

/** Output channels at most: the weights fit workgroup memory and the generated body stays small. */
const MAX_CO = 64;

export interface WindowPoolParams {
  g: ConvGeometry;
  /** The patch weights' rows (conv_patches.ts patchWeight): the taps, the bias, zero rows. */
  patchWidth: number;
  act: Activation;
  rows: WindowRows;
}

/**
 * The shader's arithmetic for g, as straight-line WGSL: the block's floats f{r}_{j} (row r of
 * the (KH+1) x (KW+1) block, float j of its (KW+1)*CI), then per vec4 of output channels its
 * taps' weights and the four cells' sums, bias first, taps in patchWeight's row order.
 */
export function windowPoolBody(g: ConvGeometry): string {
  const K = g.KH * g.KW * g.CI;
  const CO4 = g.CO / 4;
  const out: string[] = [];
  for (let r = 0; r <= g.KH; r++) {
    out.push(`let row${r} = blockRow(((b * HC + oh + ${r}u) * WC + ow) * CIC);`);
    for (let j = 0; j < (g.KW + 1) * g.CI; j++) out.push(`let f${r}_${j} = pick(row${r}.v, ${j}u, row${r}.s);`);
  }
  for (let n4 = 0; n4 < CO4; n4++) {
    for (let t = 0; t <= K; t++) out.push(`let w${n4}_${t} = wsh[${t * CO4 + n4}u];`);
    const cells = [0, 1, 2, 3].map((k) => {
      const terms = [`w${n4}_${K}`];
      for (let t = 0; t < K; t++) {
        const kh = Math.floor(t / (g.CI * g.KW));
        const kw = Math.floor(t / g.CI) % g.KW;
        const ci = t % g.CI;
        terms.push(`f${(k >> 1) + kh}_${((k & 1) + kw) * g.CI + ci} * w${n4}_${t}`);
      }
      return `act4(${terms.join(' + ')})`;
    });
    out.push(`poolStore(i, ${n4}u, ${CO4}u, ${cells.join(', ')});`);
  }
  return out.join('\n  ');
}

// The bodies generated so far, by the shape they depend on: the dispatcher asks for the defines
// at every launch, and generating the body took about 0.25 ms of the JS thread each time.
const bodies = new Map<string, string>();

function cachedBody(g: ConvGeometry): string {
  const key = `${g.KH}x${g.KW}x${g.CI}x${g.CO}`;
  let body = bodies.get(key);
  if (body === undefined) {
    body = windowPoolBody(g);
    bodies.set(key, body);
  }
  return body;
}

export const windowPoolKernel: KernelSpec<WindowPoolParams> = {
  name: 'conv2d_window_pool',
  shader: 'conv2d_window_pool',
  bindings: ['read', 'read', 'read_write', 'read_write'],
  uniforms: [['n', 'u32']],
  workgroup: [WG, 1, 1],
  constants: ({ g, patchWidth, act, rows }) => ({
    ...{ HC: g.H, WC: g.W, CIC: g.CI, POOL_H: rows.PH, POOL_W: rows.PW },
    ...{ ACT: ACT_CODE[act], RELU_MASK: act === 'relu', WEIGHT_VECS: (patchWidth * g.CO) / 4 },
  }),
  defines: ({ g }) => ({ WINDOW_BODY: cachedBody(g) }),
  values: ({ rows }) => ({ n: rows.windows }),
  dispatch: ({ rows }) => grid1d(rows.windows, WG),
  flops: ({ g, rows }) => 2 * 4 * rows.windows * g.KH * g.KW * g.CI * g.CO,
};

/**
 * Whether the window kernel runs g's conv + 2x2 pool: g's blocks are what block_row.wgsl reads
 * (windowBlocksFit: 'valid', stride 1, x in whole vec4s, rows of at most 13 floats), the
 * activation is linear or relu, and at most MAX_CO output channels in vec4s.
 */
export function windowPoolFits(g: ConvGeometry, act: Activation): boolean {
  return windowBlocksFit(g) && act !== 'sigmoid' && g.CO % 4 === 0 && g.CO <= MAX_CO;
}

/**
 * maxPool(act(conv2d(x, w) + b), 2) by the window kernel: y [batch, PH, PW, CO] and the
 * winners [batch, PH, PW, CO/4], packed as the pool kernels keep them. Disposes nothing it was given.
 */
export function windowPoolForward(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  p: WindowPoolParams,
): { y: Tensor; codes: Tensor } {
  const { g, rows } = p;
  const wp = patchWeight(w, b, g, p.patchWidth);
  const y = Tensor.empty([g.batch, rows.PH, rows.PW, g.CO], 'float32', 'conv2d_maxpool');
  const codes = Tensor.empty([g.batch, rows.PH, rows.PW, g.CO / 4], 'uint32', 'conv2d_maxpool-argmax');
  dispatcher().launch(windowPoolKernel, p, [x.buffer, wp.buffer, y.buffer, codes.buffer]);
  wp.dispose();
  return { y, codes };
}
