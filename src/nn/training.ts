// compile, train and test steps with Keras 2.3 semantics (the fit loop is fit.ts): compile() snapshots the trainable
// weights (only those get gradients, so frozen layers dispatch no weight-gradient kernels),
// train-step loss and accuracy come from the pre-update weights, epoch values are sample-weighted
// means, validation runs in inference mode at the end of each epoch. A non-finite loss or
// gradient stops fit at that step, naming the first layer whose gradient is not finite. The loss
// takes the logits of a final sigmoid as Keras 2.3.1 on TF 1.15/2.0 does (nn/loss.ts); fit prints
// what Keras 2.3.1's fit_loop and ProgbarLogger print (nn/fit_log.ts).
import { backward, noGrad } from '../autograd/tape.js';
import { dispatcher } from '../gpu/engine.js';
import { mulScalar, zeros } from '../ops/elementwise.js';
import { loseDevice } from '../gpu/device.js';
import { faultPoint } from '../util/fault.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import type { Batch, BatchSource } from './batches.js';
import type { Logs } from './history.js';
import { checkMetric } from './metrics.js';
import { lossAndAccuracy } from './loss.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { Layer, Variable } from './layer.js';

export interface CompileArgs {
  optimizer: Optimizer;
  loss: string;
  metrics?: string[];
}

/** What training needs of a model: a layer holding layers (Container is one). */
export interface TrainingModel extends Layer {
  readonly layers: Layer[];
  /** Weights collected as trainable at the last compile(). */
  collectedTrainableWeights: Variable[] | null;
  /** Set by a callback to end fit() after this batch (Keras model.stop_training). */
  stopTraining: boolean;
}

export interface Compiled {
  optimizer: Optimizer;
  loss: string;
  metric: string | null;
  trainable: Variable[];
}

const compiled = new WeakMap<TrainingModel, Compiled>();

export function compile(model: TrainingModel, a: CompileArgs): void {
  if (a.loss !== 'binary_crossentropy')
    throw new Error(`dawnflow: loss '${a.loss}' is not supported (use binary_crossentropy)`);
  if (!model.built) throw new Error(`dawnflow: build '${model.name}' (give it an input shape) before compile()`);
  const metrics = (a.metrics ?? []).map(checkMetric);
  const trainable = model.trainableWeights;
  // The snapshot decides what gets gradients until the next compile(), as in Keras.
  const collected = new Set(trainable);
  for (const v of model.weights) v.value.requiresGrad = collected.has(v);
  const prev = compiled.get(model);
  if (prev && prev.optimizer !== a.optimizer) prev.optimizer.dispose();
  model.collectedTrainableWeights = trainable;
  compiled.set(model, { optimizer: a.optimizer, loss: a.loss, metric: metrics[0] ?? null, trainable });
}

export function isCompiled(model: TrainingModel): boolean {
  return compiled.has(model);
}

export function compiledOf(model: TrainingModel): Compiled {
  const c = compiled.get(model);
  if (!c) throw new Error(`dawnflow: compile '${model.name}' before fit/evaluate`);
  return c;
}

/** Reads the values of several small tensors (scalars, the gradient flags) with one readback. */
async function readScalars(ts: Tensor[]): Promise<number[]> {
  const d = dispatcher();
  const floats = ts.reduce((n, t) => n + t.size, 0);
  const buf = d.acquire(floats * 4, 'scalars');
  let at = 0;
  for (const t of ts) {
    d.copy(t.buffer, buf, t.size * 4, 0, at * 4);
    at += t.size;
  }
  const out = Array.from(new Float32Array(await d.read(buf, floats * 4)));
  d.pool.release(buf);
  return out;
}

// --- micro-batches ---------------------------------------------------------------------------

function leafLayers(model: TrainingModel): Layer[] {
  return model.layers.flatMap((l) => ('layers' in l ? leafLayers(l as TrainingModel) : [l]));
}

/**
 * The largest batch whose biggest activation fits one storage binding (and one staging
 * texture) of this adapter (on
 * lavapipe 128 MiB: 23 images of 150x150x64 at VGG16's first block). Larger batches are split
 * into micro-batches whose gradients add up to the full batch's.
 */
export function microBatchLimit(model: TrainingModel): number {
  const bytes = (s: readonly (number | null)[] | null) => (s ? sizeOf(s.slice(1) as number[]) * 4 : 0);
  let perSample = bytes(model.inputShape);
  for (const l of leafLayers(model)) perSample = Math.max(perSample, bytes(l.outputShape));
  // Texture-fed kernels also stage whole activations into one texture (texture_pool.ts).
  const limit = Math.min(dispatcher().maxBinding, dispatcher().textures.maxBytes);
  return Math.max(1, Math.floor(limit / Math.max(perSample, 1)));
}

