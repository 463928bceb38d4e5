// One conv shape of the GPU precision tests (f16.test.ts, sg_lanes.test.ts): NHWC input, kernel
// size, output channels, strides, padding and the fused activation; and a 3x3 stride-1 one with
// or without a bias (winograd.test.ts, conv_pool.test.ts).
import type { Activation } from '../../src/kernels/activation.js';
import type { Padding } from '../../src/tensor/shape.js';

export interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  s: [number, number];
  pad: Padding;
  act: Activation;
}

/** A 3x3 stride-1 conv: the shapes Winograd computes. */
export interface Conv3x3Case {
  x: [number, number, number, number];
  co: number;
  pad: Padding;
  act: Activation;
  bias: boolean;
}
