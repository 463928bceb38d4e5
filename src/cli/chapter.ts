// `dawnflow chapter`: the whole chapter in one command (see src/apps/chapter_run.ts), with the
// chapter's numbers as defaults, a printed --quick preset on software adapters, results.json
// and a report. `npm start` runs it on whatever data and weights are at hand.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kernelTarget, withEngine } from '../gpu/engine.js';
import { kernelTargetNote } from '../gpu/kernel_target.js';
import type { DeviceOptions, Gpu } from '../gpu/device.js';
import { runChapter, settingsKey, type ChapterSettings } from '../apps/chapter_run.js';
import { loadState, type RunState } from '../apps/chapter_state.js';
import { testModel } from '../apps/chapter_test.js';
import { ensureSyntheticData, SYNTHETIC_DIR } from '../apps/synthetic_data.js';
import { findImagenetWeights, imagenetWeightsPlaces } from '../io/imagenet_weights.js';
import { CATS_VS_DOGS_OUT, SMALL_DIR } from '../data/cats_vs_dogs_names.js';
import { UsageError, type FlagSpec } from './args.js';
import { onInterrupt } from './interrupt.js';
import { requireSplits, requireWritableFolder } from './paths.js';
import { DEVICE_FLAGS, presetDefault } from './common_flags.js';
import { buildResults, writeChapterReport } from './chapter_report.js';
import { IMAGENET, imagenetWeights, WEIGHTS_FIX } from './weights_flag.js';
import {
  choosePreset,
  describePreset,
  estimateFullSeconds,
  formatDuration,
  PRESETS,
  type PresetName,
  type PresetSettings,
} from '../apps/chapter_presets.js';
import type { KernelInitializer } from '../tensor/init.js';
import { listImageFolder } from '../data/directory.js';

const BASE_INITS = ['he_uniform', 'glorot_uniform'];
const SPLITS = ['train', 'validation', 'test'];
/** Where `--data` is looked for when not given (`dawnflow fetch data cats-vs-dogs` puts it there). */
const BOOK_DATA = join(CATS_VS_DOGS_OUT, SMALL_DIR);

/** The run folder of a preset when --out is not given. */
const defaultOut = (preset: PresetName): string => join('runs', preset === 'full' ? 'chapter' : `chapter-${preset}`);

/** Per-preset defaults: full (the book's), then quick and demo where they differ. */
const preset = (pick: (p: PresetSettings) => unknown) => presetDefault(PRESETS, pick);
const phaseFlags = (key: 'tr' | 'ft', n: 2 | 3): FlagSpec => ({
  [`${key}-epochs`]: { kind: 'count', help: `approach ${n}: epochs`, default: preset((p) => p[key].epochs) },
  [`${key}-steps`]: {
    kind: 'count',
    help: `approach ${n}: batches per epoch`,
    default: preset((p) => p[key].stepsPerEpoch),
  },
  [`${key}-batch-size`]: {
    kind: 'count',
    help: `approach ${n}: images per batch`,
    default: preset((p) => p[key].batchSize),
  },
  [`${key}-val-steps`]: {
    kind: 'count',
    help: `approach ${n}: validation batches per epoch`,
    default: preset((p) => p[key].validationSteps),
  },
  [`${key}-lr`]: { kind: 'positive', help: `approach ${n}: Adam's learning rate`, default: preset((p) => p[key].lr) },
});

