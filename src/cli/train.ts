// The chapter's three approaches as commands, plus evaluate and predict on saved models.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withEngine } from '../gpu/engine.js';
import type { DeviceOptions, Gpu } from '../gpu/device.js';
import { vgg16 } from '../apps/vgg16.js';
import { chapterModel, findNestedBase, freezeBase, unfreezeFrom } from '../apps/chapter.js';
import { extractFeatures, saveFeatures } from '../apps/features.js';
import { DirectoryIterator } from '../data/directory_iterator.js';
import { CHAPTER_AUGMENTATION } from '../data/augment.js';
import { loadImage, toFloatBatch } from '../data/load_img.js';
import { readNpy } from '../io/npy.js';
import { loadModel, saveModel } from '../io/keras_weights.js';
import { Container, Sequential } from '../nn/container.js';
import { Dense, Dropout } from '../nn/layers/core.js';
import { RMSprop } from '../nn/optimizers/rmsprop.js';
import { Adam } from '../nn/optimizers/adam.js';
import { ModelCheckpoint, type Callback } from '../nn/callbacks.js';
import type { History } from '../nn/history.js';
import { isCompiled, testOnBatch } from '../nn/training.js';
import type { ArrayData } from '../nn/data.js';
import { setSeed } from '../tensor/random.js';
import { UsageError } from './args.js';
import { resolveWeights } from './features.js';
import { requireFile, requireFolder, requireWritableFile, requireWritableFolder } from './paths.js';
import type { TrainSettings } from './train_flags.js';

function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

function callbacks(s: TrainSettings): Callback[] {
  if (!s.checkpoint) return [];
  return [new ModelCheckpoint({ filepath: s.checkpoint, save: (p, m) => saveInto(p, m) })];
}

/** Saves a model file, creating its folder (checked writable before training started). */
async function saveInto(path: string, model: Container): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await saveModel(model, path);
}

/** Every path the training commands read or write, checked before anything starts. */
function checkPaths(s: TrainSettings): void {
  requireFolder(s.data, '--data', 'it must hold train/ and validation/ (the flow_from_directory layout)');
  const files: [string, string | undefined][] = [['--save', s.save], ['--json', s.json], ['--checkpoint', s.checkpoint]];
  for (const [flag, path] of files) if (path) requireWritableFile(path, flag);
  if (s.features) requireWritableFolder(s.features, '--features');
}

async function finish(command: string, s: TrainSettings, model: Container, h: History, gpu: Gpu, fitSeconds: number): Promise<void> {
  if (s.save) {
    await saveInto(s.save, model);
    console.log(`saved ${s.save}`);
  }
  if (s.json) {
    writeJsonAtomic(s.json, {
      command, settings: s, adapter: gpu.info, history: h.history, epoch: h.epoch,
      epochSeconds: h.epochSeconds, fitSeconds,
    });
  }
}

function splitDir(data: string, split: string): string {
  const d = join(data, split);
  if (!existsSync(d)) throw new UsageError(`${d} not found: --data must hold train/ and validation/ (flow_from_directory layout)`);
  return d;
}

/** Features of one split: read from the --features folder when there, else computed (and kept). */
async function splitFeatures(base: Container, s: TrainSettings, split: string): Promise<ArrayData> {
  const cached = s.features ? join(s.features, `${split}.npy`) : null;
  if (cached && existsSync(cached)) {
    const f = readNpy(cached);
    const y = readNpy(join(s.features!, `${split}.labels.npy`));
    console.log(`${split}: ${f.shape[0]} feature rows from ${cached}`);
    return { x: f.data as Float32Array, xShape: [f.shape[0], f.shape.slice(1).reduce((a, b) => a * b, 1)], y: y.data as Float32Array };
  }
  const it = new DirectoryIterator(splitDir(s.data, split), {
    targetSize: [s.targetSize, s.targetSize], batchSize: 20, shuffle: s.shuffle, seed: s.seed, rescale: 1 / 255, strict: s.strict,
  });
  const r = await extractFeatures(base, it, s.limit ?? it.samples);
  console.log(`${split}: features of ${r.shape[0]} images in ${r.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(2)} images/s)`);
  if (s.features) saveFeatures(join(s.features, `${split}.npy`), r, { split, data: s.data, targetSize: s.targetSize });
  return { x: r.features, xShape: [r.shape[0], r.features.length / r.shape[0]], y: r.labels };
}

