// `dawnflow chapter`: the whole chapter in one command (see src/apps/chapter_run.ts), with the
// chapter's numbers as defaults, a printed --quick preset on software adapters, results.json
// and a report. `npm start` runs it on whatever data and weights are at hand.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withEngine } from '../gpu/engine.js';
import type { DeviceOptions, Gpu } from '../gpu/device.js';
import { runChapter, settingsKey, type ChapterSettings } from '../apps/chapter_run.js';
import { loadState, type RunState } from '../apps/chapter_state.js';
import { testModel } from '../apps/chapter_test.js';
import { ensureSyntheticData } from '../apps/synthetic_data.js';
import { findImagenetWeights, imagenetWeightsPlaces } from '../io/imagenet_weights.js';
import { UsageError, type FlagSpec } from './args.js';
import { requireWritableFolder } from './paths.js';
import { buildResults, writeChapterReport } from './chapter_report.js';
import { IMAGENET, imagenetWeights, WEIGHTS_FIX } from './weights_flag.js';
import { choosePreset, describePreset, estimateFullSeconds, formatDuration, PRESETS, type PresetName } from '../apps/chapter_presets.js';
import type { KernelInitializer } from '../tensor/init.js';
import { listImageFolder } from '../data/directory.js';

export const CHAPTER_FLAGS: FlagSpec = {
  adapter: 'string', backend: 'string', data: 'string', weights: 'string', out: 'string', quick: 'boolean', full: 'boolean',
  'target-size': 'size', seed: 'index', 'no-augment': 'boolean', limit: 'count', 'micro-batch': 'count',
  'fe-epochs': 'count', 'fe-batch-size': 'count', 'fe-lr': 'positive',
  'tr-epochs': 'count', 'tr-steps': 'count', 'tr-batch-size': 'count', 'tr-val-batch-size': 'count', 'tr-val-steps': 'count', 'tr-lr': 'positive',
  'ft-epochs': 'count', 'ft-steps': 'count', 'ft-batch-size': 'count', 'ft-val-steps': 'count', 'ft-lr': 'positive',
  'test-batch-size': 'count', 'base-init': 'string',
};

const num = (f: Record<string, unknown>, k: string, d: number, min = 1, int = true): number => {
  const v = (f[k] as number | undefined) ?? d;
  if (!(v >= min) || (int && !Number.isInteger(v))) throw new UsageError(`--${k} must be ${int ? 'an integer ' : ''}>= ${min}, got ${v}`);
  return v;
};

const BASE_INITS = ['he_uniform', 'glorot_uniform'];

function baseInit(f: Record<string, unknown>, weights: string | null): KernelInitializer | undefined {
  const v = (f['base-init'] as string | undefined) ?? 'he_uniform';
  if (!BASE_INITS.includes(v)) throw new UsageError(`--base-init must be ${BASE_INITS.join(' or ')}, got '${v}'`);
  return weights ? undefined : (v as KernelInitializer);
}

function settings(f: Record<string, unknown>, preset: PresetName, data: string, weights: string | null): ChapterSettings {
  const d = PRESETS[preset];
  const lr = (k: string, v: number) => num(f, k, v, Number.MIN_VALUE, false);
  const out = (f.out as string | undefined) ?? join('runs', preset === 'full' ? 'chapter' : `chapter-${preset}`);
  return {
    ...d, data, weights, baseInit: baseInit(f, weights), out,
    targetSize: num(f, 'target-size', d.targetSize, 32), seed: num(f, 'seed', d.seed, 0), augment: !f['no-augment'],
    limit: f.limit === undefined ? d.limit : num(f, 'limit', 1), microBatch: f['micro-batch'] === undefined ? undefined : num(f, 'micro-batch', 1),
    fe: { epochs: num(f, 'fe-epochs', d.fe.epochs), batchSize: num(f, 'fe-batch-size', d.fe.batchSize), lr: lr('fe-lr', d.fe.lr) },
    tr: { epochs: num(f, 'tr-epochs', d.tr.epochs), stepsPerEpoch: num(f, 'tr-steps', d.tr.stepsPerEpoch), batchSize: num(f, 'tr-batch-size', d.tr.batchSize),
      validationBatchSize: num(f, 'tr-val-batch-size', d.tr.validationBatchSize), validationSteps: num(f, 'tr-val-steps', d.tr.validationSteps), lr: lr('tr-lr', d.tr.lr) },
    ft: { ...d.ft, epochs: num(f, 'ft-epochs', d.ft.epochs), stepsPerEpoch: num(f, 'ft-steps', d.ft.stepsPerEpoch), batchSize: num(f, 'ft-batch-size', d.ft.batchSize),
      validationSteps: num(f, 'ft-val-steps', d.ft.validationSteps), lr: lr('ft-lr', d.ft.lr) },
    testBatchSize: num(f, 'test-batch-size', d.testBatchSize),
  };
}

async function pickData(f: Record<string, unknown>, notes: string[]): Promise<string> {
  const given = f.data as string | undefined;
  // --data cats-vs-dogs: the book's split in data/, fetched (dawnflow fetch data cats-vs-dogs) when
  // missing; the module (and its zip reader) is loaded only then.
  if (given === 'cats-vs-dogs') {
    const { fetchCatsVsDogs } = await import('../data/cats_vs_dogs.js');
    return (await fetchCatsVsDogs({ log: (line) => console.log(line) })).dir;
  }
  if (given) {
    if (!existsSync(join(given, 'train'))) throw new UsageError(`${given} has no train/ folder: --data must hold train/, validation/ and test/`);
    return given;
  }
  if (existsSync('data/cats_and_dogs_small/train')) return 'data/cats_and_dogs_small';
  const dir = await ensureSyntheticData();
  notes.push(`synthetic data: ${dir} (generated banded images, not photos); pass --data cats-vs-dogs to fetch the Kaggle photos, or --data DIR`);
  return dir;
}

