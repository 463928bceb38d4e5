// The chapter's presets: one place that decides the numbers of `dawnflow chapter`.
// - full: the book's own settings (DLwP 5.3).
// - quick: real transfer learning cut to minutes on a software adapter: 150x150, a few hundred
//   images for approach 1, short approaches 2 and 3, the book's learning rates.
// - demo: no pretrained weights. A random VGG16 base drawn with he_uniform (Keras's glorot_uniform
//   shrinks the signal about 2x per relu layer, so 13 layers leave features that carry nothing)
//   on 64x64 images; approach 2 takes a 2.5x learning rate so its 50 steps are enough. It shows
//   the machinery learning on data made to be learnable; it is not the chapter's transfer learning.
import type { KernelInitializer } from '../tensor/init.js';
import type { RunState } from './chapter_state.js';

/** Approach 2 or 3: epochs of `stepsPerEpoch` batches (a whole pass where 0), then validation. */
export interface PhaseSettings {
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  validationBatchSize: number;
  validationSteps: number;
  lr: number;
}

export interface ChapterSettings {
  data: string;
  weights: string | null;
  out: string;
  targetSize: number;
  seed: number;
  quick: boolean;
  /** The random base's kernel draw when `weights` is null (see vgg16's kernelInitializer). */
  baseInit?: KernelInitializer;
  augment: boolean;
  microBatch?: number;
  /** Images per split for the features and the test (a quick run); all by default. */
  limit?: number;
  fe: { epochs: number; batchSize: number; lr: number };
  tr: PhaseSettings;
  ft: PhaseSettings;
  testBatchSize: number;
}

export type PresetName = 'full' | 'quick' | 'demo';

export type PresetSettings = Omit<ChapterSettings, 'data' | 'weights' | 'out' | 'augment' | 'microBatch'>;

const phase = (
  epochs: number,
  stepsPerEpoch: number,
  batchSize: number,
  validationSteps: number,
  lr: number,
  validationBatchSize = batchSize,
): PhaseSettings => ({ epochs, stepsPerEpoch, batchSize, validationBatchSize, validationSteps, lr });

/** The book's own settings. */
const BOOK: PresetSettings = {
  targetSize: 150,
  seed: 1,
  quick: false,
  fe: { epochs: 30, batchSize: 20, lr: 2e-5 },
  tr: phase(30, 50, 40, 50, 2e-4, 20),
  ft: phase(30, 100, 20, 50, 1e-6),
  testBatchSize: 20,
};

// Keys in the same order in every preset: a run folder's settings key is their JSON.
export const PRESETS: Record<PresetName, PresetSettings> = {
  full: BOOK,
  quick: {
    targetSize: BOOK.targetSize,
    seed: 1,
    quick: true,
    limit: 160,
    fe: { ...BOOK.fe },
    tr: phase(3, 8, 10, 4, BOOK.tr.lr),
    ft: phase(2, 8, 10, 4, BOOK.ft.lr),
    testBatchSize: BOOK.testBatchSize,
  },
  demo: {
    targetSize: 64,
    seed: 1,
    quick: true,
    limit: 200,
    fe: { ...BOOK.fe, lr: 2e-4 },
    tr: phase(5, 10, 10, 5, 5e-4),
    ft: phase(2, 5, 10, 5, 1e-5),
    testBatchSize: BOOK.testBatchSize,
  },
};

/** The notebook's extract_features batch_size: images per conv-base batch in approach 1. */
export const EXTRACTION_BATCH = 20;

/** The from-scratch baseline (DLwP 5.2 with augmentation and dropout), `dawnflow scratch`. */
export interface ScratchPreset {
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  validationSteps: number;
  lr: number;
  targetSize: number;
  seed: number;
  testBatchSize: number;
  /** Images of the test split (all when absent). */
  limit?: number;
}

export const SCRATCH_PRESETS: Record<'full' | 'quick', ScratchPreset> = {
  // RMSprop 1e-4, 100 epochs x 100 steps of 32 augmented images, 50 validation steps.
  full: {
    epochs: 100,
    stepsPerEpoch: 100,
    batchSize: 32,
    validationSteps: 50,
    lr: 1e-4,
    targetSize: BOOK.targetSize,
    seed: 1,
    testBatchSize: BOOK.testBatchSize,
  },
  quick: {
    epochs: 3,
    stepsPerEpoch: 4,
    batchSize: 10,
    validationSteps: 2,
    lr: 1e-4,
    targetSize: 64,
    seed: 1,
    testBatchSize: BOOK.testBatchSize,
    limit: 40,
  },
};

