// `dawnflow chapter`: DLwP ch. 5's three approaches end to end, as the notebook runs them, with
// a checkpoint after every epoch so that re-running the same command resumes where it stopped.
// Epochs are fitted one at a time with iterators seeded by (seed, approach, epoch), so a resumed
// run sees the same batches as an uninterrupted one.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { vgg16 } from './vgg16.js';
import { chapterModel, findNestedBase, freezeBase, unfreezeFrom } from './chapter.js';
import { extractFeatures, saveFeatures } from './features.js';
import { CHAPTER_AUGMENTATION } from '../data/augment.js';
import { DirectoryIterator } from '../data/directory_iterator.js';
import { DecodePool, defaultThreads } from '../data/decode_pool.js';
import { ImageCache } from '../data/image_cache.js';
import { readNpy } from '../io/npy.js';
import { loadModel, saveModel } from '../io/keras_weights.js';
import { Container, Sequential } from '../nn/container.js';
import { Dense, Dropout } from '../nn/layers/core.js';
import { Adam } from '../nn/optimizers/adam.js';
import { RMSprop } from '../nn/optimizers/rmsprop.js';
import type { ArrayData } from '../nn/data.js';
import { globalRng, setSeed } from '../tensor/random.js';
import type { KernelInitializer } from '../tensor/init.js';
import { resetNames } from '../nn/naming.js';
import { NonFiniteError } from '../nn/training.js';
import { deviceLost } from '../gpu/device.js';
import {
  checkpointPath, commitEpoch, freshState, loadState, pendingCheckpointPath, settleCheckpoints, type Phase, type RunState,
} from './chapter_state.js';

export interface PhaseSettings { epochs: number; stepsPerEpoch: number; batchSize: number; validationBatchSize: number; validationSteps: number; lr: number }

export interface ChapterSettings {
  data: string; weights: string | null; out: string; targetSize: number; seed: number; quick: boolean;
  /** The random base's kernel draw when `weights` is null (see vgg16's kernelInitializer). */
  baseInit?: KernelInitializer;
  augment: boolean; microBatch?: number;
  /** Images per split for the features and the test (a quick run); all by default. */
  limit?: number;
  fe: { epochs: number; batchSize: number; lr: number };
  tr: PhaseSettings;
  ft: PhaseSettings;
  testBatchSize: number;
}

export type Log = (line: string) => void;

interface Ctx { s: ChapterSettings; state: RunState; log: Log; pool: DecodePool; cache: ImageCache }

/** The settings that must match for a run folder to be resumed. */
export function settingsKey(s: ChapterSettings): string {
  const { out: _out, ...rest } = s;
  return JSON.stringify(rest);
}

function seedFor(s: ChapterSettings, phase: Phase, epoch: number): number {
  const k = phase === 'feature-extraction' ? 1 : phase === 'transfer' ? 2 : 3;
  return (Math.imul(s.seed + 1, 7919) + k * 100003 + epoch * 131) >>> 0;
}

/**
 * Before a phase builds new layers: their initial weights (the generator) and their auto names
 * (dense_1, ...) depend on (seed, phase) alone, not on what this process did before, so a run
 * resumed at the start of a phase builds the same head as an uninterrupted one.
 */
function freshLayers(s: ChapterSettings, phase: Phase): void {
  setSeed(seedFor(s, phase, 0x7fff));
  resetNames();
}

function ckpt(s: ChapterSettings, phase: Phase): string {
  return checkpointPath(s.out, phase);
}

const LR_FLAG: Record<Phase, string> = { 'feature-extraction': '--fe-lr', transfer: '--tr-lr', 'fine-tune': '--ft-lr' };

/** A failed epoch's error, one line, with what is on disk (`done` epochs) and what to do. */
function epochFailure(ctx: Ctx, phase: Phase, done: number, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  const kept = done > 0 ? `the last good checkpoint ${ckpt(ctx.s, phase)} (epoch ${done}) is kept`
    : `no ${phase} epoch had finished, so ${phase} has no checkpoint yet`;
  if (err instanceof NonFiniteError) {
    const fix = `lower ${LR_FLAG[phase]} (with a new --out) or check the data for NaN/Inf`;
    return new Error(`dawnflow: ${err.what} at ${phase} ${err.where}; ${fix}; ${kept}`);
  }
  if (deviceLost()) return new Error(`${msg}; ${kept}: run the same command again to resume`);
  return err instanceof Error ? err : new Error(msg);
}

type FitOne = () => Promise<{ logs: Record<string, number>; seconds: number; images: number }>;

/** Fits one epoch, then checkpoints model, history and generator state together. */
async function epoch(ctx: Ctx, phase: Phase, model: Container, e: number, total: number, fitOne: FitOne): Promise<void> {
  const done = ctx.state.phases[phase].epochsDone;
  try {
    await fitAndCommit(ctx, phase, model, e, fitOne);
  } catch (err) {
    throw epochFailure(ctx, phase, done, err);
  }
  if (e + 1 === total) ctx.log(`${phase}: ${total} epochs done`);
}

