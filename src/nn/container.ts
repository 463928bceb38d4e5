// Models built from a stack of layers. Sequential is the Keras Sequential (its `layers` exclude
// the input); Model is a linear functional model whose `layers` start with its InputLayer (what
// keras.applications.VGG16 returns). Either can be used as a layer inside another model.
import { dispatcher } from '../gpu/engine.js';
import { isGradEnabled } from '../autograd/tape.js';
import { tidy } from '../tensor/scope.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { Tensor as TensorClass, type Tensor } from '../tensor/tensor.js';
import { Layer, type CallOptions, type KShape, type LayerArgs, type Variable } from './layer.js';
import { InputLayer } from './layers/core.js';
import { Conv2D } from './layers/convolutional.js';
import { MaxPooling2D } from './layers/pooling.js';
import { formatSummary } from './summary.js';
import * as training from './training.js';
import type { BatchSource } from './batches.js';
import { fit as fitLoop, type FitOptions } from './fit.js';
import type { History } from './history.js';
import * as inference from './inference.js';
import type { EvaluateOptions, PredictOptions } from './inference.js';

export abstract class Container extends Layer {
  protected stack: Layer[] = [];
  /** Weights collected as trainable at the last compile(); summary() counts these (Keras 2.3). */
  collectedTrainableWeights: Variable[] | null = null;
  /** A callback sets it to end fit() (Keras model.stop_training); fit() clears it first. */
  stopTraining = false;

  get layers(): Layer[] {
    return [...this.stack];
  }

  getLayer(name: string): Layer {
    const hit = this.stack.find((l) => l.name === name);
    if (!hit)
      throw new Error(
        `dawnflow: no layer named '${name}' in ${this.name} (layers: ${this.stack.map((l) => l.name).join(', ')})`,
      );
    return hit;
  }

  /** A frozen container contributes no trainable weights, whatever its layers say (Keras). */
  override get trainableWeights(): Variable[] {
    return this.trainable ? unique(this.stack.flatMap((l) => l.trainableWeights)) : [];
  }

  override get nonTrainableWeights(): Variable[] {
    if (!this.trainable) return unique(this.stack.flatMap((l) => l.weights));
    return unique(this.stack.flatMap((l) => l.nonTrainableWeights));
  }

  override countParams(): number {
    return this.weights.reduce((n, v) => n + v.value.size, 0);
  }

  computeOutputShape(s: KShape): KShape {
    return this.stack.reduce((shape, l) => l.computeOutputShape(shape), s);
  }

  override build(s: KShape): void {
    let shape = s;
    for (const l of this.stack) {
      if (!l.built) l.build(shape);
      shape = l.outputShape!;
    }
    this.inputShape = [...s];
    this.outputShape = shape;
    this.built = true;
  }

  call(x: Tensor, o: CallOptions): Tensor {
    // Only the last layer may be asked for logits (CallOptions.logits).
    const inner = { training: o.training };
    const last = this.stack.length - 1;
    const run = (): Tensor => {
      let y = x;
      for (let i = 0; i <= last; i++) {
        const l = this.stack[i];
        const next = this.stack[i + 1];
        // A Conv2D straight into a MaxPooling2D may run as one op (Conv2D.applyPooled).
        const pooled = l instanceof Conv2D && next instanceof MaxPooling2D ? l.applyPooled(next, y, inner) : null;
        if (pooled) {
          y = pooled;
          i++;
        } else {
          y = l.apply(y, i === last ? o : inner);
        }
      }
      return y;
    };
    // With no tape recording, nothing will read the layers' outputs but the last one's: free
    // them as the model returns, or every inference call leaks one tensor per layer.
    return isGradEnabled() ? run() : tidy(run);
  }

  /** Inference on a batch (dropout off). */
  predictOnBatch(x: Tensor): Tensor {
    return this.apply(x, { training: false });
  }

  /** Keras compile(): snapshots the trainable weights; only they are updated until recompiled. */
  compile(a: training.CompileArgs): void {
    training.compile(this, a);
  }

  /**
   * Keras fit: `fit(x, y, options)` on batch-major tensors (x [n, ...], y [n] or [n, 1]),
   * shuffled per epoch, or `fit(source, options)` on a BatchSource (Keras's fit_generator).
   */
  fit(x: Tensor, y: Tensor, o?: FitOptions<Container>): Promise<History>;
  fit(source: BatchSource, o?: FitOptions<Container>): Promise<History>;
  fit(a: Tensor | BatchSource, b?: Tensor | FitOptions<Container>, c?: FitOptions<Container>): Promise<History> {
    if (a instanceof TensorClass) return fitLoop<Container>(this, { x: a, y: b as Tensor }, c);
    return fitLoop<Container>(this, a as BatchSource, b as FitOptions<Container> | undefined);
  }