export const CHAPTER_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  data: {
    kind: 'string',
    value: 'DIR|cats-vs-dogs',
    help: 'the photos: a folder holding train/, validation/ and test/, or ' + 'cats-vs-dogs (fetched when missing)',
    default: `${BOOK_DATA} when there, else a generated synthetic set (${SYNTHETIC_DIR})`,
  },
  weights: {
    kind: 'string',
    value: `W.h5|${IMAGENET}|random`,
    help: `VGG16's conv-base weights: a file, ${IMAGENET} (found or downloaded), or random (not transfer learning)`,
    default: () => `the file in ${imagenetWeightsPlaces(false).join(' or ')}, else random`,
  },
  out: {
    kind: 'string',
    value: 'DIR',
    help: 'the run folder: results.json, report, checkpoints (a run of the same settings there is resumed)',
    default: presetDefault({ full: 'full', quick: 'quick', demo: 'demo' } as const, defaultOut),
  },
  quick: {
    kind: 'boolean',
    help: 'the quick preset: real transfer learning cut to minutes (the default on a software adapter)',
  },
  full: { kind: 'boolean', help: "the chapter's own settings (the default on a hardware GPU)" },
  'target-size': {
    kind: 'size',
    help: 'image side in pixels (images are resized to it)',
    default: preset((p) => p.targetSize),
  },
  seed: {
    kind: 'index',
    help: 'seed of the shuffles, augmentation and initial weights',
    default: preset((p) => p.seed),
  },
  'no-augment': { kind: 'boolean', help: 'approaches 2 and 3 on the images as they are (no data augmentation)' },
  limit: {
    kind: 'count',
    help: 'at most N images per split for the features and the test',
    default: preset((p) => p.limit),
  },
  'micro-batch': {
    kind: 'count',
    help: 'largest micro-batch: a larger batch is split and its gradients summed',
    default: 'what the adapter can hold',
  },
  'fe-epochs': {
    kind: 'count',
    help: 'approach 1 (head on conv-base features): epochs',
    default: preset((p) => p.fe.epochs),
  },
  'fe-batch-size': { kind: 'count', help: 'approach 1: images per batch', default: preset((p) => p.fe.batchSize) },
  'fe-lr': { kind: 'positive', help: "approach 1: RMSprop's learning rate", default: preset((p) => p.fe.lr) },
  ...phaseFlags('tr', 2),
  'tr-val-batch-size': {
    kind: 'count',
    help: 'approach 2: images per validation batch',
    default: preset((p) => p.tr.validationBatchSize),
  },
  ...phaseFlags('ft', 3),
  'test-batch-size': {
    kind: 'count',
    help: 'images per batch of the final test',
    default: preset((p) => p.testBatchSize),
  },
  'base-init': {
    kind: 'string',
    value: BASE_INITS.join('|'),
    help: "the random base's kernel draw when there are no weights",
    default: BASE_INITS[0],
  },
};

const num = (f: Record<string, unknown>, k: string, d: number, min = 1, int = true): number => {
  const v = (f[k] as number | undefined) ?? d;
  if (!(v >= min) || (int && !Number.isInteger(v)))
    throw new UsageError(`--${k} must be ${int ? 'an integer ' : ''}>= ${min}, got ${v}`);
  return v;
};

function baseInit(f: Record<string, unknown>, weights: string | null): KernelInitializer | undefined {
  const v = (f['base-init'] as string | undefined) ?? BASE_INITS[0];
  if (!BASE_INITS.includes(v)) throw new UsageError(`--base-init must be ${BASE_INITS.join(' or ')}, got '${v}'`);
  return weights ? undefined : (v as KernelInitializer);
}

function settings(
  f: Record<string, unknown>,
  preset: PresetName,
  data: string,
  weights: string | null,
): ChapterSettings {
  const d = PRESETS[preset];
  const lr = (k: string, v: number) => num(f, k, v, Number.MIN_VALUE, false);
  const out = (f.out as string | undefined) ?? defaultOut(preset);
  return {
    ...d,
    data,
    weights,
    baseInit: baseInit(f, weights),
    out,
    targetSize: num(f, 'target-size', d.targetSize, 32),
    seed: num(f, 'seed', d.seed, 0),
    augment: !f['no-augment'],
    limit: f.limit === undefined ? d.limit : num(f, 'limit', 1),
    microBatch: f['micro-batch'] === undefined ? undefined : num(f, 'micro-batch', 1),
    fe: {
      epochs: num(f, 'fe-epochs', d.fe.epochs),
      batchSize: num(f, 'fe-batch-size', d.fe.batchSize),
      lr: lr('fe-lr', d.fe.lr),
    },
    tr: {
      epochs: num(f, 'tr-epochs', d.tr.epochs),
      stepsPerEpoch: num(f, 'tr-steps', d.tr.stepsPerEpoch),
      batchSize: num(f, 'tr-batch-size', d.tr.batchSize),
      validationBatchSize: num(f, 'tr-val-batch-size', d.tr.validationBatchSize),
      validationSteps: num(f, 'tr-val-steps', d.tr.validationSteps),
      lr: lr('tr-lr', d.tr.lr),
    },
    ft: {
      ...d.ft,
      epochs: num(f, 'ft-epochs', d.ft.epochs),
      stepsPerEpoch: num(f, 'ft-steps', d.ft.stepsPerEpoch),
      batchSize: num(f, 'ft-batch-size', d.ft.batchSize),
      validationSteps: num(f, 'ft-val-steps', d.ft.validationSteps),
      lr: lr('ft-lr', d.ft.lr),
    },
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
    requireSplits(given, '--data', SPLITS);
    return given;
  }
  if (existsSync(join(BOOK_DATA, 'train'))) return BOOK_DATA;
  const dir = await ensureSyntheticData();
  notes.push(
    `synthetic data: ${dir} (generated banded images, not photos); pass --data cats-vs-dogs to fetch the Kaggle photos, or --data DIR`,
  );
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
    throw new UsageError(
      `${given} not found; see weights/README.md for where to get the VGG16 weights, or ${WEIGHTS_FIX}`,
    );
  }
  const found = findImagenetWeights(false);
  if (found) return found;
  notes.push(
    `VGG16 weights not in ${imagenetWeightsPlaces(false).join(' or ')}: running with RANDOM VGG16 weights — ` +
      `THIS IS NOT TRANSFER LEARNING; ${WEIGHTS_FIX}`,
  );
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
    throw new UsageError(
      `${s.out} holds a run with other settings; use another --out, or delete ` +
        `${join(s.out, 'state.json')} to start over`,
    );
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
    return await withEngine(dev, (gpu) =>
      runOn(gpu, f, data, weights, notes).catch((e: unknown) => {
        failure = e;
        throw e;
      }),
    );
  } catch (e) {
    throw failure ?? e;
  }
}

