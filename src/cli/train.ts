// The chapter's three approaches as commands (run by src/apps/approach_run.ts), plus evaluate
// and predict on saved models. Here: the flags' paths checked before anything starts, the
// weights resolved, the engine started.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withEngine } from '../gpu/engine.js';
import type { DeviceOptions } from '../gpu/device.js';
import { runApproach, type ApproachSettings } from '../apps/approach_run.js';
import { NoNestedBaseError } from '../apps/chapter.js';
import type { Phase } from '../apps/chapter_state.js';
import { TEST_SEED } from '../apps/chapter_test.js';
import { phaseBar } from '../apps/phase_bar.js';
import { DirectoryIterator } from '../data/directory_iterator.js';
import { loadImage, toFloatBatch } from '../data/load_img.js';
import { loadModel } from '../io/keras_weights.js';
import type { Container } from '../nn/container.js';
import { RMSprop } from '../nn/optimizers/rmsprop.js';
import { isCompiled, testOnBatch } from '../nn/training.js';
import { Tensor } from '../tensor/tensor.js';
import { UsageError, type FlagSpec } from './args.js';
import { DEVICE_FLAGS } from './common_flags.js';
import { resolveWeights } from './features.js';
import { sizeFromModel } from './model_input.js';
import { requireFile, requireFolder, requireImages, requireWritableFile, requireWritableFolder } from './paths.js';

/** Images per evaluate batch when --batch-size is not given (Keras's default batch_size). */
const EVALUATE_BATCH = 20;

/** Taken from the model; given, it must agree (a check, not a setting). */
const TARGET_SIZE_FLAG = {
  kind: 'size',
  help: "image side in pixels; must be the model's own",
  default: "the model's input size",
} as const;

const MODEL_FLAG = {
  kind: 'string',
  value: 'MODEL.h5',
  help: 'a model saved with --save (or by Keras model.save) (required)',
} as const;

export const EVALUATE_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  model: MODEL_FLAG,
  data: {
    kind: 'string',
    value: 'DIR',
    help: 'a folder of class sub-folders, e.g. cats_and_dogs_small/test (required)',
  },
  'batch-size': { kind: 'count', help: 'images per batch', default: EVALUATE_BATCH },
  steps: {
    kind: 'count',
    help: 'at most N batches, drawn shuffled (--seed) so that every class is sampled',
    default: 'one pass over the images',
  },
  seed: { kind: 'index', help: 'seed of the shuffle of a partial evaluation (--steps)', default: TEST_SEED },
  'target-size': TARGET_SIZE_FLAG,
};

export const PREDICT_FLAGS: FlagSpec = { ...DEVICE_FLAGS, model: MODEL_FLAG, 'target-size': TARGET_SIZE_FLAG };

/** Every path the training commands read or write, checked before anything starts. */
function checkPaths(command: Phase, s: ApproachSettings): void {
  requireFolder(s.data, '--data', 'it must hold train/ and validation/ (the flow_from_directory layout)');
  const files: [string, string | undefined][] = [
    ['--save', s.save],
    ['--json', s.json],
    ['--checkpoint', s.checkpoint],
  ];
  for (const [flag, path] of files) if (path) requireWritableFile(path, flag);
  if (s.features) requireWritableFolder(s.features, '--features');
  for (const split of ['train', 'validation']) {
    // Approach 1 reads a split's features kept by an earlier run instead of its images.
    const kept = command === 'feature-extraction' && s.features && existsSync(join(s.features, `${split}.json`));
    const d = join(s.data, split);
    const fix = '--data must hold train/ and validation/ (flow_from_directory layout)';
    if (!kept && !existsSync(d)) throw new UsageError(`${d} not found: ${fix}`);
    if (!kept) requireImages(d, '--data');
  }
}

/** `dawnflow feature-extraction|transfer|fine-tune`. */
export async function approachCommand(
  command: Phase,
  s: ApproachSettings,
  dev: DeviceOptions,
  givenSize?: number,
): Promise<number> {
  if (command === 'fine-tune') {
    if (!s.from) throw new UsageError('--from MODEL.h5 is required (the model saved by dawnflow transfer --save)');
    requireFile(s.from, '--from', 'give the model saved by dawnflow transfer --save');
  }
  checkPaths(command, s);
  // Approach 3 reads the images at the size the saved model takes; --target-size may only repeat it.
  if (s.from && command === 'fine-tune') s.targetSize = sizeFromModel(s.from, '--from', givenSize)[0];
  const weights = command === 'fine-tune' ? null : await resolveWeights(s.weights);
  return withEngine(dev, async () => {
    try {
      await runApproach(command, s, weights, (line) => console.log(line));
    } catch (e) {
      throw e instanceof NoNestedBaseError ? new UsageError(e.message) : e;
    }
    return 0;
  });
}