export async function featureExtraction(s: TrainSettings, dev: DeviceOptions): Promise<number> {
  checkPaths(s);
  const weights = await resolveWeights(s.weights);
  return withEngine(dev, async (gpu) => {
    setSeed(s.seed);
    const base = vgg16({ inputShape: [s.targetSize, s.targetSize, 3], weights });
    const train = await splitFeatures(base, s, 'train');
    const validation = await splitFeatures(base, s, 'validation');
    base.dispose();
    const model = new Sequential();
    model.add(new Dense({ units: 256, activation: 'relu', inputShape: [train.xShape[1]] }));
    model.add(new Dropout({ rate: 0.5 }));
    model.add(new Dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ optimizer: new RMSprop({ lr: s.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const t0 = performance.now();
    const h = await model.fit(train, { epochs: s.epochs, batchSize: s.batchSize, validationData: validation, shuffle: s.shuffle, callbacks: callbacks(s), verbose: s.verbose, microBatch: s.microBatch });
    await finish('feature-extraction', s, model, h, gpu, (performance.now() - t0) / 1000);
    model.dispose();
    return 0;
  });
}

/** Training images augmented as the chapter sets it (unless --no-augment); validation plain. */
function iterators(s: TrainSettings): { train: DirectoryIterator; validation: DirectoryIterator } {
  const size: [number, number] = [s.targetSize, s.targetSize];
  const common = { targetSize: size, shuffle: s.shuffle, rescale: 1 / 255, strict: s.strict };
  const augment = s.augment ? CHAPTER_AUGMENTATION : null;
  return {
    train: new DirectoryIterator(splitDir(s.data, 'train'), { ...common, batchSize: s.batchSize, seed: s.seed, augment }),
    validation: new DirectoryIterator(splitDir(s.data, 'validation'), { ...common, batchSize: s.validationBatchSize, seed: s.seed + 1 }),
  };
}

async function fitImages(command: string, s: TrainSettings, model: Container, gpu: Gpu): Promise<void> {
  const { train, validation } = iterators(s);
  const t0 = performance.now();
  const h = await model.fit(train, {
    epochs: s.epochs, stepsPerEpoch: s.stepsPerEpoch || train.batchesPerPass, validationData: validation,
    validationSteps: s.validationSteps || validation.batchesPerPass, callbacks: callbacks(s), verbose: s.verbose,
    microBatch: s.microBatch,
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`elapsed: ${seconds.toFixed(1)} s`);
  await finish(command, s, model, h, gpu, seconds);
}

export async function transfer(s: TrainSettings, dev: DeviceOptions): Promise<number> {
  checkPaths(s);
  const weights = await resolveWeights(s.weights);
  return withEngine(dev, async (gpu) => {
    setSeed(s.seed);
    const base = vgg16({ inputShape: [s.targetSize, s.targetSize, 3], weights });
    const model = chapterModel(base);
    console.log(`This is the number of trainable weights before freezing the conv base: ${model.trainableWeights.length}`);
    freezeBase(base);
    console.log(`This is the number of trainable weights after freezing the conv base: ${model.trainableWeights.length}`);
    model.compile({ optimizer: new Adam({ lr: s.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
    await fitImages('transfer', s, model, gpu);
    model.dispose();
    return 0;
  });
}

function nestedBase(model: Container, path: string): Container {
  const base = findNestedBase(model);
  if (!base) throw new UsageError(`${path} has no nested VGG16 base with a block5_conv1 layer; save it with 'dawnflow transfer --save'`);
  return base;
}

export async function fineTune(s: TrainSettings, dev: DeviceOptions): Promise<number> {
  if (!s.from) throw new UsageError('--from MODEL.h5 is required (the model saved by dawnflow transfer --save)');
  requireFile(s.from, '--from', 'give the model saved by dawnflow transfer --save');
  checkPaths(s);
  return withEngine(dev, async (gpu) => {
    setSeed(s.seed);
    const { model } = loadModel(s.from!);
    unfreezeFrom(nestedBase(model, s.from!), 'block5_conv1');
    model.compile({ optimizer: new Adam({ lr: s.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
    console.log(`trainable weights after unfreezing from block5_conv1: ${model.trainableWeights.length}`);
    await fitImages('fine-tune', s, model, gpu);
    model.dispose();
    return 0;
  });
}

function modelInput(model: Container): [number, number] {
  const s = model.inputShape;
  if (!s || s.length !== 4 || s[1] === null || s[2] === null) throw new UsageError('the model does not take images (N, h, w, 3)');
  return [s[1], s[2]];
}

export async function evaluateCommand(path: string | undefined, data: string | undefined, batchSize: number, steps: number | undefined, dev: DeviceOptions): Promise<number> {
  if (!path) throw new UsageError('--model MODEL.h5 is required');
  requireFile(path, '--model', 'give a model saved with --save (or by Keras model.save)');
  if (!data) throw new UsageError('--data DIR is required (e.g. cats_and_dogs_small/test)');
  requireFolder(data, '--data', 'give a folder with one sub-folder per class, e.g. cats_and_dogs_small/test');
  return withEngine(dev, async () => {
    const { model } = loadModel(path);
    try {
      if (!isCompiled(model)) model.compile({ optimizer: new RMSprop(), loss: 'binary_crossentropy', metrics: ['acc'] });
      const it = new DirectoryIterator(data, { targetSize: modelInput(model), batchSize, shuffle: false, rescale: 1 / 255 });
      const r = await evaluatePass(model, it, steps);
      await it.close();
      if (it.skipped.length) {
        console.warn(`dawnflow: warning: evaluated ${r.images} images; ${it.skipped.length} unreadable ones were left out`);
      }
      console.log(`test loss: ${r.loss}`);
      console.log(`test acc: ${r.acc}`);
      return 0;
    } finally {
      model.dispose();
    }
  });
}

/**
 * Keras's evaluate over one pass of the folder (or its first `steps` batches): loss and
 * accuracy averaged over the images. Unreadable files are skipped and shorten the pass, so the
 * batches are taken up to the pass end, not counted in advance: no image is counted twice.
 */
async function evaluatePass(model: Container, it: DirectoryIterator, steps?: number): Promise<{ loss: number; acc: number; images: number }> {
  let [loss, acc, images, batches] = [0, 0, 0, 0];
  for await (const b of it.onePass()) {
    const [l, a] = await testOnBatch(model, b);
    b.x.dispose();
    b.y.dispose();
    [loss, acc, images] = [loss + l * b.size, acc + a * b.size, images + b.size];
    if (++batches === steps) break;
  }
  return { loss: loss / images, acc: acc / images, images };
}

export async function predictCommand(path: string | undefined, images: string[], dev: DeviceOptions): Promise<number> {
  if (!path) throw new UsageError('--model MODEL.h5 is required');
  requireFile(path, '--model', 'give a model saved with --save (or by Keras model.save)');
  if (!images.length) throw new UsageError('give one or more image files after the flags');
  for (const f of images) requireFile(f, 'image', 'give existing image files after the flags');
  return withEngine(dev, async () => {
    const { model } = loadModel(path);
    const [h, w] = modelInput(model);
    const x = toFloatBatch(images.map((f) => loadImage(f, { targetSize: [h, w] })), 1 / 255);
    const { y } = await model.predict(x, [images.length, h, w, 3], 20);
    images.forEach((f, i) => console.log(`${f}: ${y[i].toFixed(4)} -> ${y[i] > 0.5 ? 'dogs (1)' : 'cats (0)'}`));
    model.dispose();
    return 0;
  });
}
