// `dawnflow chapter`: DLwP ch. 5's three approaches end to end, as the notebook runs them, with
// a checkpoint after every epoch so that re-running the same command resumes where it stopped.
// Epochs are fitted one at a time with iterators seeded by (seed, approach, epoch), so a resumed
// run sees the same batches as an uninterrupted one.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { vgg16 } from './vgg16.js';
import { featureClassifier, frozenBaseModel, unfrozenModel, type Log } from './chapter.js';
import { fitOnImages, splitFeatures, type ImageSource } from './approach_data.js';
import {
  estimateRemainingSeconds,
  formatDuration,
  type ChapterSettings,
  type PhaseSettings,
} from './chapter_presets.js';
import { listImageFolder } from '../data/directory.js';
import { DecodePool, defaultThreads } from '../data/decode_pool.js';
import { ImageCache } from '../data/image_cache.js';
import { loadModel, saveModel } from '../io/keras_weights.js';
import type { Container } from '../nn/container.js';
import { toTensors, type ArrayData } from '../nn/batches.js';
import { globalRng, setSeed } from '../tensor/random.js';
import { resetNames } from '../nn/naming.js';
import { NonFiniteError } from '../nn/training.js';
import { deviceLost } from '../gpu/device.js';
import {
  checkpointPath,
  commitEpoch,
  freshState,
  loadState,
  pendingCheckpointPath,
  settleCheckpoints,
  PHASES,
  type Phase,
  type RunState,
} from './chapter_state.js';

export type { ChapterSettings, PhaseSettings };

interface Ctx {
  s: ChapterSettings;
  state: RunState;
  log: Log;
  pool: DecodePool;
  cache: ImageCache;
  /** The run's estimate was made (it is printed once, and only when long). */
  estimated?: boolean;
}

/** Runs estimated to take longer than this (seconds) say so first, with how to resume. */
const LONG_RUN = 600;

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

function phaseEpochs(s: ChapterSettings, phase: Phase): number {
  return phase === 'feature-extraction' ? s.fe.epochs : phase === 'transfer' ? s.tr.epochs : s.ft.epochs;
}

/** Every epoch of every phase is on disk: a re-run only redoes the test and the report. */
function isFinished(s: ChapterSettings, state: RunState): boolean {
  return PHASES.every((p) => state.phases[p].epochsDone >= phaseEpochs(s, p));
}

function ckpt(s: ChapterSettings, phase: Phase): string {
  return checkpointPath(s.out, phase);
}

const LR_FLAG: Record<Phase, string> = { 'feature-extraction': '--fe-lr', transfer: '--tr-lr', 'fine-tune': '--ft-lr' };

