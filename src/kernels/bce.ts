// The binary cross-entropy kernel (shaders/bce.wgsl, both branches of TF 1.15/2.0's
// tf.keras.backend.binary_crossentropy) and its raw launchers, which record no gradient: the
// per-element loss, or its gradient scaled by the upstream g. The loss op (the mean, with its
// backward) is src/ops/losses.ts; which branch a model takes is src/nn/loss.ts.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { Tensor } from '../tensor/tensor.js';

/** Keras's K.epsilon(): the clip bound and the term added inside the logs (as f32 on the GPU). */
export const EPSILON = 1e-7;

interface BceParams {
  n: number;
  fromLogits: boolean;
  backward: boolean;
}

const WG = 256;

export const bceKernel: KernelSpec<BceParams> = {
  name: 'bce',
  shader: 'bce',
  bindings: ['read', 'read', 'read', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['eps', 'f32'],
    ['invCount', 'f32'],
  ],
  workgroup: [WG, 1, 1],
  constants: (p) => ({ FROM_LOGITS: p.fromLogits, BACKWARD: p.backward }),
  values: (p) => ({ n: p.n, eps: EPSILON, invCount: 1 / p.n }),
  dispatch: (p) => grid1d(p.n, WG),
  flops: (p) => 8 * p.n,
};

/** The loss of each element of `pred` (probabilities or logits) against `target`. */
export function bceRaw(target: Tensor, pred: Tensor, fromLogits: boolean): Tensor {
  const out = Tensor.empty(pred.shape, 'float32', 'bce');
  const p = { n: pred.size, fromLogits, backward: false };
  dispatcher().launch(bceKernel, p, [pred.buffer, target.buffer, pred.buffer, out.buffer]);
  return out;
}

/** d(mean loss)/d pred times the upstream scalar gradient g. */
export function bceGradRaw(target: Tensor, pred: Tensor, g: Tensor, fromLogits: boolean): Tensor {
  const dp = Tensor.empty(pred.shape, 'float32', 'bce-grad');
  const p = { n: pred.size, fromLogits, backward: true };
  dispatcher().launch(bceKernel, p, [pred.buffer, target.buffer, g.buffer, dp.buffer]);
  return dp;
}
