// The chapter's presets: which one a run takes, how it says where it departs from the book, and
// the --full estimate extrapolated from a run's measured phases.
import { expect, test } from 'vitest';
import {
  choosePreset,
  describePreset,
  estimateFullSeconds,
  formatDuration,
  PRESETS,
} from '../../src/apps/chapter_presets.js';
import type { ChapterSettings } from '../../src/apps/chapter_run.js';
import { freshState } from '../../src/apps/chapter_state.js';

test('hardware runs the book; a software adapter runs quick with real weights and demo without', () => {
  expect(choosePreset({ full: false, quick: false, software: false, weights: null })).toBe('full');
  expect(choosePreset({ full: true, quick: false, software: true, weights: null })).toBe('full');
  expect(choosePreset({ full: false, quick: false, software: true, weights: 'w.h5' })).toBe('quick');
  expect(choosePreset({ full: false, quick: false, software: true, weights: null })).toBe('demo');
  expect(choosePreset({ full: false, quick: true, software: false, weights: 'w.h5' })).toBe('quick');
});

test('the book preset is the chapter; the quick one keeps its learning rates at 150x150', () => {
  const f = PRESETS.full;
  expect([f.targetSize, f.fe.lr, f.tr.lr, f.ft.lr, f.tr.batchSize, f.ft.stepsPerEpoch]).toEqual([
    150, 2e-5, 2e-4, 1e-6, 40, 100,
  ]);
  expect(PRESETS.quick.targetSize).toBe(150);
  expect(describePreset('quick', PRESETS.quick)).not.toContain('lr');
  const demo = describePreset('demo', { ...PRESETS.demo, baseInit: 'he_uniform' });
  expect(demo).toContain('64x64');
  expect(demo).toContain('fe lr 0.0002 (book 0.00002)');
  expect(demo).toContain('tr lr 0.0005 (book 0.0002)');
  expect(demo).toContain('random base drawn with he_uniform');
});

test("the --full estimate scales measured seconds per image to the book's counts and pixels", () => {
  const s = { ...PRESETS.quick, data: 'd', weights: 'w', out: 'o', augment: true } as ChapterSettings;
  const state = freshState('k', 1);
  // 3 x 160 images featured in 48 s: 0.1 s per image; 2000 + 1000 + 1000 images -> 400 s.
  state.phases['feature-extraction'].featureSeconds = 48;
  // transfer epochs: 8 x 10 + 4 x 10 = 120 images in 12 s: 0.1 s/image; fine-tune 0.2 s/image.
  state.phases.transfer.epochSeconds = [12, 12, 12];
  state.phases['fine-tune'].epochSeconds = [24, 24];
  const full = estimateFullSeconds(state, s, { train: 2000, validation: 1000, test: 1000 });
  // book: transfer 30 x (50 x 40 + 50 x 20) images, fine-tune 30 x (100 x 20 + 50 x 20).
  expect(full).toBeCloseTo(400 + 0.1 * 30 * 3000 + 0.2 * 30 * 3000, 6);
  // At 64x64 the same seconds mean (150/64)^2 times more work per image at 150.
  const small = estimateFullSeconds(state, { ...s, targetSize: 64 }, { train: 2000, validation: 1000, test: 1000 });
  expect(small! / full!).toBeCloseTo((150 / 64) ** 2, 6);
  expect(estimateFullSeconds(freshState('k', 1), s, { train: 1, validation: 1, test: 1 })).toBeNull();
  expect([formatDuration(42), formatDuration(600), formatDuration(30 * 3600)]).toEqual(['42 s', '10 min', '30.0 h']);
});