function chunkSizes(n: number, max: number): number[] {
  const parts = Math.ceil(n / max);
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Rows [start, start + n) of a batch-major tensor, as a copy. */
export function sliceBatch(x: Tensor, start: number, n: number): Tensor {
  if (start === 0 && n === x.shape[0]) return x.view();
  const item = x.size / x.shape[0];
  const out = Tensor.empty([n, ...x.shape.slice(1)], x.dtype, 'batch-slice');
  dispatcher().copy(x.buffer, out.buffer, n * item * 4, start * item * 4, 0);
  return out;
}

function microBatches(
  model: TrainingModel,
  b: Batch,
  micro: number | undefined,
): { x: Tensor; y: Tensor; n: number }[] {
  const sizes = chunkSizes(b.size, Math.min(micro ?? Infinity, microBatchLimit(model)));
  let at = 0;
  return sizes.map((n) => {
    const part = { x: sliceBatch(b.x, at, n), y: sliceBatch(b.y, at, n), n };
    at += n;
    return part;
  });
}

/** Mean of per-chunk [loss, acc] values weighted by chunk sizes. */
function weighted(values: number[], sizes: number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  return [0, 1].map((k) => sizes.reduce((acc, n, i) => acc + values[2 * i + k] * n, 0) / total);
}

/**
 * Runs `body` on each micro-batch of `b` (each returns its [loss, acc] tensors), frees the
 * slices, and reads every value back at once: `stats` is [loss, acc] weighted by micro-batch
 * sizes, `extra` the values of the tensors `after` returned, in order.
 */
async function overMicroBatches(
  model: TrainingModel,
  b: Batch,
  micro: number | undefined,
  body: (m: { x: Tensor; y: Tensor; n: number }, parts: number) => Tensor[],
  after: () => Tensor[] = () => [],
): Promise<{ stats: number[]; extra: number[] }> {
  const parts = microBatches(model, b, micro);
  const stats = parts.flatMap((m) => tidy(() => body(m, parts.length)));
  const more = after();
  for (const m of parts) {
    m.x.dispose();
    m.y.dispose();
  }
  const values = await readScalars([...stats, ...more]);
  for (const t of [...stats, ...more]) t.dispose();
  const sizes = parts.map((m) => m.n);
  return { stats: weighted(values.slice(0, stats.length), sizes), extra: values.slice(stats.length) };
}

/** A non-finite loss or gradient: training cannot go on from these weights. */
export class NonFiniteError extends Error {
  /** `what` went wrong (`the loss became NaN`) at `where` (`epoch 2, step 1`). */
  constructor(
    readonly what: string,
    readonly where: string,
  ) {
    super(`dawnflow: ${what} at ${where}; lower the learning rate (or check the inputs for NaN/Inf)`);
  }
}

/** The layer owning the first variable whose flag is not 0, in the model's weight order. */
function firstBadLayer(model: TrainingModel, trainable: Variable[], flags: number[]): string | null {
  const i = flags.findIndex((f) => f !== 0);
  if (i < 0) return null;
  const owner = leafLayers(model).find((l) => l.weights.includes(trainable[i]));
  return `'${owner?.name ?? trainable[i].name}' (${trainable[i].name})`;
}

export interface StepResult {
  loss: number;
  acc: number;
  badGradient: string | null;
}

/** One update; also says which layer's gradient, if any, was not finite. */
export async function trainStep(model: TrainingModel, b: Batch, micro?: number): Promise<StepResult> {
  const c = compiledOf(model);
  c.optimizer.build(c.trainable);
  const { stats, extra } = await overMicroBatches(
    model,
    b,
    micro,
    (m, parts) => {
      const [loss, acc] = lossAndAccuracy(model, m.x, m.y, true);
      backward(parts === 1 ? loss : mulScalar(loss, m.n / b.size));
      return [loss, acc];
    },
    () => {
      if (faultPoint('train-step') === 'lose-device') loseDevice('DAWNFLOW_FAULT_LOSE_DEVICE_IN');
      // One flag per variable, set by its update where the gradient holds an Inf or a NaN
      // (shaders/finite_flag.wgsl), read back with the loss: no pass of its own.
      const flags = c.trainable.length ? [zeros([c.trainable.length])] : [];
      tidy(() => c.optimizer.step(c.trainable, flags[0]));
      for (const v of c.trainable) {
        v.value.grad?.dispose();
        v.value.grad = null;
      }
      return flags;
    },
  );
  return { loss: stats[0], acc: stats[1], badGradient: firstBadLayer(model, c.trainable, extra) };
}

/**
 * One update on a batch; returns [loss, acc] of the pre-update weights. A batch larger than
 * the adapter can hold (or than `micro`) runs as micro-batches: each one's mean loss is
 * weighted by its share of the batch, so the accumulated gradient is the full batch's. A
 * non-finite gradient throws a NonFiniteError naming the first layer it reached.
 */
export async function trainOnBatch(model: TrainingModel, b: Batch, micro?: number): Promise<number[]> {
  const r = await trainStep(model, b, micro);
  if (r.badGradient) throw nonFinite(r, 'this batch');
  return [r.loss, r.acc];
}

export function nonFinite(r: StepResult, where: string): NonFiniteError {
  const what = [
    Number.isFinite(r.loss) ? '' : `the loss became ${r.loss}`,
    r.badGradient ? `the gradient of layer ${r.badGradient} is not finite` : '',
  ];
  return new NonFiniteError(what.filter(Boolean).join(' and '), where);
}

export async function testOnBatch(model: TrainingModel, b: Batch): Promise<number[]> {
  const { stats } = await overMicroBatches(model, b, undefined, (m) =>
    noGrad(() => lossAndAccuracy(model, m.x, m.y, false)),
  );
  return stats;
}

/** [loss, metric] over `steps` batches of `src`, weighted by batch sizes, in inference mode. */
export async function evaluateSource(model: TrainingModel, src: BatchSource, steps: number): Promise<Logs> {
  let [loss, acc, n] = [0, 0, 0];
  for (let s = 0; s < steps; s++) {
    const b = await src.next();
    const [l, a] = await testOnBatch(model, b);
    b.x.dispose();
    b.y.dispose();
    [loss, acc, n] = [loss + l * b.size, acc + a * b.size, n + b.size];
  }
  const name = compiledOf(model).metric ?? 'acc';
  return { loss: loss / n, [name]: acc / n };
}
