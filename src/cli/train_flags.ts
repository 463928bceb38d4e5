// Flags shared by the training commands, with the chapter's values as defaults per approach.
import { UsageError, type FlagSpec } from './args.js';
import { PRESETS } from '../apps/chapter_presets.js';
import type { ApproachSettings } from '../apps/approach_run.js';
import type { Phase } from '../apps/chapter_state.js';
import { DEVICE_FLAGS } from './common_flags.js';
import { IMAGENET } from './weights_flag.js';

type Defaults = Omit<ApproachSettings, 'data' | 'augment' | 'shuffle' | 'verbose' | 'seed' | 'strict'>;

const BOOK = PRESETS.full;

/** The single-approach commands take the book's numbers from the one chapter preset. */
export const APPROACH_DEFAULTS: Record<Phase, Defaults> = {
  // Approach 1: the head on pre-computed features (RMSprop), every batch of a pass per epoch.
  'feature-extraction': {
    ...BOOK.fe,
    stepsPerEpoch: 0,
    validationSteps: 0,
    validationBatchSize: BOOK.fe.batchSize,
    targetSize: BOOK.targetSize,
  },
  // Approach 2: frozen base + head on (augmented) images (Adam).
  transfer: { ...BOOK.tr, targetSize: BOOK.targetSize },
  // Approach 3: unfrozen from block5_conv1 (Adam).
  'fine-tune': { ...BOOK.ft, targetSize: BOOK.targetSize },
};

/** Keras's verbose when --verbose is not given: the progress bar. */
const VERBOSE = 1;
/** The seed when --seed is not given. */
const SEED = 0;

/** The training commands' flags, with `command`'s defaults. */
export function trainFlags(command: Phase): FlagSpec {
  const d = APPROACH_DEFAULTS[command];
  const steps = (n: number) => (n === 0 ? '0 (a whole pass)' : n);
  return {
    ...DEVICE_FLAGS,
    data: { kind: 'string', value: 'DIR', help: 'the photos: a folder holding train/ and validation/ (required)' },
    weights: {
      kind: 'string',
      value: `W.h5|${IMAGENET}|random`,
      help: `VGG16's conv-base weights for approaches 1 and 2 (required there): a file, ${IMAGENET}, or random`,
    },
    from: {
      kind: 'string',
      value: 'MODEL.h5',
      help: 'fine-tune: the model saved by `dawnflow transfer --save` (required there)',
    },
    epochs: { kind: 'count', help: 'epochs', default: d.epochs },
    'steps-per-epoch': { kind: 'index', help: 'batches per epoch (0: a whole pass)', default: steps(d.stepsPerEpoch) },
    'validation-steps': {
      kind: 'index',
      help: 'validation batches per epoch (0: a whole pass)',
      default: steps(d.validationSteps),
    },
    'batch-size': { kind: 'count', help: 'images per batch', default: d.batchSize },
    'validation-batch-size': { kind: 'count', help: 'images per validation batch', default: d.validationBatchSize },
    lr: { kind: 'positive', help: "the optimizer's learning rate (approach 1 RMSprop, else Adam)", default: d.lr },
    'target-size': { kind: 'size', help: 'image side in pixels (at least 32)', default: d.targetSize },
    seed: { kind: 'index', help: 'seed of the shuffles, augmentation and initial weights', default: SEED },
    'no-augment': { kind: 'boolean', help: 'train on the images as they are (no data augmentation)' },
    'no-shuffle': { kind: 'boolean', help: 'take the training images in file order' },
    save: { kind: 'string', value: 'OUT.h5', help: 'save the trained model (Keras .h5)' },
    json: { kind: 'string', value: 'RESULT.json', help: 'write the settings, history and timings' },
    checkpoint: { kind: 'string', value: 'P.h5', help: 'save the model after every epoch' },
    features: {
      kind: 'string',
      value: 'DIR',
      help: 'feature-extraction: keep the conv-base features here and reuse them',
    },
    verbose: {
      kind: 'index',
      help:
        "Keras's verbose: 0 silent, 1 a progress bar, 2 a line per epoch " +
        "(Dawn's log lines: dawnflow --verbose " +
        command +
        ')',
      default: VERBOSE,
    },
    limit: { kind: 'count', help: 'feature-extraction: only the first N images of each split', default: 'all' },
    'micro-batch': {
      kind: 'count',
      help: 'largest micro-batch: a larger batch is split and its gradients summed',
      default: 'what the adapter can hold',
    },
    strict: { kind: 'boolean', help: 'stop on an unreadable image (by default it is skipped with a warning)' },
  };
}

/** Approach 2's flags: the kinds are the same for all three commands. */
export const TRAIN_FLAGS = trainFlags('transfer');

function int(flags: Record<string, unknown>, name: string, dflt: number, min = 1): number {
  const v = (flags[name] as number | undefined) ?? dflt;
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export function trainSettings(command: Phase, flags: Record<string, unknown>): ApproachSettings {
  const d = APPROACH_DEFAULTS[command];
  const data = flags.data as string | undefined;
  if (!data) throw new UsageError(`--data DIR is required (a folder with train/ and validation/ inside)`);
  const lr = (flags.lr as number | undefined) ?? d.lr;
  if (!(lr > 0)) throw new UsageError(`--lr must be > 0, got ${lr}`);
  const verbose = int(flags, 'verbose', VERBOSE, 0);
  if (verbose > 2) throw new UsageError('--verbose must be 0, 1 or 2');
  return {
    data,
    weights: flags.weights as string | undefined,
    from: flags.from as string | undefined,
    epochs: int(flags, 'epochs', d.epochs),
    stepsPerEpoch: int(flags, 'steps-per-epoch', d.stepsPerEpoch, 0),
    validationSteps: int(flags, 'validation-steps', d.validationSteps, 0),
    batchSize: int(flags, 'batch-size', d.batchSize),
    validationBatchSize: int(flags, 'validation-batch-size', d.validationBatchSize),
    lr,
    targetSize: int(flags, 'target-size', d.targetSize, 32),
    seed: int(flags, 'seed', SEED, 0),
    augment: !flags['no-augment'],
    shuffle: !flags['no-shuffle'],
    save: flags.save as string | undefined,
    json: flags.json as string | undefined,
    checkpoint: flags.checkpoint as string | undefined,
    features: flags.features as string | undefined,
    verbose: verbose as 0 | 1 | 2,
    limit: flags.limit === undefined ? undefined : int(flags, 'limit', 1),
    microBatch: flags['micro-batch'] === undefined ? undefined : int(flags, 'micro-batch', 1),
    strict: Boolean(flags.strict),
  };
}
