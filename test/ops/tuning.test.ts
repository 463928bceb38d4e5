// The autotuner and its per-adapter cache: a cached choice overrides the default for exactly its
// shape, DAWNFLOW_TUNING=off and a damaged file fall back to defaults, and a tuning run records
// the fastest variant it measured.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { noGrad } from '../../src/autograd/engine.js';
import { currentGpu, dispatcher } from '../../src/gpu/engine.js';
import { tuneConvs } from '../../src/ops/autotune.js';
import { conv2d, conv2dGeometry } from '../../src/ops/conv2d.js';
import { convVariant, legalVariants } from '../../src/kernels/conv_tex.js';
import { loadTuning, resetTuningCache, saveTuning, TUNING_VERSION, tuningKey, tuningPath } from '../../src/kernels/tuning.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair } from '../helpers/tensors.js';

useGpu();
const saved = { dir: process.env.DAWNFLOW_CACHE_DIR, off: process.env.DAWNFLOW_TUNING };
beforeAll(() => {
  process.env.DAWNFLOW_CACHE_DIR = mkdtempSync(join(tmpdir(), 'dawnflow-tune-'));
});
beforeEach(() => {
  delete process.env.DAWNFLOW_TUNING;
  resetTuningCache();
});
afterAll(() => {
  for (const [k, v] of [['DAWNFLOW_CACHE_DIR', saved.dir], ['DAWNFLOW_TUNING', saved.off]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetTuningCache();
});

const A = conv2dGeometry([1, 6, 6, 8], [3, 3, 8, 8], { padding: 'same' });
const B = conv2dGeometry([1, 7, 7, 8], [3, 3, 8, 8], { padding: 'same' });

test('a cached choice applies to its shape only; DAWNFLOW_TUNING=off ignores it', () => {
  const other = legalVariants('forward', A).find((v) => v !== convVariant('forward', A))!;
  saveTuning({ [tuningKey('forward', A)]: { choice: other, ms: {} } });
  expect(convVariant('forward', A)).toBe(other);
  expect(convVariant('forward', B)).not.toBe(other);
  process.env.DAWNFLOW_TUNING = 'off';
  resetTuningCache();
  expect(convVariant('forward', A)).not.toBe(other);
});

test('the conv op dispatches the cached variant', async () => {
  saveTuning({ [tuningKey('forward', A)]: { choice: 'gemm', ms: {} } });
  const x = randomPair([1, 6, 6, 8]);
  const w = randomPair([3, 3, 8, 8]);
  dispatcher().resetCounts();
  noGrad(() => conv2d(x.t, w.t, null, { padding: 'same' })).dispose();
  expect(dispatcher().counts.get('conv2d_forward')).toBe(1);
  x.t.dispose();
  w.t.dispose();
});

test('a damaged or foreign cache file is ignored', () => {
  writeFileSync(tuningPath(), '{ not json');
  resetTuningCache();
  expect(loadTuning().entries).toEqual({});
  writeFileSync(tuningPath(), JSON.stringify({ version: TUNING_VERSION, adapter: 'another GPU', entries: { x: { choice: 'tex' } } }));
  resetTuningCache();
  expect(loadTuning().entries).toEqual({});
});

test('tuning records the fastest measured variant for each op and shape', async () => {
  const { rows, path } = await tuneConvs([{ name: 'tiny', batch: 1, hw: 9, ci: 8, co: 8 }], 1,
    ['forward', 'backward_weight']);
  expect(rows.map((r) => r.op)).toEqual(['forward', 'backward_weight']);
  for (const r of rows) {
    const times = Object.values(r.ms) as number[];
    expect(times.length).toBe(legalVariants(r.op, conv2dGeometry([1, 9, 9, 8], [3, 3, 8, 8], { padding: 'same' })).length);
    expect(r.ms[r.choice]).toBe(Math.min(...times));
  }
  const file = JSON.parse(readFileSync(path, 'utf8'));
  expect(file.adapter).toContain(currentGpu().info.vendor);
  expect(file.entries[rows[0].key].choice).toBe(rows[0].choice);
});
