// The Keras Layer contract: a name, a `trainable` flag, weights created at build() from the
// input shape, call() on tensors, the output-shape rule, and a config for model files.
// Shapes here carry the batch axis as null, as Keras prints them: (None, 150, 150, 3).
import { keep } from '../tensor/scope.js';
import { inLayer } from '../gpu/profile_scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { snakeCase, uniqueName } from './naming.js';

export type KShape = (number | null)[];

/** A layer weight: the Keras variable name (`dense_1/kernel:0`) and its GPU value. */
export class Variable {
  constructor(
    readonly name: string,
    public value: Tensor,
  ) {
    keep(value);
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  /** Replaces the value (weight loading, optimizer slots); the old tensor is freed. */
  assign(value: Tensor): void {
    if (value.size !== this.value.size) {
      throw new Error(`dawnflow: cannot assign ${value.describe()} to ${this.name} [${this.shape.join(', ')}]`);
    }
    if (value !== this.value) this.value.dispose();
    this.value = keep(value);
  }
}

export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** Input shape without the batch axis; makes the layer the first of a Sequential. */
  inputShape?: number[];
}

export interface CallOptions {
  training: boolean;
  /**
   * Return the input of the model's final sigmoid (its logits) instead of its output: a
   * container passes it to its last layer only, and a layer whose activation is sigmoid skips
   * it. Only src/nn/loss.ts sets it, after checking that the model ends in a sigmoid.
   */
  logits?: boolean;
}

export abstract class Layer {
  readonly name: string;
  trainable: boolean;
  built = false;
  /** Input shape without the batch axis given at construction (Keras `input_shape`). */
  readonly declaredInputShape: number[] | null;
  inputShape: KShape | null = null;
  outputShape: KShape | null = null;
  protected own: Variable[] = [];

  constructor(args: LayerArgs = {}) {
    this.name = args.name ?? uniqueName(this.namePrefix());
    this.trainable = args.trainable ?? true;
    this.declaredInputShape = args.inputShape ? [...args.inputShape] : null;
  }

  abstract get className(): string;

  protected namePrefix(): string {
    return snakeCase(this.className);
  }

  /** Creates the weights for this input shape; called once, before the first call(). */
  build(inputShape: KShape): void {
    this.inputShape = [...inputShape];
    this.outputShape = this.computeOutputShape(inputShape);
    this.built = true;
  }

  abstract computeOutputShape(inputShape: KShape): KShape;

  abstract call(x: Tensor, o: CallOptions): Tensor;

  /** Builds on first use, then calls. */
  apply(x: Tensor, o: CallOptions = { training: false }): Tensor {
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return inLayer(this.name, () => this.call(x, o));
  }

  /** Keras order: trainable weights first, then non-trainable. */
  get weights(): Variable[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? [...this.own] : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this.trainable ? [] : [...this.own];
  }

  countParams(): number {
    if (!this.built) throw new Error(`dawnflow: ${this.name} is not built yet; its input shape is unknown`);
    return this.weights.reduce((n, v) => n + sizeOf(v.shape), 0);
  }

  /** The Keras config (layer arguments) written into model_config. */
  getConfig(): Record<string, unknown> {
    // Key order as Keras 2.3 writes it: name, trainable, [batch_input_shape], dtype.
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainable };
    if (this.declaredInputShape) c.batch_input_shape = [null, ...this.declaredInputShape];
    c.dtype = 'float32';
    return c;
  }

  protected addWeight(suffix: string, value: Tensor): Variable {
    const v = new Variable(`${this.name}/${suffix}:0`, value);
    this.own.push(v);
    return v;
  }

  /** Frees the GPU memory of the weights. */
  dispose(): void {
    for (const v of this.own) v.value.dispose();
  }
}

export function shapeString(s: KShape | null): string {
  if (!s) return 'multiple';
  const parts = s.map((d) => (d === null ? 'None' : String(d)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}
