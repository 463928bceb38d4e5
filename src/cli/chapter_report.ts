// results.json of a chapter run, from the run's state and test result, and the report.
import { join, resolve } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import type { ChapterOutcome, ChapterSettings } from '../apps/chapter_run.js';
import type { TestResult } from '../apps/chapter_test.js';
import { APPROACHES } from '../apps/chapter.js';
import { PHASES, type Phase } from '../apps/chapter_state.js';
import type { ApproachResult, ChapterResults } from '../report/results.js';
import { writeReport } from '../report/write.js';
import { listImageFolder } from '../data/directory.js';

function approach(s: ChapterSettings, r: ChapterOutcome, name: Phase): ApproachResult {
  const p = r.state.phases[name];
  const { title, optimizer, trains } = APPROACHES[name];
  const hyper: Record<string, string | number | boolean> = name === 'feature-extraction'
    ? { optimizer, lr: s.fe.lr, epochs: s.fe.epochs, batchSize: s.fe.batchSize, ...trains }
    : { optimizer, ...(name === 'transfer' ? s.tr : s.ft), augment: s.augment, ...trains };
  hyper.targetSize = s.targetSize;
  return {
    name, title, hyper, history: p.history, epochSeconds: p.epochSeconds, imagesPerSec: p.imagesPerSec,
    featureSeconds: p.featureSeconds, resumedFromEpoch: p.resumedFromEpoch,
    status: p.epochsDone >= Number(hyper.epochs) ? 'done' : p.epochsDone > 0 ? 'running' : 'pending',
  };
}

export function buildResults(s: ChapterSettings, r: ChapterOutcome, test: TestResult, gpu: Gpu, notes: string[],
  startedAt: string, argv: string[]): ChapterResults {
  const counts: Record<string, number> = {};
  for (const split of ['train', 'validation', 'test']) counts[split] = listImageFolder(join(s.data, split)).files.length;
  const a = gpu.info;
  return {
    version: 1, startedAt: r.state.startedAt ?? startedAt, finishedAt: new Date().toISOString(),
    command: ['dawnflow', ...argv].join(' '),
    adapter: { vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description, software: a.software },
    data: { dir: resolve(s.data), synthetic: notes.some((n) => n.startsWith('synthetic data')), counts },
    weights: { file: s.weights, random: s.weights === null }, quick: s.quick,
    summaries: r.summaries,
    approaches: PHASES.map((n) => approach(s, r, n)),
    test: { acc: test.acc, loss: test.loss, misclassified: test.misclassified },
    pipeline: { testImagesPerSec: test.images / test.seconds },
    notes,
  };
}

export function writeChapterReport(out: string, results: ChapterResults): string[] {
  return writeReport(out, results);
}
