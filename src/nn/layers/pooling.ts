// Keras MaxPooling2D (channels_last): pool_size (2, 2), strides = pool_size, 'valid' by default.
import type { Tensor } from '../../tensor/tensor.js';
import { windowOutput, type Padding } from '../../tensor/shape.js';
import { maxPool2d } from '../../ops/maxpool2d.js';
import { Layer, type KShape, type LayerArgs } from '../layer.js';
import { checkPadding, pair } from './convolutional.js';

export interface MaxPooling2DArgs extends LayerArgs {
  poolSize?: number | [number, number];
  strides?: number | [number, number] | null;
  padding?: Padding;
}

export class MaxPooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(args: MaxPooling2DArgs = {}) {
    super(args);
    this.poolSize = pair(args.poolSize ?? 2);
    this.strides = pair(args.strides ?? this.poolSize);
    this.padding = checkPadding(args.padding, this.name);
  }

  get className(): string {
    return 'MaxPooling2D';
  }

  computeOutputShape(s: KShape): KShape {
    if (s.length !== 4) throw new Error(`dawnflow: ${this.name} (MaxPooling2D) needs input (None, h, w, channels)`);
    const out = (n: number | null, k: number, st: number) => {
      if (n === null) return null;
      const o = windowOutput(n, k, st, this.padding).out;
      if (o < 1) throw new Error(`dawnflow: ${this.name} (MaxPooling2D): input ${n} is too small for pool ${k}`);
      return o;
    };
    return [s[0], out(s[1], this.poolSize[0], this.strides[0]), out(s[2], this.poolSize[1], this.strides[1]), s[3]];
  }

  call(x: Tensor): Tensor {
    return maxPool2d(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      pool_size: this.poolSize,
      padding: this.padding,
      strides: this.strides,
      data_format: 'channels_last',
    };
  }
}
