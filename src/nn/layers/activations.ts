// Activations the engine's kernels fuse or run: Keras names, applied with autograd.
import type { Tensor } from '../../tensor/tensor.js';
import { relu, sigmoid } from '../../ops/elementwise.js';
import type { Activation } from '../../kernels/activation.js';
import { softmax } from '../../ops/softmax.js';

/** Keras activation names the layers accept: the fused ones plus softmax (VGG16's top). */
export type ActivationName = Activation | 'softmax';
export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'softmax'];

export function checkActivation(a: string | null | undefined, layer: string): ActivationName {
  const name = a ?? 'linear';
  if (!(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new Error(`dawnflow: ${layer}: activation '${name}' is not supported (use ${ACTIVATIONS.join(', ')})`);
  }
  return name as ActivationName;
}

export function applyActivation(x: Tensor, a: ActivationName): Tensor {
  if (a === 'softmax') return softmax(x);
  if (a === 'relu') return relu(x);
  if (a === 'sigmoid') return sigmoid(x);
  return x;
}

/** Keras's serialised initializers (2.3: glorot_uniform is a VarianceScaling instance). */
export const GLOROT_UNIFORM_CONFIG = {
  class_name: 'VarianceScaling',
  config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null },
};
/** keras.initializers.he_uniform() as Keras 2.3 serialises it. */
export const HE_UNIFORM_CONFIG = {
  class_name: 'VarianceScaling',
  config: { scale: 2.0, mode: 'fan_in', distribution: 'uniform', seed: null },
};
export const ZEROS_CONFIG = { class_name: 'Zeros', config: {} };

/** The activation a layer applies in this call: none for a final sigmoid when logits are asked for. */
export function callActivation(a: ActivationName, o: { logits?: boolean }): ActivationName {
  return o.logits && a === 'sigmoid' ? 'linear' : a;
}

/** Splits an activation into the part a GEMM kernel fuses and the part applied after it. */
export function fusedPart(a: ActivationName): { fused: Activation; after: ActivationName | null } {
  return a === 'softmax' ? { fused: 'linear', after: 'softmax' } : { fused: a, after: null };
}

/** Runs a kernel with the part of this call's activation it fuses, then applies the rest. */
export function withActivation(a: ActivationName, o: { logits?: boolean }, run: (fused: Activation) => Tensor): Tensor {
  const { fused, after } = fusedPart(callActivation(a, o));
  const y = run(fused);
  return after ? applyActivation(y, after) : y;
}

/** Keras 2.3's config keys for a kernel and a zero-initialised bias, none regularised or constrained. */
export function weightsConfig(kernelInitializer: typeof GLOROT_UNIFORM_CONFIG): Record<string, unknown> {
  return {
    kernel_initializer: kernelInitializer,
    bias_initializer: ZEROS_CONFIG,
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}
