// `dawnflow scratch --data DIR`: the chapter's from-scratch baseline (DLwP 5.2 with augmentation
// and dropout, the "around 80%" the notes compare against), trained and tested, with the same
// results.json and report as the chapter.
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { withEngine } from '../gpu/engine.js';
import type { DeviceOptions } from '../gpu/device.js';
import { smallConvnet } from '../apps/small_convnet.js';
import { testModel } from '../apps/chapter_test.js';
import { fitOnImages } from '../apps/approach_data.js';
import { SCRATCH_PRESETS, type ScratchPreset } from '../apps/chapter_presets.js';
import { DecodePool, defaultThreads } from '../data/decode_pool.js';
import { ImageCache } from '../data/image_cache.js';
import { listImageFolder } from '../data/directory.js';
import { saveModel } from '../io/keras_weights.js';
import { RMSprop } from '../nn/optimizers/rmsprop.js';
import { setSeed } from '../tensor/random.js';
import { writeReport } from '../report/write.js';
import { UsageError, type FlagSpec } from './args.js';
import { requireSplits, requireWritableFolder } from './paths.js';
import { DEVICE_FLAGS, presetDefault } from './common_flags.js';

/** The run folder of a preset when --out is not given. */
const defaultOut = (quick: boolean): string => join('runs', quick ? 'scratch-quick' : 'scratch');

const preset = (pick: (p: ScratchPreset) => unknown) => presetDefault(SCRATCH_PRESETS, pick);

export const SCRATCH_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  data: { kind: 'string', value: 'DIR', help: 'the photos: a folder holding train/, validation/ and test/ (required)' },
  out: {
    kind: 'string',
    value: 'DIR',
    help: 'the run folder: the model, results.json and the report',
    default: presetDefault({ full: false, quick: true }, defaultOut),
  },
  quick: { kind: 'boolean', help: 'the quick preset, cut to minutes (the default on a software adapter)' },
  full: { kind: 'boolean', help: "the chapter's own settings (the default on a hardware GPU)" },
  epochs: { kind: 'count', help: 'epochs', default: preset((p) => p.epochs) },
  'steps-per-epoch': { kind: 'count', help: 'batches per epoch', default: preset((p) => p.stepsPerEpoch) },
  'batch-size': { kind: 'count', help: 'images per batch', default: preset((p) => p.batchSize) },
  'validation-steps': {
    kind: 'count',
    help: 'validation batches per epoch',
    default: preset((p) => p.validationSteps),
  },
  lr: { kind: 'positive', help: "RMSprop's learning rate", default: preset((p) => p.lr) },
  'target-size': { kind: 'size', help: 'image side in pixels (at least 48)', default: preset((p) => p.targetSize) },
  seed: {
    kind: 'index',
    help: 'seed of the shuffles, augmentation and initial weights',
    default: preset((p) => p.seed),
  },
  'no-augment': { kind: 'boolean', help: 'train on the images as they are (no data augmentation)' },
  limit: { kind: 'count', help: 'at most N images of the test split', default: preset((p) => p.limit) },
};

const int = (f: Record<string, unknown>, k: string, d: number, min = 1): number => {
  const v = (f[k] as number | undefined) ?? d;
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${k} must be an integer >= ${min}, got ${v}`);
  return v;
};

/** The flags over the preset's numbers. */
function settings(f: Record<string, unknown>, d: ScratchPreset) {
  return {
    epochs: int(f, 'epochs', d.epochs),
    steps: int(f, 'steps-per-epoch', d.stepsPerEpoch),
    batch: int(f, 'batch-size', d.batchSize),
    valSteps: int(f, 'validation-steps', d.validationSteps),
    lr: (f.lr as number | undefined) ?? d.lr,
    size: int(f, 'target-size', d.targetSize, 48),
    seed: int(f, 'seed', d.seed, 0),
    augment: !f['no-augment'],
    limit: f.limit === undefined ? d.limit : int(f, 'limit', 1),
  };
}

export async function scratch(f: Record<string, unknown>, dev: DeviceOptions): Promise<number> {
  const data = f.data as string | undefined;
  if (!data) throw new UsageError('--data DIR is required and must hold train/, validation/ and test/');
  requireSplits(data, '--data', ['train', 'validation', 'test']);
  // A given --out is checked before the GPU starts; the default one depends on the preset.
  if (typeof f.out === 'string') requireWritableFolder(f.out, '--out');
  return withEngine(dev, async (gpu) => {
    const quick = f.full ? false : Boolean(f.quick) || gpu.info.software;
    const d = SCRATCH_PRESETS[quick ? 'quick' : 'full'];
    const s = settings(f, d);
    const out = (f.out as string | undefined) ?? defaultOut(quick);
    requireWritableFolder(out, '--out');
    if (quick)
      console.log(
        `dawnflow: NOTE: quick preset: ${s.size}x${s.size}, ${s.epochs} epochs x ${s.steps} steps of ${s.batch}; --full runs the chapter's own settings`,
      );
    setSeed(s.seed);
    const shared = { pool: new DecodePool(defaultThreads()), cache: new ImageCache() };
    const model = smallConvnet([s.size, s.size, 3]);
    model.compile({ optimizer: new RMSprop({ lr: s.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const summary = model.summary();
    const started = new Date().toISOString();
    const phase = {
      epochs: s.epochs,
      stepsPerEpoch: s.steps,
      batchSize: s.batch,
      validationBatchSize: s.batch,
      validationSteps: s.valSteps,
      lr: s.lr,
    };
    const src = { data, targetSize: s.size, ...shared };
    const { history: h } = await fitOnImages(model, src, phase, [0, s.epochs], { seed: s.seed, augment: s.augment });
    mkdirSync(out, { recursive: true });
    await saveModel(model, join(out, 'scratch_model.h5'));
    const test = await testModel(model, data, s.size, d.testBatchSize, s.limit, shared);
    await shared.pool.close();
    console.log(`test acc: ${test.acc}`);
    const counts = Object.fromEntries(
      ['train', 'validation', 'test'].map((k) => [k, listImageFolder(join(data, k)).files.length]),
    );
    const files = writeReport(out, {
      version: 1,
      startedAt: started,
      finishedAt: new Date().toISOString(),
      command: ['dawnflow', ...process.argv.slice(2)].join(' '),
      adapter: gpu.info,
      data: { dir: resolve(data), synthetic: data.includes('synthetic'), counts },
      weights: { file: null, random: true },
      quick,
      summaries: { base: summary, model: summary },
      approaches: [
        {
          name: 'scratch',
          title: 'From scratch: the small convnet with augmentation and dropout (DLwP 5.2)',
          status: 'done',
          hyper: {
            optimizer: 'RMSprop',
            lr: s.lr,
            epochs: s.epochs,
            stepsPerEpoch: s.steps,
            batchSize: s.batch,
            validationSteps: s.valSteps,
            augment: s.augment,
            targetSize: s.size,
          },
          history: {
            loss: h.history.loss,
            acc: h.history.acc,
            val_loss: h.history.val_loss,
            val_acc: h.history.val_acc,
          },
          epochSeconds: h.epochSeconds,
        },
      ],
      test: { acc: test.acc, loss: test.loss, images: test.images, misclassified: test.misclassified },
      notes: ['from-scratch baseline: no pretrained weights are used (none are needed)'],
    });
    console.log(`wrote ${files.join(', ')}`);
    model.dispose();
    return 0;
  });
}
