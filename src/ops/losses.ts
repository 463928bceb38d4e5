// Keras's binary_crossentropy: the mean over all elements of the per-element loss (per sample
// Keras averages the last axis, then the batch; with equal sizes that is the overall mean).
// Kernel: shaders/bce.wgsl (forward per element, or the gradient scaled by the upstream g).
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { record } from '../autograd/engine.js';
import { Tensor, reshapeOwned } from '../tensor/tensor.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { reduceMiddle } from '../kernels/reduce.js';

/** Keras's K.epsilon(). */
export const EPSILON = 1e-7;

interface BceParams { n: number; fromLogits: boolean; backward: boolean }

const WG = 256;

export const bceKernel: KernelSpec<BceParams> = {
  name: 'bce', shader: 'bce',
  bindings: ['read', 'read', 'read', 'read_write'],
  uniforms: [['n', 'u32'], ['eps', 'f32'], ['invCount', 'f32']],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ FROM_LOGITS: p.fromLogits, BACKWARD: p.backward }),
  values: (p) => ({ n: p.n, eps: EPSILON, invCount: 1 / p.n }),
  dispatch: (p) => grid1d(p.n, WG),
  flops: (p) => 8 * p.n,
};

export interface BceOptions { fromLogits?: boolean }

/** Mean binary cross-entropy of predictions `pred` (probabilities or logits) against `target`. */
export function binaryCrossentropy(target: Tensor, pred: Tensor, o: BceOptions = {}): Tensor {
  if (!sameShape(target.shape, pred.shape)) {
    throw new Error(`dawnflow: binary_crossentropy target ${fmt(target.shape)} and output ${fmt(pred.shape)} differ`);
  }
  if (pred.size === 0) throw new Error('dawnflow: binary_crossentropy of an empty batch');
  const fromLogits = o.fromLogits ?? false;
  const n = pred.size;
  const perElement = Tensor.empty(pred.shape, 'float32', 'bce');
  const d = dispatcher();
  d.launch(bceKernel, { n, fromLogits, backward: false }, [pred.buffer, target.buffer, pred.buffer, perElement.buffer]);
  const loss = reshapeOwned(reduceMiddle(perElement, 1, n, 1, 1 / n), []);
  perElement.dispose();
  return record(loss, 'binaryCrossentropy', [target, pred], (g, needs) => {
    if (needs[0]) throw new Error('dawnflow: binary_crossentropy has no gradient w.r.t. the target');
    const dp = Tensor.empty(pred.shape, 'float32', 'bce-grad');
    d.launch(bceKernel, { n, fromLogits, backward: true }, [pred.buffer, target.buffer, g.buffer, dp.buffer]);
    return [null, dp];
  });
}