async function runOn(
  gpu: Gpu,
  f: Record<string, unknown>,
  data: string,
  weights: string | null,
  notes: string[],
): Promise<number> {
  const preset = choosePreset({ full: Boolean(f.full), quick: Boolean(f.quick), software: gpu.info.software, weights });
  const s = settings(f, preset, data, weights);
  checkRunFolder(s);
  if (preset !== 'full') {
    const why = f.quick ? '--quick' : 'software adapter';
    notes.push(`${preset} preset (${why}): ${describePreset(preset, s)}; --full runs the chapter's own settings`);
  }
  const target = kernelTargetNote(kernelTarget(), gpu.info.software);
  if (target) notes.push(target);
  for (const n of notes) console.log(`dawnflow: NOTE: ${n}`);
  const started = new Date().toISOString();
  const stopHandling = onInterrupt(s.out, {
    'feature-extraction': s.fe.epochs,
    transfer: s.tr.epochs,
    'fine-tune': s.ft.epochs,
  });
  const r = await runChapter(s, (line) => console.log(line)).catch((e: unknown) => {
    stopHandling();
    throw e;
  });
  const test = await testModel(r.model, s.data, s.targetSize, s.testBatchSize, s.limit, r.ctx);
  await r.ctx.pool.close();
  stopHandling();
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
  const counts = Object.fromEntries(
    ['train', 'validation', 'test'].map((k) => [k, listImageFolder(join(s.data, k)).files.length]),
  ) as { train: number; validation: number; test: number };
  const synthetic = existsSync(join(s.data, 'SYNTHETIC.txt'));
  const dataWords =
    `${synthetic ? 'synthetic banded images made by dawnflow' : 'photos'} in ${s.data} ` +
    `(${counts.train}/${counts.validation}/${counts.test}; ${tested} tested)`;
  const base = s.weights
    ? `the VGG16 base from ${s.weights}`
    : `a RANDOM VGG16 base (${s.baseInit ?? 'glorot_uniform'}, no pretrained weights)`;
  const lines = [
    `this run: ${dataWords}; ${base}; the chapter's three approaches, ${preset} preset at ${s.targetSize}x${s.targetSize}.`,
  ];
  if (!s.weights || synthetic) {
    lines.push(
      "It shows the engine learning; it is NOT the chapter's transfer learning on Cats vs Dogs. For that: " +
        '`dawnflow fetch weights` and `dawnflow fetch data cats-vs-dogs`, then `npm start` again.',
    );
  }
  if (preset !== 'full') {
    const full = estimateFullSeconds(state, s, counts);
    if (full !== null)
      lines.push(
        `--full (the book's settings at 150x150) would take about ${formatDuration(full)} on this adapter (extrapolated from this run).`,
      );
  }
  return lines;
}