/** A failed epoch's error, one line, with what is on disk (`done` epochs) and what to do. */
function epochFailure(ctx: Ctx, phase: Phase, done: number, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  const kept =
    done > 0
      ? `the last good checkpoint ${ckpt(ctx.s, phase)} (epoch ${done}) is kept`
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
async function epoch(
  ctx: Ctx,
  phase: Phase,
  model: Container,
  e: number,
  total: number,
  fitOne: FitOne,
): Promise<void> {
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

/** Shared by the phases: the data folder read with the run's decode pool and image cache. */
function source(ctx: Ctx): ImageSource {
  return { data: ctx.s.data, targetSize: ctx.s.targetSize, pool: ctx.pool, cache: ctx.cache, verbose: false };
}

async function features(ctx: Ctx, base: Container, split: string, pending: number): Promise<ArrayData> {
  const fe = ctx.state.phases['feature-extraction'];
  // The first measured batch gives the estimate of the whole run (printed when it is long).
  const onBatch = (done: number, _total: number, seconds: number) => {
    if (!ctx.estimated) sayEstimate(ctx, pending, seconds / done);
  };
  const o = { seed: ctx.s.seed, limit: ctx.s.limit, dir: featureDir(ctx), log: ctx.log, onBatch };
  const r = await splitFeatures(base, source(ctx), split, o);
  if (r.seconds) fe.featureSeconds = (fe.featureSeconds ?? 0) + r.seconds;
  return r.data;
}

const featureDir = (ctx: Ctx) => join(ctx.s.out, 'features');

/** Images of a split this run reads (the features and the test pass are cut to --limit). */
function splitImages(ctx: Ctx, split: string): number {
  const n = listImageFolder(join(ctx.s.data, split)).files.length;
  return Math.min(ctx.s.limit ?? n, n);
}

/**
 * Images still to go through the conv base alone: the splits without features on disk and the
 * test pass. Without any, the run's estimate comes from the feature time kept in state.json.
 */
function pendingImages(ctx: Ctx): number {
  const fe = ctx.state.phases['feature-extraction'];
  const splits = ['train', 'validation', 'test'];
  const pending = splits.filter((k) => !existsSync(join(featureDir(ctx), `${k}.json`)));
  const images = pending.reduce((n, k) => n + splitImages(ctx, k), 0);
  if (!pending.length && fe.featureSeconds) {
    const all = splits.reduce((n, k) => n + splitImages(ctx, k), 0);
    sayEstimate(ctx, splitImages(ctx, 'test'), fe.featureSeconds / all);
  }
  return images + splitImages(ctx, 'test');
}

/** Before a long run (over LONG_RUN seconds on this adapter): how long, and how to resume. */
function sayEstimate(ctx: Ctx, pending: number, secondsPerImage: number): void {
  ctx.estimated = true;
  const left = estimateRemainingSeconds(ctx.state, ctx.s, pending, secondsPerImage);
  if (left <= LONG_RUN) return;
  ctx.log(
    `dawnflow: NOTE: this run has about ${formatDuration(left)} to go on this adapter ` +
      `(${secondsPerImage.toFixed(2)} s per conv-base image, measured); Ctrl-C stops it, and the same ` +
      'command resumes after the last finished epoch',
  );
}

async function featureExtraction(ctx: Ctx, base: Container): Promise<void> {
  const { fe } = ctx.s;
  const pending = pendingImages(ctx);
  const train = await features(ctx, base, 'train', pending);
  const validation = await features(ctx, base, 'validation', pending);
  // The notebook extracts the test features too (kept in <out>/features for later use).
  await features(ctx, base, 'test', pending);
  const done = resumeNote(ctx, 'feature-extraction', fe.epochs);
  if (done >= fe.epochs) return;
  let head: Container;
  if (done > 0) head = (await loadModel(ckpt(ctx.s, 'feature-extraction'))).model;
  else {
    freshLayers(ctx.s, 'feature-extraction');
    head = featureClassifier(train.xShape[1], fe.lr);
  }
  const [x, y] = toTensors(train);
  const val = toTensors(validation);
  for (let e = done; e < fe.epochs; e++) {
    await epoch(ctx, 'feature-extraction', head, e, fe.epochs, async () => {
      const h = await head.fit(x, y, {
        epochs: e + 1,
        initialEpoch: e,
        displayEpochs: fe.epochs,
        batchSize: fe.batchSize,
        validationData: val,
        microBatch: ctx.s.microBatch,
      });
      return { logs: lastLogs(h.history), seconds: h.epochSeconds[0], images: train.xShape[0] };
    });
  }
  for (const t of [x, y, ...val, head]) t.dispose();
}

function lastLogs(h: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v[v.length - 1]]));
}

// --- approaches 2 and 3 ----------------------------------------------------------------------

async function imageEpochs(ctx: Ctx, phase: Phase, model: Container, p: PhaseSettings): Promise<void> {
  for (let e = ctx.state.phases[phase].epochsDone; e < p.epochs; e++) {
    await epoch(ctx, phase, model, e, p.epochs, async () => {
      const fit = { displayEpochs: p.epochs, microBatch: ctx.s.microBatch };
      const o = { seed: seedFor(ctx.s, phase, e), augment: ctx.s.augment, fit };
      const r = await fitOnImages(model, source(ctx), p, [e, e + 1], o);
      return { logs: lastLogs(r.history.history), seconds: r.history.epochSeconds[0], images: r.images };
    });
  }
}

