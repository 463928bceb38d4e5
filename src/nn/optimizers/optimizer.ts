// Keras 2.3 optimizers: slots per variable (zeros at the first step), an `iterations` count, and
// one fused WGSL update per variable reading its gradient on the GPU — no readback. Only the
// variables collected at compile() are updated.
import { dispatcher } from '../../gpu/engine.js';
import type { KernelSpec } from '../../gpu/program.js';
import { zeros } from '../../ops/elementwise.js';
import { keep } from '../../tensor/scope.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Variable } from '../layer.js';
import { kerasState, restoreState, type SlotWeight, type StateLayout } from './keras_state.js';

export type { SlotWeight } from './keras_state.js';

export abstract class Optimizer {
  /** Steps taken (Keras's `iterations`). */
  iterations = 0;
  /** Per variable, its slot tensors (in slotNames order). */
  protected slots = new Map<Variable, Tensor[]>();

  abstract get className(): string;
  abstract get slotNames(): string[];
  abstract getConfig(): Record<string, number | boolean>;
  /** Encodes the fused update of one variable with its gradient and slots; marks `flag` if the gradient is not finite. */
  protected abstract update(v: Variable, grad: Tensor, slots: Tensor[], flag: FlagSlot): void;

  /**
   * One step over `vars` using each variable's `.grad`. With `flags` (zeros, one per variable),
   * the update of vars[i] also sets flags[i] to 1 where its gradient holds an Inf or a NaN: the
   * training step's check reads them with the loss, with no pass of its own over the gradients.
   */
  step(vars: Variable[], flags?: Tensor): void {
    this.iterations++;
    if (flags && flags.size !== vars.length) {
      throw new Error(`dawnflow: ${vars.length} variables, ${flags.size} gradient flags`);
    }
    const marks = flags ?? zeros([Math.max(1, vars.length)]);
    vars.forEach((v, slot) => {
      const g = v.value.grad;
      if (!g) throw new Error(`dawnflow: ${v.name} has no gradient; was backward() run on the loss?`);
      this.update(v, g, this.slotsOf(v), { buffer: marks.buffer, slot });
    });
    // Safe to recycle now: a later writer of the buffer is encoded after these launches.
    if (!flags) marks.dispose();
  }

  /**
   * Creates the slots of `vars` that do not exist yet (zeros), as Keras builds them with the
   * training function, before the first step's forward. Made in the middle of that step instead,
   * they took buffers its forward and backward had just freed, so the second step found those
   * gone and allocated new ones: on the 2-core VM a page fault costs ~11 us, and the from-scratch
   * convnet's second step paid ~4,000 of them (+45 ms) for one 14.7 MB Winograd buffer.
   */
  build(vars: Variable[]): void {
    for (const v of vars) this.slotsOf(v);
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

  /** Slot kinds Keras saves but this update never reads (Adam's vhat without amsgrad). */
  protected get placeholderSlots(): string[] {
    return [];
  }

  /** What TF1 appends to slot variable names (see keras_state.ts). */
  protected get slotSuffix(): string {
    return '';
  }

  /** The names and order of this optimizer's weights in a Keras file. */
  get stateLayout(): StateLayout {
    const { className, slotNames: slots, placeholderSlots: placeholders, slotSuffix: suffix } = this;
    return { className, slots, placeholders, suffix };
  }

  /** Keras 2.3's optimizer_weights: int64 iterations, then each slot kind for every variable in order. */
  async getWeights(vars: Variable[]): Promise<SlotWeight[]> {
    const values: Float32Array[][] = [];
    for (const k of this.slotNames.keys()) {
      const kind: Float32Array[] = [];
      for (const v of vars) kind.push((await this.slotsOf(v)[k].data()) as Float32Array);
      values.push(kind);
    }
    return kerasState(
      this.stateLayout,
      this.iterations,
      values,
      vars.map((v) => [...v.shape]),
    );
  }

  /** Restores a Keras (2.2, 2.3) or dawnflow optimizer_weights list for the same variables. */
  setWeights(vars: Variable[], weights: SlotWeight[], source: string): void {
    const state = restoreState(
      this.stateLayout,
      weights,
      vars.map((v) => [...v.shape]),
      source,
    );
    this.iterations = state.iterations;
    state.slots.forEach((kind, k) =>
      vars.forEach((v, i) => {
        const slots = this.slotsOf(v);
        slots[k].dispose();
        slots[k] = keep(Tensor.fromArray(kind[i], v.shape));
      }),
    );
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

/**
 * The element type of an update kernel over n floats: vec4 when n allows. On lavapipe a vec4
 * storage load or store costs about a third of four scalar ones (one gather per component
 * instead of a scalar access per lane and float), and the update is elementwise, so the result
 * is the same float for float.
 */
export function updateVec(n: number): { T: 'vec4f' | 'f32'; count: number; defines: { T: string; U: string } } {
  return n % 4 === 0
    ? { T: 'vec4f', count: n / 4, defines: { T: 'vec4f', U: 'vec4u' } }
    : { T: 'f32', count: n, defines: { T: 'f32', U: 'u32' } };
}

/**
 * Elements of T per invocation of an update kernel (shaders/optim_*.wgsl): two adjacent ones
 * pay the invocation's fixed cost and the gradient's finiteness test once for both; on lavapipe
 * the RMSprop update of a 3.2M-weight dense layer took 15-25 % less time than with one.
 */
export const UPDATE_RUN = 2;

/** Invocations of an update kernel over n floats. */
export function updateInvocations(n: number): number {
  return Math.ceil(updateVec(n).count / UPDATE_RUN);
}

/** Where an update marks a non-finite gradient: element `slot` of `buffer` (Optimizer.step). */
export interface FlagSlot {
  buffer: GPUBuffer;
  slot: number;
}
