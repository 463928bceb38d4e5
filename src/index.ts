// dawnflow's public API: exports only, no logic.
// The declarations name WebGPU's global types (GPUBuffer, ...). TypeScript 7's DOM library
// declares them, so index.d.ts keeps the directive below and a Node project (lib ES20xx, no DOM)
// type-checks against the package with skipLibCheck off (test/consumer). @webgpu/types, also a
// dependency, serves an older TypeScript whose DOM library lacks WebGPU (add it to "types").
/// <reference lib="dom" preserve="true" />
export { init, shutdown, dispatcher, currentGpu, memory, withEngine } from './gpu/engine.js';
export type { DeviceOptions, AdapterSummary, Gpu } from './gpu/device.js';
export { Tensor, reshapeOwned, liveTensors, type DType } from './tensor/tensor.js';
export { randomUniform, randomNormal, glorotUniform, type KernelInitializer } from './tensor/init.js';
export { tidy, keep } from './tensor/scope.js';
export { Rng, setSeed } from './tensor/random.js';
export { backward, noGrad, isGradEnabled } from './autograd/tape.js';
export * from './kernels/elementwise.js';
export * from './ops/elementwise.js';
export { sum, mean } from './ops/reduce.js';
export { sumTo } from './kernels/reduce.js';
export { matmul, dense } from './ops/matmul.js';
export type { Activation as ActivationName } from './kernels/activation.js';
export { conv2d, conv2dGeometry, type Conv2DOptions } from './ops/conv2d.js';
export { maxPool2d, pool2dGeometry, type Pool2DOptions } from './ops/maxpool2d.js';
export { dropout } from './ops/dropout.js';
export { binaryCrossentropy, EPSILON } from './ops/losses.js';
export { reshape, flatten } from './ops/reshape.js';
export type { GemmVariant } from './kernels/gemm.js';
export { setConvVariant, setGemmVariant, setTexturePrecision } from './kernels/plan_context.js';
export { CONV_VARIANTS } from './kernels/plan_legal.js';
export type { ConvVariant } from './kernels/conv_types.js';
export type { TexturePrecision } from './gpu/texture_precision.js';
export { softmax } from './ops/softmax.js';
export { Layer, Variable, type KShape, type LayerArgs, type CallOptions } from './nn/layer.js';
export {
  InputLayer,
  Dense,
  Flatten,
  Dropout,
  Activation,
  type InputLayerArgs,
  type DenseArgs,
  type DropoutArgs,
  type ActivationArgs,
} from './nn/layers/core.js';
export type { ActivationName as LayerActivation } from './nn/layers/activations.js';
export { Conv2D, type Conv2DArgs } from './nn/layers/convolutional.js';
export { MaxPooling2D, type MaxPooling2DArgs } from './nn/layers/pooling.js';
export { Container, Sequential, Model } from './nn/container.js';
export { resetNames } from './nn/naming.js';
export { modelConfig, modelFromConfig } from './nn/serialization.js';
export { vgg16, vgg16Architecture, type Vgg16Options } from './apps/vgg16.js';
export { smallConvnet } from './apps/small_convnet.js';
export { chapterModel, freezeBase, unfreezeFrom } from './apps/chapter.js';
export {
  loadWeights,
  saveWeights,
  saveModel,
  loadModel,
  type LoadOptions,
  type SaveModelOptions,
  type LoadedModel,
} from './io/keras_weights.js';
export { readKerasH5, readDatasets } from './io/h5_read.js';
export { writeKerasH5 } from './io/h5_write.js';
export { RMSprop, type RMSpropArgs } from './nn/optimizers/rmsprop.js';
export { Adam, type AdamArgs } from './nn/optimizers/adam.js';
export { Optimizer } from './nn/optimizers/optimizer.js';
export {
  ModelCheckpoint,
  EarlyStopping,
  type Callback,
  type CheckpointArgs,
  type EarlyStoppingArgs,
} from './nn/callbacks.js';
export { CSVLogger, type CSVLoggerOptions } from './nn/csv_logger.js';
export type { CallbackHooks, Logs } from './nn/history.js';
export { History } from './nn/history.js';
export { ArraySource, type ArrayData, type Batch, type BatchSource } from './nn/batches.js';
export { TensorSource } from './nn/tensor_source.js';
export type { FitOptions } from './nn/fit.js';
export type { EvaluateOptions, PredictOptions } from './nn/inference.js';
export { trainOnBatch, NonFiniteError, type CompileArgs } from './nn/training.js';
export { DirectoryIterator, type DirectoryIteratorOptions, type ClassMode } from './data/directory_iterator.js';
export { listImageFolder, type ImageFolder, type ListOptions } from './data/directory.js';
export { loadImage, toFloatBatch, type LoadImageOptions, type Interpolation } from './data/load_img.js';
export { readNpy, writeNpy } from './io/npy.js';
export { ImageDataGenerator, type ImageDataGeneratorOptions, type FlowOptions } from './data/image_data_generator.js';
export {
  CHAPTER_AUGMENTATION,
  randomTransform,
  transformMatrix,
  warpReference,
  type AugmentOptions,
} from './data/augment.js';
export { augmentBatch, uploadPixels } from './kernels/augment.js';
