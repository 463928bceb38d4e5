// Keras Dropout (inverted): in training each element is kept with probability 1 - rate and kept
// values are scaled by 1 / (1 - rate); at inference (training = false) it is the identity. The
// mask comes from a seeded hash on the GPU and is kept for the backward pass (dx = dy * mask).
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { globalRng } from '../tensor/random.js';
import { binaryRaw } from '../kernels/elementwise.js';

interface DropoutParams { n: number; seed: number; rate: number }

const WG = 256;

export const dropoutKernel: KernelSpec<DropoutParams> = {
  name: 'dropout_forward', shader: 'dropout_forward',
  bindings: ['read', 'read_write', 'read_write'],
  uniforms: [['n', 'u32'], ['seed', 'u32'], ['rate', 'f32'], ['scale', 'f32']],
  workgroup: [WG, 1, 1],
  values: (p) => ({ n: p.n, seed: p.seed, rate: p.rate, scale: 1 / (1 - p.rate) }),
  dispatch: (p) => grid1d(p.n, WG),
  flops: (p) => p.n,
};

export interface DropoutOptions {
  training: boolean;
  /** Mask seed; by default drawn from the global seeded generator (setSeed). */
  seed?: number;
}

/** Returns x itself (no copy) at inference or when rate is 0, as Keras does. */
export function dropout(x: Tensor, rate: number, o: DropoutOptions): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dawnflow: dropout rate must be in [0, 1), got ${rate}`);
  if (!o.training || rate === 0) return x;
  const seed = (o.seed ?? globalRng().nextU32()) >>> 0;
  const { y, mask } = dropoutRaw(x, rate, seed);
  const recorded = record(y, 'dropout', [x], (g) => {
    const dx = binaryRaw('mul', g, mask);
    mask.dispose();
    return [dx];
  });
  if (!recorded.node) mask.dispose();
  return y;
}

/** The forward kernel alone: y and the mask of factors (0 or 1/(1-rate)). */
export function dropoutRaw(x: Tensor, rate: number, seed: number): { y: Tensor; mask: Tensor } {
  const y = Tensor.empty(x.shape, 'float32', 'dropout');
  const mask = Tensor.empty(x.shape, 'float32', 'dropout-mask');
  dispatcher().launch(dropoutKernel, { n: x.size, seed, rate }, [x.buffer, y.buffer, mask.buffer]);
  return { y, mask };
}
