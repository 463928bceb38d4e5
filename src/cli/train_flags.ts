// Flags shared by the training commands, with the chapter's values as defaults per approach.
import { UsageError, type FlagSpec } from './args.js';
import { PRESETS } from '../apps/chapter_presets.js';
import type { ApproachSettings } from '../apps/approach_run.js';
import type { Phase } from '../apps/chapter_state.js';

export const TRAIN_FLAGS: FlagSpec = {
  adapter: 'string', backend: 'string', data: 'string', weights: 'string', from: 'string',
  epochs: 'count', 'steps-per-epoch': 'index', 'validation-steps': 'index', 'batch-size': 'count',
  'validation-batch-size': 'count', lr: 'positive', 'target-size': 'size', seed: 'index',
  'no-augment': 'boolean', 'no-shuffle': 'boolean', save: 'string', json: 'string', checkpoint: 'string',
  features: 'string', verbose: 'index', limit: 'count', 'micro-batch': 'count', strict: 'boolean',
};

type Defaults = Omit<ApproachSettings, 'data' | 'augment' | 'shuffle' | 'verbose' | 'seed' | 'strict'>;

const BOOK = PRESETS.full;

/** The single-approach commands take the book's numbers from the one chapter preset. */
export const APPROACH_DEFAULTS: Record<Phase, Defaults> = {
  // Approach 1: the head on pre-computed features (RMSprop), every batch of a pass per epoch.
  'feature-extraction': { ...BOOK.fe, stepsPerEpoch: 0, validationSteps: 0, validationBatchSize: BOOK.fe.batchSize, targetSize: BOOK.targetSize },
  // Approach 2: frozen base + head on (augmented) images (Adam).
  transfer: { ...BOOK.tr, targetSize: BOOK.targetSize },
  // Approach 3: unfrozen from block5_conv1 (Adam).
  'fine-tune': { ...BOOK.ft, targetSize: BOOK.targetSize },
};

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
  const verbose = int(flags, 'verbose', 1, 0);
  if (verbose > 2) throw new UsageError('--verbose must be 0, 1 or 2');
  return {
    data, weights: flags.weights as string | undefined, from: flags.from as string | undefined,
    epochs: int(flags, 'epochs', d.epochs), stepsPerEpoch: int(flags, 'steps-per-epoch', d.stepsPerEpoch, 0),
    validationSteps: int(flags, 'validation-steps', d.validationSteps, 0), batchSize: int(flags, 'batch-size', d.batchSize),
    validationBatchSize: int(flags, 'validation-batch-size', d.validationBatchSize), lr,
    targetSize: int(flags, 'target-size', d.targetSize, 32), seed: int(flags, 'seed', 0, 0),
    augment: !flags['no-augment'], shuffle: !flags['no-shuffle'], save: flags.save as string | undefined,
    json: flags.json as string | undefined, checkpoint: flags.checkpoint as string | undefined,
    features: flags.features as string | undefined, verbose: verbose as 0 | 1 | 2,
    limit: flags.limit === undefined ? undefined : int(flags, 'limit', 1),
    microBatch: flags['micro-batch'] === undefined ? undefined : int(flags, 'micro-batch', 1),
    strict: Boolean(flags.strict),
  };
}