  /** Keras evaluate: [loss, metric] over `evaluate(x, y, {batchSize})` or `evaluate(source, {steps})`. */
  evaluate(x: Tensor, y: Tensor, o?: EvaluateOptions): Promise<number[]>;
  evaluate(source: BatchSource, o?: EvaluateOptions): Promise<number[]>;
  evaluate(a: Tensor | BatchSource, b?: Tensor | EvaluateOptions, c?: EvaluateOptions): Promise<number[]> {
    if (a instanceof TensorClass) return inference.evaluate(this, { x: a, y: b as Tensor }, c);
    return inference.evaluate(this, a as BatchSource, b as EvaluateOptions | undefined);
  }

  /** Keras predict: the outputs for every sample of x, in batches, as one tensor (read with data()). */
  predict(x: Tensor, o: PredictOptions = {}): Tensor {
    return inference.predict(this, x, o);
  }

  /** Copies of every weight's value, in `weights` order (Keras get_weights); the caller frees them. */
  getWeights(): Tensor[] {
    return this.weights.map((v) => copyOf(v.value));
  }

  /** Copies `values` into the weights, in `weights` order (Keras set_weights); shapes must match. */
  setWeights(values: readonly Tensor[]): void {
    const ws = this.weights;
    if (values.length !== ws.length)
      throw new Error(`dawnflow: setWeights: ${this.name} has ${ws.length} weights, got ${values.length}`);
    ws.forEach((v, i) => {
      if (!sameShape(values[i].shape, v.shape))
        throw new Error(`dawnflow: setWeights: ${v.name} is ${fmt(v.shape)}, got ${fmt(values[i].shape)}`);
      // In place: the optimizer's slots and the compiled snapshot keep pointing at this tensor.
      dispatcher().copy(values[i].buffer, v.value.buffer, v.value.size * 4);
    });
  }

  /** The Keras 2.3 summary text; printed with `print` (console.log by default). */
  summary(print: (line: string) => void = console.log): string {
    const text = formatSummary(this);
    for (const line of text.split('\n')) print(line);
    return text;
  }

  override dispose(): void {
    for (const l of this.stack) l.dispose();
  }
}

function copyOf(t: Tensor): Tensor {
  const out = TensorClass.empty(t.shape, t.dtype, 'weights-copy');
  dispatcher().copy(t.buffer, out.buffer, t.size * 4);
  return out;
}

function unique(vs: Variable[]): Variable[] {
  return [...new Set(vs)];
}

export class Sequential extends Container {
  constructor(args: LayerArgs & { layers?: Layer[] } = {}) {
    super(args);
    for (const l of args.layers ?? []) this.add(l);
  }

  get className(): string {
    return 'Sequential';
  }

  add(layer: Layer): void {
    if (layer instanceof InputLayer) {
      if (this.stack.length) throw new Error('dawnflow: an InputLayer can only come first in a Sequential');
      this.inputShape = layer.outputShape;
      return;
    }
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new Error(`dawnflow: ${this.name} already has a layer named '${layer.name}'; names must be unique`);
    }
    this.stack.push(layer);
    const input = this.stack.length === 1 ? (firstInputShape(layer) ?? this.inputShape) : this.outputShape;
    if (input) this.build(this.stack.length === 1 ? input : this.inputShape!);
  }

  /** Removes the last layer (Keras's pop). */
  pop(): Layer {
    const l = this.stack.pop();
    if (!l) throw new Error(`dawnflow: ${this.name} has no layers to pop`);
    if (this.inputShape) this.build(this.inputShape);
    return l;
  }
}

function firstInputShape(l: Layer): KShape | null {
  if (l.declaredInputShape) return [null, ...l.declaredInputShape];
  return l instanceof Container && l.built ? l.inputShape : null;
}

/** A linear functional model: an InputLayer followed by layers applied in order. */
export class Model extends Container {
  constructor(args: { name?: string; layers: Layer[] }) {
    super({ name: args.name });
    const [input, ...rest] = args.layers;
    if (!(input instanceof InputLayer)) throw new Error('dawnflow: a Model starts with an InputLayer');
    this.stack = [input, ...rest];
    this.build(input.outputShape!);
  }

  get className(): string {
    return 'Model';
  }
}
