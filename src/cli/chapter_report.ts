// results.json of a chapter run, from the run's state and test result, and the report.
import { join, resolve } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import type { ChapterOutcome, ChapterSettings } from '../apps/chapter_run.js';
import type { TestResult } from '../apps/chapter_test.js';
import { APPROACHES } from '../apps/chapter.js';
import { PRESETS, type PresetName } from '../apps/chapter_presets.js';
import { PHASES, type Phase } from '../apps/chapter_state.js';
import type { ApproachResult, ChapterResults, PresetChange } from '../report/results.js';
import { writeReport } from '../report/write.js';
import { listImageFolder } from '../data/directory.js';

function approach(s: ChapterSettings, r: ChapterOutcome, name: Phase): ApproachResult {
  const p = r.state.phases[name];
  const { title, optimizer, trains } = APPROACHES[name];
  const hyper: Record<string, string | number | boolean> =
    name === 'feature-extraction'
      ? { optimizer, lr: s.fe.lr, epochs: s.fe.epochs, batchSize: s.fe.batchSize, ...trains }
      : { optimizer, ...(name === 'transfer' ? s.tr : s.ft), augment: s.augment, ...trains };
  hyper.targetSize = s.targetSize;
  return {
    name,
    title,
    hyper,
    history: p.history,
    epochSeconds: p.epochSeconds,
    imagesPerSec: p.imagesPerSec,
    featureSeconds: p.featureSeconds,
    resumedFromEpoch: p.resumedFromEpoch,
    status: p.epochsDone >= Number(hyper.epochs) ? 'done' : p.epochsDone > 0 ? 'running' : 'pending',
  };
}

export function buildResults(
  s: ChapterSettings,
  r: ChapterOutcome,
  test: TestResult,
  gpu: Gpu,
  notes: string[],
  startedAt: string,
  argv: string[],
): ChapterResults {
  const preset = presetOf(s);
  const counts: Record<string, number> = {};
  for (const split of ['train', 'validation', 'test'])
    counts[split] = listImageFolder(join(s.data, split)).files.length;
  const a = gpu.info;
  return {
    version: 1,
    startedAt: r.state.startedAt ?? startedAt,
    finishedAt: new Date().toISOString(),
    command: ['dawnflow', ...argv].join(' '),
    adapter: {
      vendor: a.vendor,
      architecture: a.architecture,
      device: a.device,
      description: a.description,
      software: a.software,
    },
    data: {
      dir: resolve(s.data),
      synthetic: notes.some((n) => n.startsWith('synthetic data')),
      counts,
      limit: s.limit,
    },
    weights: { file: s.weights, random: s.weights === null },
    quick: s.quick,
    summaries: r.summaries,
    approaches: PHASES.map((n) => approach(s, r, n)),
    test: { acc: test.acc, loss: test.loss, images: test.images, misclassified: test.misclassified },
    preset: preset === 'full' ? undefined : { name: preset, changes: presetChanges(s) },
    pipeline: { testImagesPerSec: test.images / test.seconds },
    notes,
  };
}

export function writeChapterReport(out: string, results: ChapterResults): string[] {
  return writeReport(out, results);
}

// As choosePreset decided: quick settings with weights are 'quick', without them 'demo'.
function presetOf(s: ChapterSettings): PresetName {
  return !s.quick ? 'full' : s.weights ? 'quick' : 'demo';
}

type Flat = Record<string, string | number | boolean | null>;

/** 'tr.stepsPerEpoch' -> value, for every number, string and flag of the settings. */
function flatten(o: object, prefix = ''): Flat {
  const out: Flat = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object') Object.assign(out, flatten(v as object, `${prefix}${k}.`));
    else if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[`${prefix}${k}`] = v as Flat[string];
  }
  return out;
}

// Run-specific paths and the preset's own 'quick' flag are not settings a reader compares.
const NOT_SETTINGS = new Set(['data', 'weights', 'out', 'quick']);

/** Every setting of this run that differs from the book's (PRESETS.full), in settings order. */
export function presetChanges(s: ChapterSettings): PresetChange[] {
  const run = flatten(s);
  const book: Flat = { ...flatten(PRESETS.full), augment: true }; // the book augments in approaches 2 and 3
  const keys = [...new Set([...Object.keys(run), ...Object.keys(book)])].filter((k) => !NOT_SETTINGS.has(k));
  return keys
    .filter((k) => (run[k] ?? null) !== (book[k] ?? null))
    .map((k) => ({ setting: k, value: run[k] ?? null, book: book[k] ?? null }));
}