/**
 * --weights imagenet finds or downloads Keras's file; without --weights nothing is downloaded:
 * the file is looked for where Keras and dawnflow keep it, else the run says it is random.
 */
async function pickWeights(f: Record<string, unknown>, notes: string[]): Promise<string | null> {
  const given = f.weights as string | undefined;
  if (given === 'random') {
    notes.push('random VGG16 weights (--weights random): THIS IS NOT TRANSFER LEARNING');
    return null;
  }
  if (given === IMAGENET) return imagenetWeights();
  if (given) {
    if (existsSync(given)) return given;
    throw new UsageError(`${given} not found; see weights/README.md for where to get the VGG16 weights, or ${WEIGHTS_FIX}`);
  }
  const found = findImagenetWeights(false);
  if (found) return found;
  notes.push(`VGG16 weights not in ${imagenetWeightsPlaces(false).join(' or ')}: running with RANDOM VGG16 weights — ` +
    `THIS IS NOT TRANSFER LEARNING; ${WEIGHTS_FIX}`);
  return null;
}

/**
 * --out must be writable and may hold only a run of these very settings (which is resumed):
 * checked before anything is printed or written, so a refusal leaves the folder as it was.
 */
function checkRunFolder(s: ChapterSettings): void {
  requireWritableFolder(s.out, '--out');
  let state: RunState | null;
  try {
    state = loadState(s.out);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^dawnflow: /, ''));
  }
  if (state && state.settingsKey !== settingsKey(s)) {
    throw new UsageError(`${s.out} holds a run with other settings; use another --out, or delete ` +
      `${join(s.out, 'state.json')} to start over`);
  }
}

export async function chapter(f: Record<string, unknown>, dev: DeviceOptions): Promise<number> {
  // A given --out is checked now, before the GPU starts; the default one depends on the preset.
  if (typeof f.out === 'string') requireWritableFolder(f.out, '--out');
  const notes: string[] = [];
  // Weights first: a failed 59 MB fetch should stop the run before a 790 MB one or any data is made.
  const weights = await pickWeights(f, notes);
  const data = await pickData(f, notes);
  // After a device loss withEngine's shutdown fails too, and its error would replace the run's
  // own (which says which checkpoint is kept): the first failure is the one reported.
  let failure: unknown = null;
  try {
    return await withEngine(dev, (gpu) => runOn(gpu, f, data, weights, notes).catch((e: unknown) => {
      failure = e;
      throw e;
    }));
  } catch (e) {
    throw failure ?? e;
  }
}

async function runOn(gpu: Gpu, f: Record<string, unknown>, data: string, weights: string | null, notes: string[]): Promise<number> {
  const preset = choosePreset({ full: Boolean(f.full), quick: Boolean(f.quick), software: gpu.info.software, weights });
  const s = settings(f, preset, data, weights);
  checkRunFolder(s);
  if (preset !== 'full') {
    const why = f.quick ? '--quick' : 'software adapter';
    notes.push(`${preset} preset (${why}): ${describePreset(preset, s)}; --full runs the chapter's own settings`);
  }
  for (const n of notes) console.log(`dawnflow: NOTE: ${n}`);
  const started = new Date().toISOString();
  const r = await runChapter(s, (line) => console.log(line));
  const test = await testModel(r.model, s.data, s.targetSize, s.testBatchSize, s.limit, r.ctx);
  await r.ctx.pool.close();
  console.log(`test acc: ${test.acc}`);
  for (const line of whatRan(s, preset, r.state, test.images)) console.log(`dawnflow: ${line}`);
  const results = buildResults(s, r, test, gpu, notes, started, process.argv.slice(2));
  const files = writeChapterReport(s.out, results);
  console.log(`wrote ${files.join(', ')}`);
  r.model.dispose();
  return 0;
}

/** The closing lines: what this run was (data, weights, method) and what --full would cost here. */
function whatRan(s: ChapterSettings, preset: PresetName, state: RunState, tested: number): string[] {
  const counts = Object.fromEntries(['train', 'validation', 'test'].map((k) => [k, listImageFolder(join(s.data, k)).files.length])) as
    { train: number; validation: number; test: number };
  const synthetic = existsSync(join(s.data, 'SYNTHETIC.txt'));
  const dataWords = `${synthetic ? 'synthetic banded images made by dawnflow' : 'photos'} in ${s.data} ` +
    `(${counts.train}/${counts.validation}/${counts.test}; ${tested} tested)`;
  const base = s.weights ? `the VGG16 base from ${s.weights}` : `a RANDOM VGG16 base (${s.baseInit ?? 'glorot_uniform'}, no pretrained weights)`;
  const lines = [`this run: ${dataWords}; ${base}; the chapter's three approaches, ${preset} preset at ${s.targetSize}x${s.targetSize}.`];
  if (!s.weights || synthetic) {
    lines.push('It shows the engine learning; it is NOT the chapter\'s transfer learning on Cats vs Dogs. For that: ' +
      '`dawnflow fetch weights` and `dawnflow fetch data cats-vs-dogs`, then `npm start` again.');
  }
  if (preset !== 'full') {
    const full = estimateFullSeconds(state, s, counts);
    if (full !== null) lines.push(`--full (the book's settings at 150x150) would take about ${formatDuration(full)} on this adapter (extrapolated from this run).`);
  }
  return lines;
}
