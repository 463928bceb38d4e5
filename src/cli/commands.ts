// The command table: each command's name, one-line summary, usage, arguments and flags (the
// parser's declarations, from which help is rendered) and how it runs. Adding a command here
// adds it to `dawnflow help`, to "did you mean" and to the test that every flag is described.
import type { DeviceOptions } from '../gpu/device.js';
import { EXTRACTION_BATCH, PRESETS, SCRATCH_PRESETS } from '../apps/chapter_presets.js';
import { WORKLOADS } from '../apps/profile.js';
import { DEFAULT_WEIGHTS } from '../io/known_files.js';
import type { Parsed } from './args.js';
import { described } from './common_flags.js';
import type { CommandDoc } from './help.js';
import { bench, BENCH_FLAGS } from './bench.js';
import { chapter, CHAPTER_FLAGS } from './chapter.js';
import { featureFlags, features, FEATURES_FLAGS } from './features.js';
import { FETCH_FLAGS, fetchCommand } from './fetch.js';
import { info, INFO_FLAGS } from './info.js';
import { augmentPreviewCommand, PREVIEW_FLAGS } from './preview.js';
import { PROFILE_FLAGS, profileCommand } from './profile.js';
import { scratch, SCRATCH_FLAGS } from './scratch.js';
import { summary, SUMMARY_FLAGS, summaryFlags, SUMMARY_MODELS } from './summary.js';
import { approachCommand, evaluateCommand, EVALUATE_FLAGS, predictCommand, PREDICT_FLAGS } from './train.js';
import { trainFlags, trainSettings } from './train_flags.js';
import { TUNE_FLAGS, tuneCommand } from './tune.js';
import { weightsCommand } from './weights.js';

export interface Command extends CommandDoc {
  /** Arguments without a flag it takes at most (a stray word is an error). */
  maxPositional: number;
  run(a: Parsed, dev: DeviceOptions): Promise<number>;
}

const BOOK = PRESETS.full;

/** PROFILE_FLAGS' kinds are declared in profile.ts; their meaning here. */
const PROFILE_DOCS = described(PROFILE_FLAGS, {
  steps: { help: 'profiled steps after one warm-up step', default: 'fewer on a software adapter (printed)' },
  out: { value: 'DIR', help: 'where profile.json and profile.html go', default: 'a new folder under runs/' },
  batch: {
    help: 'images per batch',
    default:
      `the chapter's (transfer ${BOOK.tr.batchSize}, fine-tune ${BOOK.ft.batchSize}, ` +
      `features ${EXTRACTION_BATCH}, scratch ${SCRATCH_PRESETS.full.batchSize}); smaller on a software adapter`,
  },
  size: {
    help: 'image side in pixels (at least 32; scratch 46)',
    default: `${BOOK.targetSize}; smaller on a software adapter`,
  },
  'dump-wgsl': { value: 'DIR', help: 'also write every kernel specialisation run, as WGSL' },
  weights: {
    value: 'W.h5|imagenet',
    help: 'real VGG16 weights (kernel times do not change; not for scratch)',
    default: 'random',
  },
  method: { value: 'auto|timestamp-query|replay', help: 'how kernels are timed', default: 'auto' },
});

const flag = (a: Parsed, k: string) => a.flags[k] as string | undefined;

