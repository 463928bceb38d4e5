// Keras 2.3.1's fit loop (keras/engine/training_arrays.py fit_loop and training_generator.py):
// per epoch `on_epoch_begin`, then per batch `on_batch_begin` with {batch, size}, one update,
// `on_batch_end` with the batch's loss and the running metric; validation after the last batch;
// `on_epoch_end` with the epoch means; `on_train_end` after the last epoch. A callback stops
// training by setting `model.stopTraining` (checked after every batch and every epoch, as Keras
// checks model.stop_training) or by returning true from onEpochEnd.
import type { Tensor } from '../tensor/tensor.js';
import type { BatchSource } from './batches.js';
import { FitLog } from './fit_log.js';
import { History, type CallbackHooks, type Logs } from './history.js';
import type { Write } from './progbar.js';
import { TensorSource } from './tensor_source.js';
import { compiledOf, evaluateSource, nonFinite, trainStep, type TrainingModel } from './training.js';

/** fit()'s options; M is the model type its callbacks receive. */
export interface FitOptions<M = TrainingModel> {
  /** Epochs to train (default 1, as Keras). */
  epochs?: number;
  /** Samples per update for fit(x, y) (default 32); ignored for a BatchSource. */
  batchSize?: number;
  stepsPerEpoch?: number;
  /** [xVal, yVal] tensors, or a BatchSource, evaluated at the end of every epoch. */
  validationData?: [Tensor, Tensor] | BatchSource;
  validationSteps?: number;
  /** Shuffle x and y before each epoch (default true; fit(x, y) only). */
  shuffle?: boolean;
  callbacks?: CallbackHooks<M>[];
  verbose?: 0 | 1 | 2;
  initialEpoch?: number;
  /** The epoch count shown in `Epoch i/N` (default `epochs`): for runs fitted one epoch at a time. */
  displayEpochs?: number;
  /** Largest micro-batch (default: what the adapter can hold). */
  microBatch?: number;
  write?: Write;
  /** Draw the progress bar in place (default: whether stdout is a TTY, as Keras decides). */
  tty?: boolean;
  /** The progress bar's clock in seconds (default: the wall clock); tests pass a fake one. */
  now?: () => number;
}

/** What fit() trains on: tensors on the GPU (Keras's arrays) or a batch stream (its generators). */
export type FitData = { x: Tensor; y: Tensor } | BatchSource;

interface Loop<M extends TrainingModel> {
  model: M;
  callbacks: CallbackHooks<M>[];
  log: FitLog;
  arrays: boolean;
  metric: string;
  microBatch?: number;
}

async function each<M extends TrainingModel>(l: Loop<M>, fn: (cb: CallbackHooks<M>) => unknown): Promise<void> {
  for (const cb of l.callbacks) {
    // Returning true from onEpochEnd is dawnflow's older way of saying stop_training = True.
    if ((await fn(cb)) === true) l.model.stopTraining = true;
  }
}

/**
 * One pass of up to `steps` batches (fewer when a callback stops training); returns the epoch's
 * sample-weighted [loss, metric] logs and the batches run.
 */
async function trainEpoch<M extends TrainingModel>(
  l: Loop<M>,
  src: BatchSource,
  steps: number,
  epoch: number,
): Promise<{ logs: Logs; done: number }> {
  let [loss, acc, seen, s] = [0, 0, 0, 0];
  while (s < steps && !l.model.stopTraining) {
    const b = await src.next();
    await each(l, (cb) => cb.onBatchBegin?.(s, { batch: s, size: b.size }, l.model));
    const r = await trainStep(l.model, b, l.microBatch);
    b.x.dispose();
    b.y.dispose();
    if (!Number.isFinite(r.loss) || r.badGradient) throw nonFinite(r, `epoch ${epoch + 1}, step ${s + 1}`);
    [loss, acc, seen] = [loss + r.loss * b.size, acc + r.acc * b.size, seen + b.size];
    l.log.batchEnd(l.arrays ? b.size : 1, r.loss, acc / seen);
    // The metric is stateful in Keras 2.3.1: the batch logs carry its running epoch mean.
    const logs = { batch: s, size: b.size, loss: r.loss, [l.metric]: acc / seen };
    await each(l, (cb) => cb.onBatchEnd?.(s, logs, l.model));
    s++;
  }
  return { logs: { loss: loss / seen, [l.metric]: acc / seen }, done: s };
}

