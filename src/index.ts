// dawnflow's public API: exports only, no logic.
export { init, shutdown, dispatcher, currentGpu, memory, withEngine } from './gpu/engine.js';
export type { DeviceOptions, AdapterSummary, Gpu } from './gpu/device.js';
export { Tensor, reshapeOwned, liveTensors, type DType } from './tensor/tensor.js';
export { randomUniform, randomNormal, glorotUniform } from './tensor/init.js';
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
export { Layer, Variable, type KShape } from './nn/layer.js';
export { InputLayer, Dense, Flatten, Dropout, Activation } from './nn/layers/core.js';
export { Conv2D } from './nn/layers/convolutional.js';
export { MaxPooling2D } from './nn/layers/pooling.js';
export { Container, Sequential, Model } from './nn/container.js';
export { resetNames } from './nn/naming.js';
export { modelConfig, modelFromConfig } from './nn/serialization.js';
export { vgg16, vgg16Architecture } from './apps/vgg16.js';
export { smallConvnet } from './apps/small_convnet.js';
export { chapterModel, freezeBase, unfreezeFrom } from './apps/chapter.js';
export { loadWeights, saveWeights, saveModel, loadModel } from './io/keras_weights.js';
export { readKerasH5, readDatasets } from './io/h5_read.js';
export { writeKerasH5 } from './io/h5_write.js';
export { RMSprop } from './nn/optimizers/rmsprop.js';
export { Adam } from './nn/optimizers/adam.js';
export { Optimizer } from './nn/optimizers/optimizer.js';
export { ModelCheckpoint, EarlyStopping, type Callback } from './nn/callbacks.js';
export { History } from './nn/history.js';
export { ArraySource, type ArrayData, type Batch, type BatchSource } from './nn/batches.js';
export { trainOnBatch } from './nn/training.js';
export { DirectoryIterator } from './data/directory_iterator.js';
export { listImageFolder } from './data/directory.js';
export { loadImage, toFloatBatch } from './data/load_img.js';
export { readNpy, writeNpy } from './io/npy.js';
export { ImageDataGenerator } from './data/image_data_generator.js';
export {
  CHAPTER_AUGMENTATION,
  randomTransform,
  transformMatrix,
  warpReference,
  type AugmentOptions,
} from './data/augment.js';
export { augmentBatch, uploadPixels } from './kernels/augment.js';
