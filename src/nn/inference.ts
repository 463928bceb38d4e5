// predict and evaluate on tensors, as Keras's predict(x) and evaluate(x, y) on arrays.
// predict is synchronous like every op (TF.js's model.predict too): it slices x on the GPU,
// runs each batch in inference mode and copies the outputs into one tensor; read it with data().
import { noGrad } from '../autograd/tape.js';
import { dispatcher } from '../gpu/engine.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import type { BatchSource } from './batches.js';
import { checkXY, TensorSource } from './tensor_source.js';
import { compiledOf, evaluateSource, microBatchLimit, sliceBatch, type TrainingModel } from './training.js';

export interface PredictOptions {
  /** Samples per forward pass (default 32; fewer when the adapter cannot hold that many). */
  batchSize?: number;
}

/** The model's outputs for every sample of x, in order, as one [n, ...] tensor. */
export function predict(model: TrainingModel, x: Tensor, o: PredictOptions = {}): Tensor {
  if (x.rank < 2 || x.shape[0] === 0) throw new Error(`dawnflow: predict input is ${x.describe()}; it needs samples`);
  const n = x.shape[0];
  const step = Math.min(o.batchSize ?? 32, microBatchLimit(model));
  let out: Tensor | null = null;
  for (let i = 0; i < n; i += step) {
    const k = Math.min(step, n - i);
    const xb = sliceBatch(x, i, k);
    // tidy: under noGrad nothing frees the layers' intermediate outputs.
    const y = tidy(() => noGrad(() => model.apply(xb, { training: false })));
    const item = y.size / k;
    out ??= Tensor.empty([n, ...y.shape.slice(1)], 'float32', 'predict');
    dispatcher().copy(y.buffer, out.buffer, y.size * 4, 0, i * item * 4);
    if (y !== xb) y.dispose();
    xb.dispose();
  }
  return out as Tensor;
}

export interface EvaluateOptions {
  /** Samples per batch for evaluate(x, y) (default 32). */
  batchSize?: number;
  /** Batches to draw (default: one pass). */
  steps?: number;
}

export type EvaluateData = { x: Tensor; y: Tensor } | BatchSource;

/** Keras's evaluate: [loss, metric] (just [loss] without a metric), weighted by batch sizes. */
export async function evaluate(model: TrainingModel, data: EvaluateData, o: EvaluateOptions = {}): Promise<number[]> {
  let src: BatchSource;
  if ('next' in data) src = data;
  else {
    checkXY(data.x, data.y, 'evaluate');
    src = new TensorSource(data.x, data.y, o.batchSize ?? 32, false);
  }
  const logs = await evaluateSource(model, src, o.steps ?? src.batchesPerPass);
  const metric = compiledOf(model).metric;
  return metric ? [logs.loss, logs[metric]] : [logs.loss];
}