async function fitAndCommit(ctx: Ctx, phase: Phase, model: Container, e: number, fitOne: FitOne): Promise<void> {
  const p = ctx.state.phases[phase];
  setSeed(ctx.state.rng);
  const r = await fitOne();
  for (const k of ['loss', 'acc', 'val_loss', 'val_acc'] as const) p.history[k].push(r.logs[k]);
  p.epochSeconds.push(r.seconds);
  p.imagesPerSec = r.images / r.seconds;
  p.epochsDone = e + 1;
  ctx.state.rng = globalRng().seed;
  mkdirSync(join(ctx.s.out, 'checkpoints'), { recursive: true });
  await saveModel(model, pendingCheckpointPath(ctx.s.out, phase, e + 1));
  commitEpoch(ctx.s.out, ctx.state, phase);
}

function resumeNote(ctx: Ctx, phase: Phase, total: number): number {
  const p = ctx.state.phases[phase];
  if (p.epochsDone > 0 && p.epochsDone < total) {
    p.resumedFromEpoch = p.epochsDone;
    ctx.log(`resuming ${phase} after epoch ${p.epochsDone}/${total} (from ${ckpt(ctx.s, phase)})`);
  }
  return p.epochsDone;
}

// --- approach 1 ----------------------------------------------------------------------------

async function features(ctx: Ctx, base: Container, split: string): Promise<ArrayData> {
  const file = join(ctx.s.out, 'features', `${split}.npy`);
  // The .json is written last: without it the .npy pair may be from a run killed half-way.
  if (existsSync(join(ctx.s.out, 'features', `${split}.json`))) {
    const f = readNpy(file);
    const y = readNpy(join(ctx.s.out, 'features', `${split}.labels.npy`));
    return { x: f.data as Float32Array, xShape: [f.shape[0], f.data.length / f.shape[0]], y: y.data as Float32Array };
  }
  const it = new DirectoryIterator(join(ctx.s.data, split), {
    targetSize: [ctx.s.targetSize, ctx.s.targetSize], batchSize: 20, seed: ctx.s.seed, rescale: 1 / 255, pool: ctx.pool, cache: ctx.cache,
  });
  const r = await extractFeatures(base, it, ctx.s.limit ?? it.samples);
  ctx.state.phases['feature-extraction'].featureSeconds = (ctx.state.phases['feature-extraction'].featureSeconds ?? 0) + r.seconds;
  ctx.log(`${split}: conv-base features of ${r.shape[0]} images in ${r.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(2)} images/s)`);
  saveFeatures(file, r, { split });
  return { x: r.features, xShape: [r.shape[0], r.features.length / r.shape[0]], y: r.labels };
}

