// Paths from the command line end up in report.html: the --data folder, the test images'
// paths and their class folders (the labels shown). A data folder whose path reads
// `<script>alert(1)</script>&"'` and a class folder named like an <img onerror> tag must come
// out as text: the page must have exactly the tags and attributes of the same report for a
// plain folder, and no script. The results go through the chapter's own builder and writer.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ChapterOutcome, ChapterSettings } from '../../src/apps/chapter_run.js';
import { freshState } from '../../src/apps/chapter_state.js';
import type { TestResult } from '../../src/apps/chapter_test.js';
import { buildResults, writeChapterReport } from '../../src/cli/chapter_report.js';
import type { Gpu } from '../../src/gpu/device.js';
import { escapeHtml } from '../../src/report/escape.js';
import { pngBytes } from '../helpers/images.js';

/** As a path: a folder `<script>alert(1)<` holding a folder `script>&"'`. */
const EVIL_PATH = `<script>alert(1)</script>&"'`;
const EVIL_CLASS = `x<img src=y onerror=alert(2)>"'&`;

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-report-paths-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** train/validation/test with classes `cats` and `other`, two small PNGs each. */
function makeData(root: string, other: string): string {
  for (const split of ['train', 'validation', 'test']) {
    for (const [i, cls] of ['cats', other].entries()) {
      fs.mkdirSync(join(root, split, cls), { recursive: true });
      for (const k of [0, 1]) {
        const samples = Array.from({ length: 12 * 9 * 3 }, (_, j) => (j * (i + 3) + k * 50) % 256);
        const png = pngBytes({ width: 12, height: 9, colorType: 2, depth: 8, samples });
        fs.writeFileSync(join(root, split, cls, `img.${k}.png`), png);
      }
    }
  }
  return root;
}

function settings(data: string, out: string): ChapterSettings {
  const phase = {
    epochs: 1,
    stepsPerEpoch: 1,
    batchSize: 2,
    validationBatchSize: 2,
    validationSteps: 1,
    lr: 1e-4,
  };
  return {
    data,
    weights: null,
    out,
    targetSize: 32,
    seed: 1,
    quick: true,
    augment: true,
    limit: 4,
    fe: { epochs: 1, batchSize: 2, lr: 2e-5 },
    tr: phase,
    ft: phase,
    testBatchSize: 2,
  };
}

/** The report of a run over `data` whose test misclassified every image of class `other`. */
function report(data: string, other: string, out: string): string {
  const s = settings(data, out);
  const misclassified = [0, 1].map((k) => {
    const rel = join('test', other, `img.${k}.png`);
    return { file: join(data, rel), rel, label: 1, p: 0.2 };
  });
  const test: TestResult = { acc: 0.5, loss: 0.7, images: 4, seconds: 1, misclassified };
  const state = freshState('key', 1);
  const outcome = { state, summaries: { base: `Model: "${other}"`, model: 'Model: "sequential"' } };
  const info = { vendor: 'mesa', architecture: 'cpu', device: 'lavapipe', description: 'llvmpipe' };
  const gpu = { info: { ...info, software: true } };
  const results = buildResults(
    s,
    outcome as unknown as ChapterOutcome,
    test,
    gpu as unknown as Gpu,
    [`data in ${data}`],
    '2024-05-01T10:00:00.000Z',
    ['chapter', '--data', data, '--out', out],
  );
  writeChapterReport(out, results);
  return fs.readFileSync(join(out, 'report.html'), 'utf8');
}

/** Every tag with its attribute names, values dropped: the page's structure. */
function structure(html: string): string[] {
  const tags = html.match(/<[^>]*>/g) ?? [];
  return tags.map((t) => t.replace(/="[^"]*"/g, '').replace(/\s+/g, ' '));
}

test('a data folder and a class named like markup stay text in report.html', () => {
  const evilData = makeData(join(dir, EVIL_PATH), EVIL_CLASS);
  const plainData = makeData(join(dir, 'plain', 'data'), 'dogs');
  const evil = report(evilData, EVIL_CLASS, join(dir, 'out-evil'));
  const plain = report(plainData, 'dogs', join(dir, 'out-plain'));

  expect(evil).not.toMatch(/<script|<img src=y/i);
  expect(evil).not.toContain(EVIL_PATH);
  expect(evil).not.toContain(EVIL_CLASS);
  expect(evil).toContain(escapeHtml(evilData));
  expect(evil).toContain(escapeHtml(EVIL_CLASS));
  // Both thumbnails decoded and embedded: the images were found under the odd path.
  expect(evil.match(/<img src="data:image\/png;base64,/g)).toHaveLength(2);
  expect(structure(evil)).toEqual(structure(plain));
  // results.json keeps the path exactly (JSON escaping, not HTML's).
  const results = JSON.parse(fs.readFileSync(join(dir, 'out-evil', 'results.json'), 'utf8'));
  expect(results.data.dir).toBe(evilData);
  expect(results.test.misclassified[0].file).toBe(join(evilData, 'test', EVIL_CLASS, 'img.0.png'));
});