function sources(data: FitData, o: FitOptions<unknown>): { src: BatchSource; val: BatchSource | null } {
  const batchSize = o.batchSize ?? 32;
  const src = 'next' in data ? data : new TensorSource(data.x, data.y, batchSize, o.shuffle ?? true);
  const v = o.validationData;
  const val = !v ? null : Array.isArray(v) ? new TensorSource(v[0], v[1], batchSize, false) : v;
  return { src, val };
}

/** The fit in progress: the epoch it is in (0-based) of how many; null when none runs. */
let running: { epoch: number; epochs: number } | null = null;

/** Where the current fit is, for a Ctrl-C message (the CLI's training commands). */
export function fitProgress(): { epoch: number; epochs: number } | null {
  return running === null ? null : { ...running };
}

export async function fit<M extends TrainingModel>(model: M, data: FitData, o: FitOptions<M> = {}): Promise<History> {
  const metric = compiledOf(model).metric ?? 'acc';
  const arrays = !('next' in data);
  const { src, val } = sources(data, o as FitOptions<unknown>);
  const steps = o.stepsPerEpoch ?? src.batchesPerPass;
  const epochs = o.epochs ?? 1;
  const log = new FitLog({
    write: o.write ?? ((s: string) => process.stdout.write(s)),
    tty: o.tty ?? Boolean(process.stdout.isTTY),
    verbose: o.verbose ?? 1,
    metric,
    now: o.now,
  });
  const l: Loop<M> = { model, callbacks: o.callbacks ?? [], log, arrays, metric, microBatch: o.microBatch };
  // A run fitted one epoch per call (initialEpoch > 0) prints it once, as one Keras fit() would.
  if (arrays && (o.initialEpoch ?? 0) === 0) log.trainBegin(src.samples, val ? val.samples : null);
  const history = new History();
  model.stopTraining = false;
  await each(l, (cb) => cb.onTrainBegin?.({}, model));
  try {
    await runEpochs(l, src, val, history, o, steps, epochs);
  } catch (e) {
    log.interrupted();
    throw e;
  } finally {
    running = null;
  }
  await each(l, (cb) => cb.onTrainEnd?.({}, model));
  return history;
}

async function runEpochs<M extends TrainingModel>(
  l: Loop<M>,
  src: BatchSource,
  val: BatchSource | null,
  history: History,
  o: FitOptions<M>,
  steps: number,
  epochs: number,
): Promise<void> {
  const { model, log, arrays, metric } = l;
  for (let epoch = o.initialEpoch ?? 0; epoch < epochs; epoch++) {
    const t0 = performance.now();
    running = { epoch, epochs: o.displayEpochs ?? epochs };
    log.epochBegin(epoch, o.displayEpochs ?? epochs, arrays ? src.samples : steps);
    await each(l, (cb) => cb.onEpochBegin?.(epoch, {}, model));
    const { logs, done } = await trainEpoch(l, src, steps, epoch);
    // Keras validates once the last batch has run (a stop before it skips validation).
    if (val && done === steps) {
      const v = await evaluateSource(model, val, o.validationSteps ?? val.batchesPerPass);
      logs.val_loss = v.loss;
      logs[`val_${metric}`] = v[metric];
    }
    log.epochEnd(logs);
    history.record(epoch, logs, (performance.now() - t0) / 1000);
    await each(l, (cb) => cb.onEpochEnd?.(epoch, logs, model));
    if (model.stopTraining) break;
  }
}
