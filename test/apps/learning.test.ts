// Learning, not just arithmetic: the synthetic set the first run uses, the learning benchmark's
// run and files on it (the small convnet from scratch must beat chance by a wide margin), and
// bench/RESULTS.md keeping one learning section per image size beside the other suites.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ensureSyntheticData, SYNTHETIC_COUNTS, SYNTHETIC_VERSION } from '../../src/apps/synthetic_data.js';
import { listImageFolder } from '../../src/data/directory.js';
import { isTempName } from '../../src/util/atomic_write.js';
import { runLearningBench, type LearningReport } from '../../bench/learning.js';
import { writeLearningFiles } from '../../bench/learning_results.js';
import { writeResults, type BenchReport } from '../../bench/results.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-learning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'synthetic');

test('the synthetic set is made once, in full, and replaced when its version is old', async () => {
  await ensureSyntheticData(data);
  for (const [split, n] of Object.entries(SYNTHETIC_COUNTS)) {
    const f = listImageFolder(join(data, split));
    expect(f.classes).toEqual(['cats', 'dogs']);
    expect(f.files.length).toBe(2 * n);
  }
  const marker = join(data, 'SYNTHETIC.txt');
  expect(readFileSync(marker, 'utf8')).toMatch(new RegExp(`^version ${SYNTHETIC_VERSION}\\n`));
  const made = statSync(join(data, 'train', 'cats', 'synthetic.cat.0.png')).mtimeMs;
  await ensureSyntheticData(data);
  expect(statSync(join(data, 'train', 'cats', 'synthetic.cat.0.png')).mtimeMs).toBe(made);
  writeFileSync(marker, 'version 1\n');
  writeFileSync(join(data, 'train', 'cats', 'stale.png'), 'old');
  await ensureSyntheticData(data);
  expect(existsSync(join(data, 'train', 'cats', 'stale.png'))).toBe(false);
  expect(readFileSync(marker, 'utf8')).toMatch(new RegExp(`^version ${SYNTHETIC_VERSION}\\n`));
  expect(readdirSync(dir).filter(isTempName)).toEqual([]);
});

let report: LearningReport;

test('the learning benchmark trains the small convnet from scratch and it learns', async () => {
  const updates: number[] = [];
  report = await runLearningBench({
    data,
    size: 48,
    epochs: 4,
    batch: 20,
    lr: 1e-3,
    seed: 3,
    onUpdate: (r) => updates.push(r.history.val_acc.length),
  });
  expect(updates).toEqual([1, 2, 3, 4, 4]);
  expect(report.status).toBe('done');
  expect(report.samples).toEqual({ train: 200, validation: 100, test: 100 });
  expect(report.history.val_acc).toHaveLength(4);
  expect(report.epochSeconds).toHaveLength(4);
  const { loss } = report.history;
  expect(loss[3]).toBeLessThan(loss[0]);
  // Chance is 0.5 on these balanced classes; a trainer that does not learn stays near it.
  expect(report.bestValAcc).toBeGreaterThanOrEqual(0.8);
  expect(report.bestValAcc).toBe(Math.max(...report.history.val_acc));
  expect(report.test!.images).toBe(100);
  expect(report.target.met).toBe(true);
});

test('learning files and sections: one per size, sorted after the fixed sections, others kept', () => {
  const results = join(dir, 'bench', 'RESULTS.md');
  const base: BenchReport = {
    tool: 't',
    date: 'd',
    command: 'c',
    node: 'n',
    adapter: { info: {}, features: [], limits: {} },
  };
  writeResults(results, {
    ...base,
    pipeline: { images: 1, threads: 1, coldImagesPerSec: 1, cachedImagesPerSec: 1, augmentedGpuImagesPerSec: 1 },
  });
  const files = writeLearningFiles(join(dir, 'bench', 'results'), { ...report, size: 150 });
  writeLearningFiles(join(dir, 'bench', 'results'), report);
  expect(files.map((f) => f.slice(dir.length))).toEqual([
    '/bench/results/learning-150.json',
    '/bench/results/learning-150-acc.svg',
    '/bench/results/learning-150-loss.svg',
  ]);
  expect(JSON.parse(readFileSync(files[0], 'utf8')).history.val_acc).toEqual(report.history.val_acc);
  expect(readFileSync(files[1], 'utf8')).toMatch(/^<svg /);
  writeResults(results, { ...base, learning: { ...report, size: 150 } });
  writeResults(results, { ...base, learning: report });
  const md = readFileSync(results, 'utf8');
  const order = ['<!-- bench:pipeline -->', '<!-- bench:learning-48 -->', '<!-- bench:learning-150 -->'].map((m) =>
    md.indexOf(m),
  );
  expect(order.every((i) => i > 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(md).toContain('![accuracy](results/learning-48-acc.svg)');
  expect(md).toContain(`| 4 | ${report.history.loss[3].toFixed(4)} |`);
});
