// RMSprop as Keras 2.3 has it: a <- rho*a + (1-rho)*g^2; p <- p - lr*g/(sqrt(a) + eps), eps 1e-7
// outside the square root, accumulators starting at zero. Kernel: shaders/optim_rmsprop.wgsl.
import { grid1d, type KernelSpec } from '../../gpu/program.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Variable } from '../layer.js';
import { decayed, f32, type FlagSlot, Optimizer, UPDATE_RUN, updateInvocations, updateVec } from './optimizer.js';

interface RmsParams {
  n: number;
  lr: number;
  rho: number;
  eps: number;
  slot: number;
}

const WG = 256;

export const rmspropKernel: KernelSpec<RmsParams> = {
  name: 'optim_rmsprop',
  shader: 'optim_rmsprop',
  bindings: ['read_write', 'read', 'read_write', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['lr', 'f32'],
    ['rho', 'f32'],
    ['eps', 'f32'],
    ['slot', 'u32'],
  ],
  workgroup: [WG, 1, 1],
  // n counts elements of T (vec4s where the size allows): the shader's loop bound.
  constants: () => ({ RUN: UPDATE_RUN }),
  defines: (p) => updateVec(p.n ?? 1).defines,
  values: (p) => ({ ...p, n: updateVec(p.n).count }),
  dispatch: (p) => grid1d(updateInvocations(p.n), WG),
  flops: (p) => 7 * p.n,
};

export interface RMSpropArgs {
  lr?: number;
  learningRate?: number;
  rho?: number;
  epsilon?: number;
  decay?: number;
}

export class RMSprop extends Optimizer {
  readonly lr: number;
  readonly rho: number;
  readonly epsilon: number;
  readonly decay: number;

  constructor(a: RMSpropArgs = {}) {
    super();
    // Keras 2.3: `lr` is still accepted and overrides learning_rate.
    this.lr = a.lr ?? a.learningRate ?? 0.001;
    this.rho = a.rho ?? 0.9;
    this.epsilon = a.epsilon ?? 1e-7;
    this.decay = a.decay ?? 0;
    if (!(this.lr > 0)) throw new Error(`dawnflow: RMSprop learning rate must be > 0, got ${this.lr}`);
  }

  get className(): string {
    return 'RMSprop';
  }

  get slotNames(): string[] {
    return ['accumulator'];
  }

  /** Keras 2.3's get_config: float32-rounded variables, epsilon a plain float (see Adam). */
  getConfig(): Record<string, number> {
    return { learning_rate: f32(this.lr), rho: f32(this.rho), decay: f32(this.decay), epsilon: this.epsilon };
  }

  protected update(v: Variable, g: Tensor, [acc]: Tensor[], flag: FlagSlot): void {
    const lr = decayed(this.lr, this.decay, this.iterations - 1);
    const p = { n: v.value.size, lr, rho: this.rho, eps: this.epsilon, slot: flag.slot };
    this.launch(rmspropKernel, p, [v.value.buffer, g.buffer, acc.buffer, flag.buffer]);
  }
}