async function featureExtraction(ctx: Ctx, base: Container): Promise<void> {
  const { fe } = ctx.s;
  const train = await features(ctx, base, 'train');
  const validation = await features(ctx, base, 'validation');
  // The notebook extracts the test features too (kept in <out>/features for later use).
  await features(ctx, base, 'test');
  const done = resumeNote(ctx, 'feature-extraction', fe.epochs);
  if (done >= fe.epochs) return;
  let head: Container;
  if (done > 0) head = loadModel(ckpt(ctx.s, 'feature-extraction')).model;
  else {
    freshLayers(ctx.s, 'feature-extraction');
    head = new Sequential();
    (head as Sequential).add(new Dense({ units: 256, activation: 'relu', inputShape: [train.xShape[1]] }));
    (head as Sequential).add(new Dropout({ rate: 0.5 }));
    (head as Sequential).add(new Dense({ units: 1, activation: 'sigmoid' }));
    head.compile({ optimizer: new RMSprop({ lr: fe.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
  }
  for (let e = done; e < fe.epochs; e++) {
    await epoch(ctx, 'feature-extraction', head, e, fe.epochs, async () => {
      const h = await head.fit(train, { epochs: e + 1, initialEpoch: e, displayEpochs: fe.epochs, batchSize: fe.batchSize, validationData: validation, printTotal: false, microBatch: ctx.s.microBatch });
      return { logs: lastLogs(h.history), seconds: h.epochSeconds[0], images: train.xShape[0] };
    });
  }
  head.dispose();
}

function lastLogs(h: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v[v.length - 1]]));
}

// --- approaches 2 and 3 ----------------------------------------------------------------------

async function imageEpochs(ctx: Ctx, phase: Phase, model: Container, p: PhaseSettings): Promise<void> {
  const size: [number, number] = [ctx.s.targetSize, ctx.s.targetSize];
  const shared = { targetSize: size, rescale: 1 / 255, pool: ctx.pool, cache: ctx.cache, verbose: false };
  for (let e = ctx.state.phases[phase].epochsDone; e < p.epochs; e++) {
    await epoch(ctx, phase, model, e, p.epochs, async () => {
      const seed = seedFor(ctx.s, phase, e);
      const train = new DirectoryIterator(join(ctx.s.data, 'train'), { ...shared, batchSize: p.batchSize, seed, augment: ctx.s.augment ? CHAPTER_AUGMENTATION : null });
      const val = new DirectoryIterator(join(ctx.s.data, 'validation'), { ...shared, batchSize: p.validationBatchSize, seed: seed + 1 });
      const steps = p.stepsPerEpoch || train.batchesPerPass;
      const h = await model.fit(train, {
        epochs: e + 1, initialEpoch: e, displayEpochs: p.epochs, stepsPerEpoch: steps, validationData: val,
        validationSteps: p.validationSteps || val.batchesPerPass, printTotal: false, microBatch: ctx.s.microBatch,
      });
      await Promise.all([train.close(), val.close()]);
      return { logs: lastLogs(h.history), seconds: h.epochSeconds[0], images: steps * p.batchSize };
    });
  }
}

function nestedBase(model: Container): Container {
  const base = findNestedBase(model);
  if (!base) throw new Error('dawnflow: the checkpoint has no nested VGG16 base');
  return base;
}

async function transfer(ctx: Ctx, base: Container): Promise<Container> {
  const done = resumeNote(ctx, 'transfer', ctx.s.tr.epochs);
  if (done > 0) return loadModel(ckpt(ctx.s, 'transfer')).model;
  freshLayers(ctx.s, 'transfer');
  const model = chapterModel(base);
  ctx.log(`This is the number of trainable weights before freezing the conv base: ${model.trainableWeights.length}`);
  freezeBase(base);
  ctx.log(`This is the number of trainable weights after freezing the conv base: ${model.trainableWeights.length}`);
  model.compile({ optimizer: new Adam({ lr: ctx.s.tr.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
  return model;
}

async function fineTune(ctx: Ctx, fromTransfer: Container): Promise<Container> {
  const done = resumeNote(ctx, 'fine-tune', ctx.s.ft.epochs);
  if (done > 0) {
    fromTransfer.dispose();
    return loadModel(ckpt(ctx.s, 'fine-tune')).model;
  }
  unfreezeFrom(nestedBase(fromTransfer), 'block5_conv1');
  fromTransfer.compile({ optimizer: new Adam({ lr: ctx.s.ft.lr }), loss: 'binary_crossentropy', metrics: ['acc'] });
  ctx.log(`trainable weights after unfreezing from block5_conv1: ${fromTransfer.trainableWeights.length}`);
  return fromTransfer;
}

// --- the run ---------------------------------------------------------------------------------

export interface ChapterOutcome { state: RunState; model: Container; ctx: Ctx; summaries: { base: string; model: string } }

/** Runs a step and prints its wall time (the notebook prints toc - tic). */
async function timed(log: Log, what: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await fn();
  log(`${what}: elapsed ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

export async function runChapter(s: ChapterSettings, log: Log): Promise<ChapterOutcome> {
  mkdirSync(s.out, { recursive: true });
  const key = settingsKey(s);
  let state = loadState(s.out);
  if (state && state.settingsKey !== key) {
    throw new Error(`dawnflow: ${s.out} holds a run with other settings; use another --out, or delete ${join(s.out, 'state.json')} to start over`);
  }
  state ??= freshState(key, s.seed);
  const dropped = settleCheckpoints(s.out, state);
  if (dropped.length) log(`removed ${dropped.length} unfinished file(s) of an interrupted run: ${dropped.join(', ')}`);
  const ctx: Ctx = { s, state, log, pool: new DecodePool(defaultThreads()), cache: new ImageCache() };
  try {
    setSeed(s.seed);
    const base = vgg16({ inputShape: [s.targetSize, s.targetSize, 3], weights: s.weights, kernelInitializer: s.baseInit });
    const baseSummary = base.summary(log);
    await timed(log, 'feature-extraction', () => featureExtraction(ctx, base));
    let model = await transfer(ctx, base);
    const modelSummary = model.summary(log);
    await timed(log, 'transfer', () => imageEpochs(ctx, 'transfer', model, s.tr));
    model = await fineTune(ctx, model);
    await timed(log, 'fine-tune', () => imageEpochs(ctx, 'fine-tune', model, s.ft));
    await saveModel(model, join(s.out, 'final_model.h5'));
    log(`saved ${join(s.out, 'final_model.h5')}`);
    return { state, model, ctx, summaries: { base: baseSummary, model: modelSummary } };
  } catch (e) {
    await ctx.pool.close();
    throw e;
  }
}
