// Adam as Keras 2.3 has it: t = iterations + 1, lr_t = lr*sqrt(1 - b2^t)/(1 - b1^t),
// m <- b1*m + (1-b1)*g, v <- b2*v + (1-b2)*g^2, p <- p - lr_t*m/(sqrt(v) + eps), eps 1e-7.
// Kernel: shaders/optim_adam.wgsl; lr_t is evaluated on the host in float32 steps.
import { grid1d, type KernelSpec } from '../../gpu/program.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Variable } from '../layer.js';
import { decayed, f32, type FlagSlot, Optimizer, UPDATE_RUN, updateInvocations, updateVec } from './optimizer.js';

interface AdamParams {
  n: number;
  lrT: number;
  beta1: number;
  beta2: number;
  eps: number;
  slot: number;
}

const WG = 256;

export const adamKernel: KernelSpec<AdamParams> = {
  name: 'optim_adam',
  shader: 'optim_adam',
  bindings: ['read_write', 'read', 'read_write', 'read_write', 'read_write'],
  uniforms: [
    ['n', 'u32'],
    ['lrT', 'f32'],
    ['beta1', 'f32'],
    ['beta2', 'f32'],
    ['eps', 'f32'],
    ['slot', 'u32'],
  ],
  workgroup: [WG, 1, 1],
  // n counts elements of T (vec4s where the size allows): the shader's loop bound.
  constants: () => ({ RUN: UPDATE_RUN }),
  defines: (p) => updateVec(p.n ?? 1).defines,
  values: (p) => ({ ...p, n: updateVec(p.n).count }),
  dispatch: (p) => grid1d(updateInvocations(p.n), WG),
  flops: (p) => 11 * p.n,
};

export interface AdamArgs {
  lr?: number;
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  decay?: number;
}

/** lr_t of step t (1-based), each operation rounded to float32 as the TF backend computes it. */
export function adamLrT(lr: number, beta1: number, beta2: number, t: number): number {
  const num = f32(Math.sqrt(f32(1 - f32(f32(beta2) ** t))));
  const den = f32(1 - f32(f32(beta1) ** t));
  return f32(f32(lr) * f32(num / den));
}

export class Adam extends Optimizer {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly decay: number;

  constructor(a: AdamArgs = {}) {
    super();
    this.lr = a.lr ?? a.learningRate ?? 0.001;
    this.beta1 = a.beta1 ?? 0.9;
    this.beta2 = a.beta2 ?? 0.999;
    this.epsilon = a.epsilon ?? 1e-7;
    this.decay = a.decay ?? 0;
    if (!(this.lr > 0)) throw new Error(`dawnflow: Adam learning rate must be > 0, got ${this.lr}`);
  }

  get className(): string {
    return 'Adam';
  }

  get slotNames(): string[] {
    return ['m', 'v'];
  }

  // Keras saves one vhat per variable even with amsgrad off (shape [1], zeros), and its load
  // refuses a list without them: dawnflow writes them too and never reads them.
  protected override get placeholderSlots(): string[] {
    return ['vhat'];
  }

  protected override get slotSuffix(): string {
    return '_1';
  }

  /**
   * Keras 2.3's get_config: the hyperparameters are backend float32 variables read back with
   * float(), so they carry float32 rounding (1e-5 is 9.999999747378752e-06); epsilon is a plain
   * Python float.
   */
  getConfig(): Record<string, number | boolean> {
    return {
      learning_rate: f32(this.lr),
      beta_1: f32(this.beta1),
      beta_2: f32(this.beta2),
      decay: f32(this.decay),
      epsilon: this.epsilon,
      amsgrad: false,
    };
  }

  protected update(v: Variable, g: Tensor, [m, s]: Tensor[], flag: FlagSlot): void {
    const lr = decayed(this.lr, this.decay, this.iterations - 1);
    const lrT = adamLrT(lr, this.beta1, this.beta2, this.iterations);
    const p = { n: v.value.size, lrT, beta1: this.beta1, beta2: this.beta2, eps: this.epsilon, slot: flag.slot };
    this.launch(adamKernel, p, [v.value.buffer, g.buffer, m.buffer, s.buffer, flag.buffer]);
  }
}
