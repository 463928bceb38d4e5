// The single-approach commands (`dawnflow feature-extraction|transfer|fine-tune`): one approach
// fitted in one go, as the notebook's cell fits it, with Keras's ModelCheckpoint, from the same
// models and data as `dawnflow chapter` (chapter.ts, approach_data.ts). Runs inside the engine;
// paths and weights are checked by the caller before it starts.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { currentGpu } from '../gpu/engine.js';
import { loadModel, saveModel } from '../io/keras_weights.js';
import { toTensors } from '../nn/batches.js';
import { ModelCheckpoint, type Callback } from '../nn/callbacks.js';
import type { Container } from '../nn/container.js';
import type { History } from '../nn/history.js';
import { setSeed } from '../tensor/random.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { featureClassifier, frozenBaseModel, unfrozenModel, type Log } from './chapter.js';
import type { PhaseSettings } from './chapter_presets.js';
import type { Phase } from './chapter_state.js';
import { fitOnImages, splitFeatures, type ImageSource } from './approach_data.js';
import { vgg16 } from './vgg16.js';

export interface ApproachSettings extends PhaseSettings {
  data: string;
  weights?: string;
  from?: string;
  targetSize: number;
  seed: number;
  augment: boolean;
  shuffle: boolean;
  save?: string;
  json?: string;
  checkpoint?: string;
  /** Approach 1: the folder keeping (and giving back) the features of each split. */
  features?: string;
  verbose: 0 | 1 | 2;
  /** Approach 1: only the first N images of each split (a quick run). */
  limit?: number;
  /** Largest micro-batch; by default what the adapter can hold. */
  microBatch?: number;
  /** Stop on an unreadable image instead of skipping it with a warning. */
  strict: boolean;
}

/** Runs approach `name`; `weights` is the VGG16 file (null: random) for approaches 1 and 2. */
export async function runApproach(name: Phase, s: ApproachSettings, weights: string | null, log: Log): Promise<void> {
  setSeed(s.seed);
  const r = await RUNS[name](s, weights, log);
  try {
    await finish(name, s, r, log);
  } finally {
    r.model.dispose();
  }
}

/** A fitted model, its history and the seconds its fit took. */
interface Fitted {
  model: Container;
  history: History;
  seconds: number;
}

type Run = (s: ApproachSettings, weights: string | null, log: Log) => Promise<Fitted>;

const RUNS: Record<Phase, Run> = {
  'feature-extraction': featureExtraction,
  transfer: async (s, weights, log) => {
    const base = vgg16({ inputShape: [s.targetSize, s.targetSize, 3], weights });
    return fitImages(s, frozenBaseModel(base, s.lr, log), log);
  },
  'fine-tune': async (s, _weights, log) => {
    const { model } = await loadModel(s.from!);
    return fitImages(s, unfrozenModel(model, s.lr, log, s.from!), log);
  },
};

function source(s: ApproachSettings): ImageSource {
  return { data: s.data, targetSize: s.targetSize, shuffle: s.shuffle, strict: s.strict };
}

async function featureExtraction(s: ApproachSettings, weights: string | null, log: Log): Promise<Fitted> {
  const base = vgg16({ inputShape: [s.targetSize, s.targetSize, 3], weights });
  const o = { seed: s.seed, limit: s.limit, dir: s.features, log };
  const train = (await splitFeatures(base, source(s), 'train', o)).data;
  const validation = (await splitFeatures(base, source(s), 'validation', o)).data;
  base.dispose();
  const model = featureClassifier(train.xShape[1], s.lr);
  const t0 = performance.now();
  const [x, y] = toTensors(train);
  const val = toTensors(validation);
  const history = await model.fit(x, y, {
    epochs: s.epochs,
    batchSize: s.batchSize,
    validationData: val,
    shuffle: s.shuffle,
    callbacks: callbacks(s),
    verbose: s.verbose,
    microBatch: s.microBatch,
  });
  for (const t of [x, y, ...val]) t.dispose();
  return { model, history, seconds: (performance.now() - t0) / 1000 };
}

async function fitImages(s: ApproachSettings, model: Container, log: Log): Promise<Fitted> {
  const fit = { callbacks: callbacks(s), verbose: s.verbose, microBatch: s.microBatch };
  const t0 = performance.now();
  const r = await fitOnImages(model, source(s), s, [0, s.epochs], { seed: s.seed, augment: s.augment, fit });
  const seconds = (performance.now() - t0) / 1000;
  log(`elapsed: ${seconds.toFixed(1)} s`);
  return { model, history: r.history, seconds };
}

function callbacks(s: ApproachSettings): Callback[] {
  if (!s.checkpoint) return [];
  return [new ModelCheckpoint({ filepath: s.checkpoint, save: (p, m) => saveInto(p, m) })];
}

/** Saves a model file, creating its folder (checked writable before training started). */
async function saveInto(path: string, model: Container): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await saveModel(model, path);
}

/** --save and --json: the model, then the settings, history and timings. */
async function finish(name: Phase, s: ApproachSettings, r: Fitted, log: Log): Promise<void> {
  if (s.save) {
    await saveInto(s.save, r.model);
    log(`saved ${s.save}`);
  }
  if (s.json) {
    const h = r.history;
    const result = {
      command: name,
      settings: s,
      adapter: currentGpu().info,
      history: h.history,
      epoch: h.epoch,
      epochSeconds: h.epochSeconds,
      fitSeconds: r.seconds,
    };
    writeFileAtomic(s.json, JSON.stringify(result, null, 2));
  }
}
