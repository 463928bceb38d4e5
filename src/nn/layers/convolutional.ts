// Keras Conv2D (channels_last): kernel HWIO [kh, kw, in, filters] (glorot_uniform or he_uniform), bias
// [filters] (zeros), TF 'same'/'valid' padding, activation fused into the conv kernel.
import type { Tensor } from '../../tensor/tensor.js';
import { windowOutput, type Padding } from '../../tensor/shape.js';
import { conv2d } from '../../ops/conv2d.js';
import { conv2dMaxPool2d, conv2dMaxPool2dFuses, poolPairGrad } from '../../ops/conv_pool.js';
import { inLayer } from '../../gpu/profile_scope.js';
import { zeros } from '../../ops/elementwise.js';
import { initKernel, type KernelInitializer } from '../../tensor/init.js';
import { Layer, type CallOptions, type KShape, type LayerArgs } from '../layer.js';
import {
  callActivation,
  checkActivation,
  fusedPart,
  GLOROT_UNIFORM_CONFIG,
  HE_UNIFORM_CONFIG,
  weightsConfig,
  withActivation,
  type ActivationName,
} from './activations.js';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  activation?: string;
  useBias?: boolean;
  /** Keras's kernel_initializer: 'glorot_uniform' (the default) or 'he_uniform'. */
  kernelInitializer?: KernelInitializer;
}

export const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export function checkPadding(p: string | undefined, layer: string): Padding {
  const v = p ?? 'valid';
  if (v !== 'same' && v !== 'valid')
    throw new Error(`dawnflow: ${layer}: padding must be 'same' or 'valid', got '${v}'`);
  return v;
}

/** What Conv2D.applyPooled needs of a MaxPooling2D (typed structurally: pooling.ts imports this file). */
export type PoolLayer = Pick<Layer, 'name' | 'built' | 'build'> & {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
};

export class Conv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: KernelInitializer;

  constructor(args: Conv2DArgs) {
    super(args);
    if (!(Number.isInteger(args.filters) && args.filters > 0))
      throw new Error('dawnflow: Conv2D filters must be a positive integer');
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.padding = checkPadding(args.padding, this.name);
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorot_uniform';
    if (!['glorot_uniform', 'he_uniform'].includes(this.kernelInitializer)) {
      throw new Error(
        `dawnflow: ${this.name}: kernelInitializer must be 'glorot_uniform' or 'he_uniform', got '${this.kernelInitializer}'`,
      );
    }
  }

  get className(): string {
    return 'Conv2D';
  }

  override build(s: KShape): void {
    const cin = s[3];
    if (s.length !== 4 || cin === null) {
      throw new Error(`dawnflow: ${this.name} (Conv2D) needs input (None, h, w, channels), got rank ${s.length}`);
    }
    const [kh, kw] = this.kernelSize;
    this.addWeight('kernel', initKernel(this.kernelInitializer, [kh, kw, cin, this.filters]));
    if (this.useBias) this.addWeight('bias', zeros([this.filters]));
    super.build(s);
  }

  computeOutputShape(s: KShape): KShape {
    const out = (n: number | null, k: number, st: number) => {
      if (n === null) return null;
      const o = windowOutput(n, k, st, this.padding).out;
      if (o < 1) throw new Error(`dawnflow: ${this.name} (Conv2D): input ${n} is too small for kernel ${k}`);
      return o;
    };
    return [
      s[0],
      out(s[1], this.kernelSize[0], this.strides[0]),
      out(s[2], this.kernelSize[1], this.strides[1]),
      this.filters,
    ];
  }

  call(x: Tensor, o: CallOptions): Tensor {
    const b = this.useBias ? this.own[1].value : null;
    const { strides, padding } = this;
    return withActivation(this.activation, o, (fused) =>
      conv2d(x, this.own[0].value, b, { strides, padding, activation: fused }),
    );
  }

  /**
   * pool.apply(this.apply(x, o)) as one op where that saves work: its activation is fused, and
   * the conv's kernel pools its own output (the planner's call), so the full-size output is
   * never written and the pool pass is skipped. With a gradient to come the kernel also keeps
   * the pool's winners, where the activation allows (conv2dMaxPool2dFuses). Null where the pair
   * must run layer by layer.
   */
  applyPooled(pool: PoolLayer, x: Tensor, o: CallOptions): Tensor | null {
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const { fused, after } = fusedPart(callActivation(this.activation, o));
    const w = this.own[0].value;
    const b = this.useBias ? this.own[1].value : null;
    if (after) return null;
    const c = { strides: this.strides, padding: this.padding, activation: fused };
    const p = { poolSize: pool.poolSize, strides: pool.strides, padding: pool.padding };
    if (!conv2dMaxPool2dFuses(x.shape, w.shape, c, p, poolPairGrad(x, w, b))) return null;
    if (!pool.built) pool.build(this.outputShape!);
    // Profiles show the pair as one layer: the pool's work is inside the conv's kernel.
    return inLayer(`${this.name}+${pool.name}`, () => conv2dMaxPool2d(x, w, b, c, p));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: this.activation,
      use_bias: this.useBias,
      ...weightsConfig(this.kernelInitializer === 'he_uniform' ? HE_UNIFORM_CONFIG : GLOROT_UNIFORM_CONFIG),
    };
  }
}