/** Full on hardware unless --quick; on a software adapter quick, or demo without real weights. */
export function choosePreset(o: {
  full: boolean;
  quick: boolean;
  software: boolean;
  weights: string | null;
}): PresetName {
  if (o.full || (!o.quick && !o.software)) return 'full';
  return o.weights ? 'quick' : 'demo';
}

/** How a preset departs from the book, in words, for the run's first lines. */
export function describePreset(name: PresetName, s: PresetSettings): string {
  if (name === 'full') return "the chapter's own settings";
  const f = PRESETS.full;
  const lrs = (['fe', 'tr', 'ft'] as const)
    .filter((k) => s[k].lr !== f[k].lr)
    .map((k) => `${k} lr ${s[k].lr} (book ${f[k].lr})`);
  return (
    `${s.targetSize}x${s.targetSize} images; at most ${s.limit} per split for features and test; ` +
    `epochs x steps x batch: approach 2 ${shape(s.tr)}, approach 3 ${shape(s.ft)} ` +
    `(book ${shape(f.tr)}, ${shape(f.ft)})` +
    `${lrs.length ? `; ${lrs.join(', ')}` : ''}${s.baseInit ? `; random base drawn with ${s.baseInit}` : ''}`
  );
}

const shape = (p: PhaseSettings): string => `${p.epochs}x${p.stepsPerEpoch}x${p.batchSize}`;

/** Seconds per image of a phase's epochs as measured (training and validation images alike). */
function perImage(state: RunState, key: 'transfer' | 'fine-tune', p: PhaseSettings): number | null {
  const secs = state.phases[key].epochSeconds;
  if (!secs.length) return null;
  const images = p.stepsPerEpoch * p.batchSize + p.validationSteps * p.validationBatchSize;
  return secs.reduce((a, b) => a + b, 0) / secs.length / images;
}

/**
 * The full chapter's wall time on this adapter, extrapolated from this run's phases (scaled by
 * pixels when the run used smaller images); null when a phase has no measurement.
 */
export function estimateFullSeconds(
  state: RunState,
  s: ChapterSettings,
  images: { train: number; validation: number; test: number },
): number | null {
  const f = PRESETS.full;
  const scale = (f.targetSize / s.targetSize) ** 2;
  const fe = state.phases['feature-extraction'];
  const counts = [images.train, images.validation, images.test];
  const featured = counts.reduce((a, n) => a + Math.min(s.limit ?? n, n), 0);
  const tr = perImage(state, 'transfer', s.tr);
  const ft = perImage(state, 'fine-tune', s.ft);
  if (!fe.featureSeconds || !featured || tr === null || ft === null) return null;
  const all = images.train + images.validation + images.test;
  const featureSeconds = (fe.featureSeconds / featured) * all * scale;
  const epochImages = (p: PhaseSettings) => p.stepsPerEpoch * p.batchSize + p.validationSteps * p.validationBatchSize;
  return featureSeconds + (tr * epochImages(f.tr) * f.tr.epochs + ft * epochImages(f.ft) * f.ft.epochs) * scale;
}

/**
 * Relative cost of an image in each kind of step, against one conv-base inference: approach 2
 * adds augmentation and the head's backward pass, approach 3 the backward pass of block 5.
 */
const STEP_COST = { transferTrain: 1.1, fineTuneTrain: 1.3, validation: 1 };

/**
 * The seconds this run has left on this adapter, from one measured conv-base step (seconds per
 * image): the splits whose features are not on disk yet (`pendingImages`), then every epoch not
 * done. For the line printed before a long run; the closing estimate uses estimateFullSeconds.
 */
export function estimateRemainingSeconds(
  state: RunState,
  s: ChapterSettings,
  pendingImages: number,
  secondsPerImage: number,
): number {
  const left = (key: 'feature-extraction' | 'transfer' | 'fine-tune', epochs: number) =>
    Math.max(0, epochs - state.phases[key].epochsDone);
  const epoch = (p: PhaseSettings, train: number) =>
    p.stepsPerEpoch * p.batchSize * train + p.validationSteps * p.validationBatchSize * STEP_COST.validation;
  const images =
    pendingImages +
    left('transfer', s.tr.epochs) * epoch(s.tr, STEP_COST.transferTrain) +
    left('fine-tune', s.ft.epochs) * epoch(s.ft, STEP_COST.fineTuneTrain);
  return images * secondsPerImage;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
