// The dropout kernel (shaders/dropout_forward.wgsl) and its raw launcher, which records no
// gradient: Keras's inverted dropout with the mask drawn by a seeded hash on the GPU. The op and
// its backward (dx = dy * mask) are in src/ops/dropout.ts.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';

interface DropoutParams {
  n: number;
  seed: number;
  rate: number;
}

const WG = 256;

export const dropoutKernel: KernelSpec<DropoutParams> = {
  name: 'dropout_forward',
  shader: 'dropout_forward',
  bindings: ['read', 'read_write', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['seed', 'u32'],
    ['rate', 'f32'],
    ['scale', 'f32'],
  ],
  workgroup: [WG, 1, 1],
  values: (p) => ({ n: p.n, seed: p.seed, rate: p.rate, scale: 1 / (1 - p.rate) }),
  dispatch: (p) => grid1d(p.n, WG),
  flops: (p) => p.n,
};

/** The forward kernel alone: y and the mask of factors (0 or 1/(1-rate)). */
export function dropoutRaw(x: Tensor, rate: number, seed: number): { y: Tensor; mask: Tensor } {
  const y = Tensor.empty(x.shape, 'float32', 'dropout');
  const mask = Tensor.empty(x.shape, 'float32', 'dropout-mask');
  dispatcher().launch(dropoutKernel, { n: x.size, seed, rate }, [x.buffer, y.buffer, mask.buffer]);
  return { y, mask };
}