async function transfer(ctx: Ctx, base: Container): Promise<Container> {
  const done = resumeNote(ctx, 'transfer', ctx.s.tr.epochs);
  if (done > 0) return (await loadModel(ckpt(ctx.s, 'transfer'))).model;
  freshLayers(ctx.s, 'transfer');
  return frozenBaseModel(base, ctx.s.tr.lr, ctx.log);
}

async function fineTune(ctx: Ctx, fromTransfer: Container): Promise<Container> {
  const done = resumeNote(ctx, 'fine-tune', ctx.s.ft.epochs);
  if (done > 0) {
    fromTransfer.dispose();
    return (await loadModel(ckpt(ctx.s, 'fine-tune'))).model;
  }
  return unfrozenModel(fromTransfer, ctx.s.ft.lr, ctx.log, ckpt(ctx.s, 'transfer'));
}

// --- the run ---------------------------------------------------------------------------------

export interface ChapterOutcome {
  state: RunState;
  model: Container;
  ctx: Ctx;
  summaries: { base: string; model: string };
}

/**
 * Runs a phase and prints its wall time (the notebook prints toc - tic); a phase a previous
 * run finished is said to be done, not timed at 0.0 s, and a resumed one says so.
 */
async function timed(ctx: Ctx, phase: Phase, epochs: number, fn: () => Promise<void>): Promise<void> {
  const before = ctx.state.phases[phase].epochsDone;
  const t0 = performance.now();
  await fn();
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (before >= epochs) ctx.log(`${phase}: done by an earlier run (${epochs} epochs, ${ckpt(ctx.s, phase)})`);
  else if (before > 0) ctx.log(`${phase}: elapsed ${seconds} s (resumed after epoch ${before}/${epochs})`);
  else ctx.log(`${phase}: elapsed ${seconds} s`);
}

export async function runChapter(s: ChapterSettings, log: Log): Promise<ChapterOutcome> {
  mkdirSync(s.out, { recursive: true });
  const key = settingsKey(s);
  let state = loadState(s.out);
  if (state && state.settingsKey !== key) {
    throw new Error(
      `dawnflow: ${s.out} holds a run with other settings; use another --out, or delete ${join(s.out, 'state.json')} to start over`,
    );
  }
  state ??= freshState(key, s.seed);
  if (isFinished(s, state))
    log(`${s.out} holds a finished run of these settings: no epoch runs again; the test and report are redone`);
  const dropped = settleCheckpoints(s.out, state);
  if (dropped.length) log(`removed ${dropped.length} unfinished file(s) of an interrupted run: ${dropped.join(', ')}`);
  const ctx: Ctx = { s, state, log, pool: new DecodePool(defaultThreads()), cache: new ImageCache() };
  try {
    setSeed(s.seed);
    const base = vgg16({
      inputShape: [s.targetSize, s.targetSize, 3],
      weights: s.weights,
      kernelInitializer: s.baseInit,
    });
    const baseSummary = base.summary(log);
    await timed(ctx, 'feature-extraction', s.fe.epochs, () => featureExtraction(ctx, base));
    let model = await transfer(ctx, base);
    const modelSummary = model.summary(log);
    await timed(ctx, 'transfer', s.tr.epochs, () => imageEpochs(ctx, 'transfer', model, s.tr));
    model = await fineTune(ctx, model);
    await timed(ctx, 'fine-tune', s.ft.epochs, () => imageEpochs(ctx, 'fine-tune', model, s.ft));
    await saveModel(model, join(s.out, 'final_model.h5'));
    log(`saved ${join(s.out, 'final_model.h5')}`);
    return { state, model, ctx, summaries: { base: baseSummary, model: modelSummary } };
  } catch (e) {
    await ctx.pool.close();
    throw e;
  }
}
