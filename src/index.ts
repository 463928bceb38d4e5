// dawnflow's public API: exports only, no logic.
export { init, shutdown, dispatcher, currentGpu, memory, withEngine } from './gpu/engine.js';
export type { DeviceOptions, AdapterSummary, Gpu } from './gpu/device.js';
export { Tensor, reshapeOwned, liveTensors, type DType } from './tensor/tensor.js';
export { randomUniform, randomNormal, glorotUniform } from './tensor/init.js';
export { tidy, keep } from './tensor/scope.js';
export { Rng, setSeed } from './tensor/random.js';
export { backward, noGrad, isGradEnabled } from './autograd/engine.js';
export * from './ops/elementwise.js';
export { sum, mean, sumTo } from './ops/reduce.js';
export { matmul, dense, type Activation } from './ops/matmul.js';
export { conv2d, conv2dGeometry, type Conv2DOptions } from './ops/conv2d.js';
export { maxPool2d, pool2dGeometry, type Pool2DOptions } from './ops/maxpool2d.js';
export { dropout } from './ops/dropout.js';
export { binaryCrossentropy, EPSILON } from './ops/losses.js';
export { reshape, flatten } from './ops/reshape.js';
export { setGemmVariant, type GemmVariant } from './ops/gemm.js';
