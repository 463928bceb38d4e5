// Keras Dropout (inverted): in training each element is kept with probability 1 - rate and kept
// values are scaled by 1 / (1 - rate); at inference (training = false) it is the identity. The
// mask comes from a seeded hash on the GPU (src/kernels/dropout.ts) and is kept for the backward
// pass (dx = dy * mask).
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { globalRng } from '../tensor/random.js';
import { binaryRaw } from '../kernels/elementwise.js';
import { dropoutRaw } from '../kernels/dropout.js';

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
