// The chapter's presets: one place that decides the numbers of `dawnflow chapter`.
// - full: the book's own settings (DLwP 5.3).
// - quick: real transfer learning cut to minutes on a software adapter: 150x150, a few hundred
//   images for approach 1, short approaches 2 and 3, the book's learning rates.
// - demo: no pretrained weights. A random VGG16 base drawn with he_uniform (Keras's glorot_uniform
//   shrinks the signal about 2x per relu layer, so 13 layers leave features that carry nothing)
//   on 64x64 images; approach 2 takes a 2.5x learning rate so its 50 steps are enough. It shows
//   the machinery learning on data made to be learnable; it is not the chapter's transfer learning.
import type { ChapterSettings, PhaseSettings } from './chapter_run.js';
import type { RunState } from './chapter_state.js';

export type PresetName = 'full' | 'quick' | 'demo';

export type PresetSettings = Omit<ChapterSettings, 'data' | 'weights' | 'out' | 'augment' | 'microBatch'>;

const phase = (epochs: number, stepsPerEpoch: number, batchSize: number, validationSteps: number, lr: number,
  validationBatchSize = batchSize): PhaseSettings => ({ epochs, stepsPerEpoch, batchSize, validationBatchSize, validationSteps, lr });

export const PRESETS: Record<PresetName, PresetSettings> = {
  full: {
    targetSize: 150, seed: 1, quick: false, fe: { epochs: 30, batchSize: 20, lr: 2e-5 },
    tr: phase(30, 50, 40, 50, 2e-4, 20), ft: phase(30, 100, 20, 50, 1e-6), testBatchSize: 20,
  },
  quick: {
    targetSize: 150, seed: 1, quick: true, limit: 160, fe: { epochs: 30, batchSize: 20, lr: 2e-5 },
    tr: phase(3, 8, 10, 4, 2e-4), ft: phase(2, 8, 10, 4, 1e-6), testBatchSize: 20,
  },
  demo: {
    targetSize: 64, seed: 1, quick: true, limit: 200, fe: { epochs: 30, batchSize: 20, lr: 2e-4 },
    tr: phase(5, 10, 10, 5, 5e-4), ft: phase(2, 5, 10, 5, 1e-5), testBatchSize: 20,
  },
};

/** Full on hardware unless --quick; on a software adapter quick, or demo without real weights. */
export function choosePreset(o: { full: boolean; quick: boolean; software: boolean; weights: string | null }): PresetName {
  if (o.full || (!o.quick && !o.software)) return 'full';
  return o.weights ? 'quick' : 'demo';
}

/** How a preset departs from the book, in words, for the run's first lines. */
export function describePreset(name: PresetName, s: PresetSettings): string {
  if (name === 'full') return 'the chapter\'s own settings';
  const f = PRESETS.full;
  const lrs = (['fe', 'tr', 'ft'] as const).filter((k) => s[k].lr !== f[k].lr).map((k) => `${k} lr ${s[k].lr} (book ${f[k].lr})`);
  return `${s.targetSize}x${s.targetSize} images; at most ${s.limit} per split for features and test; ` +
    `epochs x steps x batch: approach 2 ${s.tr.epochs}x${s.tr.stepsPerEpoch}x${s.tr.batchSize}, approach 3 ${s.ft.epochs}x${s.ft.stepsPerEpoch}x${s.ft.batchSize} ` +
    `(book 30x50x40, 30x100x20)${lrs.length ? `; ${lrs.join(', ')}` : ''}${s.baseInit ? `; random base drawn with ${s.baseInit}` : ''}`;
}

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
export function estimateFullSeconds(state: RunState, s: ChapterSettings, images: { train: number; validation: number; test: number }): number | null {
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

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