function approach(name: 'feature-extraction' | 'transfer' | 'fine-tune', summary: string, usage: string): Command {
  return {
    name,
    summary,
    usage: [usage],
    flags: trainFlags(name),
    maxPositional: 0,
    run: (a, dev) =>
      approachCommand(name, trainSettings(name, a.flags), dev, a.flags['target-size'] as number | undefined),
  };
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'chapter',
    summary: 'the whole chapter: 3 approaches, test accuracy and a report (resumable)',
    usage: ['chapter [--data DIR|cats-vs-dogs] [--weights W.h5|imagenet|random] [--quick|--full] [flags]'],
    flags: CHAPTER_FLAGS,
    maxPositional: 0,
    run: (a, dev) => chapter(a.flags, dev),
    notes: ["Presets: full (the book's settings), quick (real weights, software adapter), demo (no weights there)."],
  },
  {
    name: 'scratch',
    summary: 'the from-scratch small convnet baseline (DLwP 5.2), with the same report',
    usage: ['scratch --data DIR [--quick|--full] [flags]'],
    flags: SCRATCH_FLAGS,
    maxPositional: 0,
    run: (a, dev) => scratch(a.flags, dev),
  },
  approach(
    'feature-extraction',
    'approach 1: the head trained on VGG16 conv-base features',
    'feature-extraction --data DIR --weights W.h5|imagenet|random [flags]',
  ),
  approach(
    'transfer',
    'approach 2: frozen VGG16 base + head, trained on (augmented) images',
    'transfer --data DIR --weights W.h5|imagenet|random [flags]',
  ),
  approach(
    'fine-tune',
    'approach 3: the transfer model unfrozen from block5_conv1',
    'fine-tune --from MODEL.h5 --data DIR [flags]',
  ),
  {
    name: 'features',
    summary: "VGG16 conv-base features of a folder of images, as .npy (approach 1's input)",
    usage: ['features --weights W.h5|imagenet|random --data DIR --out FILE.npy [flags]'],
    flags: FEATURES_FLAGS,
    maxPositional: 0,
    run: (a, dev) => features(featureFlags(a.flags), dev),
  },
  {
    name: 'evaluate',
    summary: 'test loss and accuracy of a saved model on a folder of images',
    usage: ['evaluate --model MODEL.h5 --data DIR [flags]'],
    flags: EVALUATE_FLAGS,
    maxPositional: 0,
    run: (a, dev) => evaluateCommand(a.flags, dev),
  },
  {
    name: 'predict',
    summary: "a saved model's prediction for each image",
    usage: ['predict --model MODEL.h5 IMAGE...'],
    args: [['IMAGE...', "image files (resized to the model's input)"]],
    flags: PREDICT_FLAGS,
    maxPositional: Infinity,
    run: (a, dev) => predictCommand(flag(a, 'model'), a.positional, a.flags['target-size'] as number | undefined, dev),
  },
  {
    name: 'augment-preview',
    summary: "a PNG grid of augmented images with the chapter's settings",
    usage: ['augment-preview --data DIR --out FILE.png [flags]'],
    flags: PREVIEW_FLAGS,
    maxPositional: 0,
    run: (a, dev) => augmentPreviewCommand(a.flags, dev),
  },
  {
    name: 'summary',
    summary: "Keras 2.3's model.summary() of a built-in model or a .h5 file",
    usage: [`summary ${SUMMARY_MODELS.join('|')}|FILE.h5 [flags]`],
    args: [['MODEL', `${SUMMARY_MODELS.join(', ')}, or a Keras .h5 file (a weights-only file lists its layers)`]],
    flags: SUMMARY_FLAGS,
    maxPositional: 1,
    run: (a, dev) => summary(a.positional[0], summaryFlags(a.flags), dev),
  },
  {
    name: 'info',
    summary: 'the WebGPU adapter, its features and limits',
    usage: ['info [--json]'],
    flags: INFO_FLAGS,
    maxPositional: 0,
    run: (a, dev) => info(dev, Boolean(a.flags.json)),
  },
  {
    name: 'bench',
    summary: 'kernel, end-to-end and pipeline benchmarks; TF.js and onnxruntime on the same adapter',
    usage: ['bench [--suite kernels|e2e|pipeline|learning|scaling|all|none] [--peers] [flags]'],
    flags: BENCH_FLAGS,
    maxPositional: 0,
    run: (a, dev) => bench(dev, a.flags),
  },
  {
    name: 'profile',
    summary: "kernel timeline of a workload's training steps: profile.json and profile.html",
    usage: [`profile ${WORKLOADS.join('|')} [flags]`],
    args: [['WORKLOAD', `which steps: ${WORKLOADS.join(', ')}`]],
    flags: PROFILE_DOCS,
    maxPositional: 1,
    run: (a, dev) => profileCommand(a.positional[0], a.flags, dev),
  },
  {
    name: 'tune',
    summary: "time each conv kernel variant on VGG16's shapes; the fastest is cached for this adapter",
    usage: ['tune [flags]'],
    flags: TUNE_FLAGS,
    maxPositional: 0,
    run: (a, dev) => tuneCommand(a.flags, dev),
    notes: ['DAWNFLOW_TUNING=off makes later runs ignore the cache.'],
  },
  {
    name: 'fetch',
    summary: "VGG16's ImageNet weights or the chapter's photos, downloaded once (resumable, checked)",
    usage: ['fetch weights [--include-top]', 'fetch data cats-vs-dogs [--out DIR]'],
    args: [
      ['weights', 'into $KERAS_HOME/models (~/.keras), unless already there or in weights/'],
      ['data cats-vs-dogs', "the photos of the book's split: train/, validation/, test/"],
    ],
    flags: FETCH_FLAGS,
    maxPositional: 2,
    run: (a) => fetchCommand(a.positional, a.flags),
  },
  {
    name: 'weights',
    summary: 'size, md5 and VGG16 layout of a weights file',
    usage: ['weights verify [FILE]'],
    args: [['FILE', `the weights file; default ${DEFAULT_WEIGHTS}`]],
    flags: {},
    maxPositional: 2,
    run: (a) => weightsCommand(a.positional),
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
