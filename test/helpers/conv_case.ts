// One conv shape of the GPU precision tests (f16.test.ts, sg_lanes.test.ts): NHWC input, kernel
// size, output channels, strides, padding and the fused activation.
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