export async function evaluateCommand(flags: Record<string, unknown>, dev: DeviceOptions): Promise<number> {
  const path = flags.model as string | undefined;
  const data = flags.data as string | undefined;
  const batchSize = (flags['batch-size'] as number | undefined) ?? EVALUATE_BATCH;
  const steps = flags.steps as number | undefined;
  if (!path) throw new UsageError('--model MODEL.h5 is required');
  requireFile(path, '--model', 'give a model saved with --save (or by Keras model.save)');
  if (!data) throw new UsageError('--data DIR is required (e.g. cats_and_dogs_small/test)');
  requireFolder(data, '--data', 'give a folder with one sub-folder per class, e.g. cats_and_dogs_small/test');
  requireImages(data, '--data');
  const targetSize = sizeFromModel(path, '--model', flags['target-size'] as number | undefined);
  return withEngine(dev, async () => {
    const { model } = await loadModel(path);
    try {
      if (!isCompiled(model))
        model.compile({ optimizer: new RMSprop(), loss: 'binary_crossentropy', metrics: ['acc'] });
      // A partial evaluation is shuffled as the chapter's test generator is: the first batches
      // of the sorted listing would hold one class only.
      const seed = (flags.seed as number | undefined) ?? TEST_SEED;
      const it = new DirectoryIterator(data, {
        targetSize,
        batchSize,
        shuffle: steps !== undefined,
        seed,
        rescale: 1 / 255,
      });
      const r = await evaluatePass(model, it, steps);
      await it.close();
      if (it.skipped.length) {
        console.warn(
          `dawnflow: warning: evaluated ${r.images} images; ${it.skipped.length} unreadable ones were left out`,
        );
      }
      if (steps !== undefined && r.images < it.samples - it.skipped.length)
        console.warn(
          `dawnflow: evaluated ${r.images} of ${it.samples} images (--steps ${steps} of ${batchSize}, ` +
            `shuffled with --seed ${seed}); leave --steps out for all of them`,
        );
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
async function evaluatePass(
  model: Container,
  it: DirectoryIterator,
  steps?: number,
): Promise<{ loss: number; acc: number; images: number }> {
  let [loss, acc, images, batches] = [0, 0, 0, 0];
  const bar = phaseBar(Math.min(it.samples, (steps ?? Infinity) * it.batchSize));
  for await (const b of it.onePass()) {
    const [l, a] = await testOnBatch(model, b);
    b.x.dispose();
    b.y.dispose();
    [loss, acc, images] = [loss + l * b.size, acc + a * b.size, images + b.size];
    bar.update(images);
    if (++batches === steps) break;
  }
  bar.end(images);
  return { loss: loss / images, acc: acc / images, images };
}

/** Images per predict batch (Keras's default batch_size): a folder's worth is read in steps. */
const PREDICT_BATCH = 20;

export async function predictCommand(
  path: string | undefined,
  images: string[],
  targetSize: number | undefined,
  dev: DeviceOptions,
): Promise<number> {
  if (!path) throw new UsageError('--model MODEL.h5 is required');
  requireFile(path, '--model', 'give a model saved with --save (or by Keras model.save)');
  if (!images.length) throw new UsageError('give one or more image files after the flags');
  for (const f of images) requireFile(f, 'image', 'give existing image files after the flags');
  const [h, w] = sizeFromModel(path, '--model', targetSize);
  return withEngine(dev, async () => {
    const { model } = await loadModel(path);
    try {
      const bar = phaseBar(images.length > PREDICT_BATCH ? images.length : 0);
      for (let i = 0; i < images.length; i += PREDICT_BATCH) {
        const some = images.slice(i, i + PREDICT_BATCH);
        const x = toFloatBatch(
          some.map((f) => loadImage(f, { targetSize: [h, w] })),
          1 / 255,
        );
        const xt = Tensor.fromArray(x, [some.length, h, w, 3]);
        const yt = model.predict(xt, { batchSize: PREDICT_BATCH });
        const y = (await yt.data()) as Float32Array;
        for (const t of [xt, yt]) t.dispose();
        bar.update(i + some.length);
        some.forEach((f, j) => console.log(`${f}: ${y[j].toFixed(4)} -> ${y[j] > 0.5 ? 'dogs (1)' : 'cats (0)'}`));
      }
      return 0;
    } finally {
      model.dispose();
    }
  });
}
