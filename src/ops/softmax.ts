// Softmax over the last axis (Keras's softmax activation), forward and backward.
// Kernel: shaders/softmax.wgsl, one invocation per row.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';

interface SoftmaxParams { rows: number; C: number; backward: boolean }

const WG = 64;

export const softmaxKernel: KernelSpec<SoftmaxParams> = {
  name: 'softmax', shader: 'softmax',
  bindings: ['read', 'read', 'read_write'],
  uniforms: [['rows', 'u32'], ['C', 'u32']],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ BACKWARD: p.backward }),
  values: (p) => ({ rows: p.rows, C: p.C }),
  dispatch: (p) => grid1d(p.rows, WG),
  flops: (p) => 4 * p.rows * p.C,
};

export function softmax(x: Tensor): Tensor {
  if (x.rank < 1 || x.size === 0) throw new Error(`dawnflow: softmax needs a non-empty tensor, got ${x.describe()}`);
  const C = x.shape[x.rank - 1];
  const rows = x.size / C;
  const y = Tensor.empty(x.shape, 'float32', 'softmax');
  const d = dispatcher();
  d.launch(softmaxKernel, { rows, C, backward: false }, [x.buffer, x.buffer, y.buffer]);
  return record(y, 'softmax', [x], (g) => {
    const dx = Tensor.empty(x.shape, 'float32', 'softmax-grad');
    d.launch(softmaxKernel, { rows, C, backward: true }, [y.buffer, g.buffer, dx.buffer]);
    return [dx];
  });
}
