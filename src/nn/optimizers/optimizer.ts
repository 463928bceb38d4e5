// Keras 2.3 optimizers: slots per variable (zeros at the first step), an `iterations` count, and
// one fused WGSL update per variable reading its gradient on the GPU — no readback. Only the
// variables collected at compile() are updated.
import { dispatcher } from '../../gpu/engine.js';
import type { KernelSpec } from '../../gpu/program.js';
import { zeros } from '../../ops/elementwise.js';
import { keep } from '../../tensor/scope.js';
import { Tensor } from '../../tensor/tensor.js';
import { fmt, sameShape } from '../../tensor/shape.js';
import type { Variable } from '../layer.js';

/** One optimizer weight as Keras saves it under optimizer_weights. */
export interface SlotWeight { name: string; shape: number[]; data: Float32Array }

export abstract class Optimizer {
  /** Steps taken (Keras's `iterations`). */
  iterations = 0;
  /** Per variable, its slot tensors (in slotNames order). */
  protected slots = new Map<Variable, Tensor[]>();

  abstract get className(): string;
  abstract get slotNames(): string[];
  abstract getConfig(): Record<string, number | boolean>;
  /** Encodes the fused update of one variable with its gradient and slots. */
  protected abstract update(v: Variable, grad: Tensor, slots: Tensor[]): void;

  /** One step over `vars` using each variable's `.grad`; grads are then released. */
  step(vars: Variable[]): void {
    this.iterations++;
    for (const v of vars) {
      const g = v.value.grad;
      if (!g) throw new Error(`dawnflow: ${v.name} has no gradient; was backward() run on the loss?`);
      this.update(v, g, this.slotsOf(v));
    }
  }

  protected slotsOf(v: Variable): Tensor[] {
    let s = this.slots.get(v);
    if (!s) {
      s = this.slotNames.map(() => keep(zeros(v.shape)));
      this.slots.set(v, s);
    }
    return s;
  }

  protected launch<P>(spec: KernelSpec<P>, p: P, buffers: GPUBuffer[]): void {
    dispatcher().launch(spec, p, buffers);
  }

  /** Keras 2.3's optimizer_weights: iterations, then each slot kind for every variable in order. */
  async getWeights(vars: Variable[]): Promise<SlotWeight[]> {
    const out: SlotWeight[] = [{ name: `training/${this.className}/iterations:0`, shape: [], data: Float32Array.of(this.iterations) }];
    for (const [k, slot] of this.slotNames.entries()) {
      for (const [i, v] of vars.entries()) {
        const t = this.slotsOf(v)[k];
        out.push({ name: `training/${this.className}/${slot}_${i}:0`, shape: [...v.shape], data: (await t.data()) as Float32Array });
      }
    }
    return out;
  }

  /** Restores getWeights()'s list for the same variables (same order and shapes). */
  setWeights(vars: Variable[], weights: SlotWeight[], source: string): void {
    const want = 1 + this.slotNames.length * vars.length;
    if (weights.length !== want) {
      throw new Error(`dawnflow: ${source}: ${weights.length} optimizer weights, ${this.className} over ${vars.length} variables needs ${want}`);
    }
    this.slotNames.forEach((_, k) => vars.forEach((v, i) => {
      const w = weights[1 + k * vars.length + i];
      if (!sameShape(w.shape, v.shape)) {
        throw new Error(`dawnflow: ${source}: optimizer weight ${w.name} is ${fmt(w.shape)}, ${v.name} is ${fmt(v.shape)}`);
      }
    }));
    this.iterations = Math.round(weights[0].data[0] ?? 0);
    this.slotNames.forEach((_, k) => vars.forEach((v, i) => {
      const slots = this.slotsOf(v);
      slots[k].dispose();
      slots[k] = keep(Tensor.fromArray(weights[1 + k * vars.length + i].data, v.shape));
    }));
  }

  /** Frees the slots (a new compile() starts from zeros, as in Keras). */
  dispose(): void {
    for (const s of this.slots.values()) for (const t of s) t.dispose();
    this.slots.clear();
  }
}

/** Float32 rounding, to evaluate host-side constants the way the TF backend does. */
export const f32 = Math.fround;

/** Keras 2.3 learning-rate decay: lr / (1 + decay * iterations), iterations before this step. */
export function decayed(lr: number, decay: number, iterations: number): number {
  return decay > 0 ? f32(f32(lr) * f32(1 / f32(1 + f32(decay) * iterations))) : f32(lr);
}
