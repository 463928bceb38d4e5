// The softmax kernel over the last axis (shaders/softmax.wgsl, one invocation per row) and its
// raw launchers, which record no gradient; the op is src/ops/softmax.ts.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';

interface SoftmaxParams {
  rows: number;
  C: number;
  backward: boolean;
}

const WG = 64;

export const softmaxKernel: KernelSpec<SoftmaxParams> = {
  name: 'softmax',
  shader: 'softmax',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [
    ['rows', 'u32'],
    ['C', 'u32'],
  ],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ BACKWARD: p.backward }),
  values: (p) => ({ rows: p.rows, C: p.C }),
  dispatch: (p) => grid1d(p.rows, WG),
  flops: (p) => 4 * p.rows * p.C,
};

/** [rows, C] of a tensor whose last axis is C. */
function rowsOf(t: Tensor): { rows: number; C: number } {
  const C = t.shape[t.rank - 1];
  return { rows: t.size / C, C };
}

/** softmax(x) over the last axis. */
export function softmaxRaw(x: Tensor): Tensor {
  const y = Tensor.empty(x.shape, 'float32', 'softmax');
  dispatcher().launch(softmaxKernel, { ...rowsOf(x), backward: false }, [x.buffer, x.buffer, y.buffer]);
  return y;
}

/** dx = y * (g - sum(g * y)) per row, from the forward's output y and the upstream g. */
export function softmaxBackwardRaw(y: Tensor, g: Tensor): Tensor {
  const dx = Tensor.empty(y.shape, 'float32', 'softmax-grad');
  dispatcher().launch(softmaxKernel, { ...rowsOf(y), backward: true }, [y.buffer, g.buffer, dx.buffer]);
  return dx;
}
