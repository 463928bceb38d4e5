// Keras core layers: InputLayer, Dense, Flatten, Dropout, Activation.
import type { Tensor } from '../../tensor/tensor.js';
import { Layer, type CallOptions, type KShape, type LayerArgs } from '../layer.js';
import { uniqueName } from '../naming.js';
import { dense } from '../../ops/matmul.js';
import { flatten } from '../../ops/reshape.js';
import { dropout } from '../../ops/dropout.js';
import { zeros } from '../../ops/elementwise.js';
import { glorotUniform } from '../../tensor/init.js';
import {
  applyActivation,
  callActivation,
  checkActivation,
  GLOROT_UNIFORM_CONFIG,
  weightsConfig,
  withActivation,
  type ActivationName,
} from './activations.js';

export interface InputLayerArgs {
  inputShape: number[];
  name?: string;
}

/** The model's input: shape (None, ...inputShape); passes its tensor through. */
export class InputLayer extends Layer {
  constructor(args: InputLayerArgs) {
    // Keras names inputs input_1, input_2, ... whatever the class name.
    super({ name: args.name ?? uniqueName('input'), inputShape: args.inputShape });
    this.build([null, ...args.inputShape]);
  }

  get className(): string {
    return 'InputLayer';
  }

  computeOutputShape(s: KShape): KShape {
    return s;
  }

  call(x: Tensor): Tensor {
    return x;
  }

  override getConfig(): Record<string, unknown> {
    return { batch_input_shape: [null, ...this.declaredInputShape!], dtype: 'float32', sparse: false, name: this.name };
  }
}

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: string;
  useBias?: boolean;
}

/** y = act(x . kernel + bias); kernel [in, units] (glorot_uniform), bias [units] (zeros). */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;

  constructor(args: DenseArgs) {
    super(args);
    if (!(Number.isInteger(args.units) && args.units > 0))
      throw new Error(`dawnflow: Dense units must be a positive integer`);
    this.units = args.units;
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
  }

  get className(): string {
    return 'Dense';
  }

  override build(s: KShape): void {
    const inDim = s[s.length - 1];
    if (s.length !== 2 || inDim === null) {
      throw new Error(
        `dawnflow: ${this.name} (Dense) needs a flat input (None, n); got rank ${s.length} — add a Flatten first`,
      );
    }
    this.addWeight('kernel', glorotUniform([inDim, this.units]));
    if (this.useBias) this.addWeight('bias', zeros([this.units]));
    super.build(s);
  }

  computeOutputShape(s: KShape): KShape {
    return [...s.slice(0, -1), this.units];
  }

  call(x: Tensor, o: CallOptions): Tensor {
    const b = this.useBias ? this.own[1].value : null;
    return withActivation(this.activation, o, (fused) => dense(x, this.own[0].value, b, fused));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      use_bias: this.useBias,
      ...weightsConfig(GLOROT_UNIFORM_CONFIG),
    };
  }
}

/** (None, a, b, c) -> (None, a*b*c), row-major (Keras batch_flatten of NHWC). */
export class Flatten extends Layer {
  get className(): string {
    return 'Flatten';
  }

  computeOutputShape(s: KShape): KShape {
    const rest = s.slice(1);
    if (rest.some((d) => d === null))
      throw new Error(`dawnflow: ${this.name} (Flatten) needs a fully known input shape`);
    return [s[0], (rest as number[]).reduce((a, b) => a * b, 1)];
  }

  call(x: Tensor): Tensor {
    return flatten(x);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: 'channels_last' };
  }
}

export interface DropoutArgs extends LayerArgs {
  rate: number;
  seed?: number;
}

/** Inverted dropout in training, identity at inference. */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | undefined;

  constructor(args: DropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1))
      throw new Error(`dawnflow: Dropout rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  get className(): string {
    return 'Dropout';
  }

  computeOutputShape(s: KShape): KShape {
    return s;
  }

  call(x: Tensor, o: CallOptions): Tensor {
    return dropout(x, this.rate, { training: o.training });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noise_shape: null, seed: this.seed ?? null };
  }
}

export interface ActivationArgs extends LayerArgs {
  activation: string;
}

export class Activation extends Layer {
  readonly activation: ActivationName;

  constructor(args: ActivationArgs) {
    super(args);
    this.activation = checkActivation(args.activation, this.name);
  }

  get className(): string {
    return 'Activation';
  }

  computeOutputShape(s: KShape): KShape {
    return s;
  }

  call(x: Tensor, o: CallOptions): Tensor {
    return applyActivation(x, callActivation(this.activation, o));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}
