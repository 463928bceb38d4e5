// Keras weights in and out of models. Loading follows Keras 2.3's load_weights: by default
// layers with weights are paired with the file's layers with weights in order (by_name=False),
// or by name with { byName: true }. Every shape is checked before anything is uploaded, so a
// bad file leaves the model as it was. Saving writes Keras 2.3's save_weights / model.save
// layouts (atomically, through h5_write).
import { Container } from '../nn/container.js';
import type { Layer, Variable } from '../nn/layer.js';
import { modelConfig, modelFromConfig } from '../nn/serialization.js';
import { Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { ownWeight, readKerasH5Shared, type H5Layer, type H5Weight, type KerasWeightsFile } from './h5_read.js';
import { compile, compiledOf, isCompiled } from '../nn/training.js';
import { optimizerConfig, optimizerFromConfig } from '../nn/optimizers/config.js';
import { writeKerasH5, type WriteOptions } from './h5_write.js';
import { configWeightValues, NestingError } from './model_budget.js';
import { oneLine } from '../util/errors.js';

export const KERAS_VERSION = '2.3.1';

export interface LoadOptions {
  /** Pair layers by name instead of by position (Keras by_name=True). */
  byName?: boolean;
}

interface Assignment {
  variable: Variable;
  weight: H5Weight;
  data: Float32Array;
}

const withWeights = (layers: Layer[]) => layers.filter((l) => l.weights.length > 0);

function allLayers(model: Container): Layer[] {
  return model.layers.flatMap((l) => (l instanceof Container ? [l, ...allLayers(l)] : [l]));
}

function pairTopological(model: Container, file: KerasWeightsFile): [Layer, H5Layer][] {
  const targets = withWeights(model.layers);
  const sources = file.layers.filter((l) => l.weights.length > 0);
  if (targets.length !== sources.length) {
    throw new Error(
      `dawnflow: ${file.path}: the file has ${sources.length} layers with weights but ` +
        `model '${model.name}' has ${targets.length} (pairing is by position, as Keras's by_name=False); ` +
        `check that this is the right file for the model, or load with byName`,
    );
  }
  return targets.map((t, i) => [t, sources[i]]);
}

function pairByName(model: Container, file: KerasWeightsFile): [Layer, H5Layer][] {
  const byName = new Map(allLayers(model).map((l) => [l.name, l]));
  const pairs: [Layer, H5Layer][] = [];
  for (const s of file.layers) {
    const t = byName.get(s.name);
    if (t && s.weights.length) pairs.push([t, s]);
  }
  if (!pairs.length) {
    throw new Error(
      `dawnflow: ${file.path}: no layer name in the file matches a layer of '${model.name}'; ` +
        'load by position (without byName) or check that this is the right file',
    );
  }
  return pairs;
}

/** The target variables in file order: by weight name when they all match, else by position. */
function targetVariables(layer: Layer, source: H5Layer, path: string): Variable[] {
  const vars = layer.weights;
  if (vars.length !== source.weights.length) {
    throw new Error(
      `dawnflow: ${path}: layer '${source.name}' in the file has ${source.weights.length} ` +
        `weights but '${layer.name}' (${layer.className}) has ${vars.length}; the file does not fit this model`,
    );
  }
  const named = new Map(vars.map((v) => [v.name, v]));
  const byName = source.weights.map((w) => named.get(w.name));
  return byName.every((v) => v) ? (byName as Variable[]) : vars;
}

/** Keras's conversion of old kernels: a (cout, cin, kh, kw) kernel becomes (kh, kw, cin, cout). */
function convertKernel(w: H5Weight, target: readonly number[], flip: boolean): Float32Array | null {
  let data = w.data;
  let shape = w.shape;
  if (shape.length === 4 && !sameShape(shape, target)) {
    const [co, ci, kh, kw] = shape;
    if (!sameShape([kh, kw, ci, co], target)) return null;
    data = transposeOihwToHwio(data, co, ci, kh, kw);
    shape = [kh, kw, ci, co];
  }
  if (!sameShape(shape, target)) return null;
  return flip && shape.length === 4 ? flipSpatial(data, shape) : data;
}

function transposeOihwToHwio(d: Float32Array, co: number, ci: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(d.length);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          out[((y * kw + x) * ci + i) * co + o] = d[((o * ci + i) * kh + y) * kw + x];
        }
  return out;
}

/** Theano stored convolution kernels flipped; TF correlates. */
function flipSpatial(d: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(d.length);
  const plane = ci * co;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) {
      out.set(d.subarray((y * kw + x) * plane, (y * kw + x + 1) * plane), ((kh - 1 - y) * kw + (kw - 1 - x)) * plane);
    }
  return out;
}

function plan(model: Container, file: KerasWeightsFile, o: LoadOptions): Assignment[] {
  const pairs = o.byName ? pairByName(model, file) : pairTopological(model, file);
  const flip = file.backend === 'theano';
  return pairs.flatMap(([layer, source]) => {
    const vars = targetVariables(layer, source, file.path);
    return source.weights.map((weight, i) => {
      const variable = vars[i];
      const data = convertKernel(weight, variable.shape, flip);
      if (!data) {
        throw new Error(
          `dawnflow: ${file.path}: '${weight.name}' is ${fmt(weight.shape)} but ` +
            `'${variable.name}' in layer '${layer.name}' needs ${fmt(variable.shape)}; the file does not fit this model ` +
            `(input shape or filter counts differ)`,
        );
      }
      return { variable, weight, data };
    });
  });
}

/** Applies the weights of an already read file; nothing is uploaded unless every shape fits. */
export function applyWeights(model: Container, file: KerasWeightsFile, o: LoadOptions = {}): number {
  if (!model.built) throw new Error(`dawnflow: build '${model.name}' (give it an input shape) before loading weights`);
  const assignments = plan(model, file, o);
  for (const a of assignments) a.variable.assign(Tensor.fromArray(a.data, a.variable.shape));
  return assignments.length;
}

/** Keras model.load_weights(path): resolves to the number of tensors loaded. */
export async function loadWeights(model: Container, path: string, o: LoadOptions = {}): Promise<number> {
  return loadWeightsSync(model, path, o);
}

/** loadWeights without the promise, for builders that are synchronous (Keras's VGG16()). */
export function loadWeightsSync(model: Container, path: string, o: LoadOptions = {}): number {
  return applyWeights(model, readKerasH5Shared(path), o);
}

// --- saving --------------------------------------------------------------------------------

async function h5Layers(model: Container): Promise<H5Layer[]> {
  const out: H5Layer[] = [];
  for (const layer of model.layers) {
    const weights: H5Weight[] = [];
    for (const v of layer.weights) {
      const data = (await v.value.data()) as Float32Array;
      weights.push({ name: v.name, shape: [...v.shape], data });
    }
    out.push({ name: layer.name, weights });
  }
  return out;
}

/** Keras model.save_weights(path). */
export async function saveWeights(model: Container, path: string): Promise<void> {
  await writeKerasH5(path, await h5Layers(model), { kerasVersion: KERAS_VERSION, backend: 'tensorflow' });
}

export interface SaveModelOptions {
  /** Keep the optimizer and its state (Keras include_optimizer, default true when compiled). */
  includeOptimizer?: boolean;
}

/** Keras model.save(path): architecture, weights and, when compiled, the optimizer's state. */
export async function saveModel(model: Container, path: string, o: SaveModelOptions = {}): Promise<void> {
  const c = isCompiled(model) && (o.includeOptimizer ?? true) ? compiledOf(model) : null;
  const opts: WriteOptions = { kerasVersion: KERAS_VERSION, backend: 'tensorflow', modelConfig: modelConfig(model) };
  if (c) {
    opts.trainingConfig = {
      optimizer_config: optimizerConfig(c.optimizer),
      loss: c.loss,
      metrics: c.metric ? [c.metric] : [],
      weighted_metrics: null,
      sample_weight_mode: null,
      loss_weights: null,
    };
    if (c.optimizer.iterations > 0) opts.optimizerWeights = await c.optimizer.getWeights(c.trainable);
  }
  await writeKerasH5(path, await h5Layers(model), opts);
}

export interface LoadedModel {
  model: Container;
  trainingConfig: unknown | null;
  optimizerWeights: H5Weight[];
}

/**
 * Keras load_model(path): rebuilds the architecture from model_config, loads the weights and,
 * when the file has a training_config, compiles the model with that optimizer and its state
 * (Keras 2.2 and 2.3 optimizer_weights, int64 iterations included: nn/optimizers/keras_state.ts).
 */
export async function loadModel(path: string): Promise<LoadedModel> {
  return loadModelSync(path);
}

/** loadModel without the promise, for callers that must stay synchronous (the fuzzer's deadline). */
export function loadModelSync(path: string): LoadedModel {
  const file = readKerasH5Shared(path);
  if (!file.modelConfig) {
    throw new Error(`dawnflow: ${path}: no model_config (a weights-only file); build the model and use loadWeights`);
  }
  const model = modelFromFile(file);
  try {
    applyWeights(model, file);
    if (file.trainingConfig) restoreTraining(model, file, path);
  } catch (e) {
    model.dispose();
    throw e;
  }
  // Arrays of their own: views would keep the whole file's bytes alive for the caller.
  return { model, trainingConfig: file.trainingConfig, optimizerWeights: file.optimizerWeights.map(ownWeight) };
}

const FIX_CONFIG = 're-save the model with Keras using built-in layers only, or check the file';

/**
 * The architecture of a model file, built only after its config is known to ask for no more
 * weights than the file holds (building allocates and initialises every weight first). Every
 * refusal is one line naming the file.
 */
export function modelFromFile(file: KerasWeightsFile): Container {
  checkConfigBudget(file);
  try {
    return modelFromConfig(file.modelConfig, file.path);
  } catch (e) {
    throw configError(file.path, e);
  }
}

function checkConfigBudget(file: KerasWeightsFile): void {
  const held = file.layers.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length, 0), 0);
  let asked: number;
  try {
    asked = configWeightValues(file.modelConfig);
  } catch (e) {
    if (!(e instanceof NestingError)) throw e;
    throw new Error(oneLine(`dawnflow: ${file.path}: model_config has ${e.message}; ${FIX_CONFIG}`));
  }
  // Twice the file plus a little: never in the way of a model that fits its file.
  if (asked > 2 * held + 2 ** 20) {
    throw new Error(
      oneLine(
        `dawnflow: ${file.path}: model_config asks for ${asked.toLocaleString('en-US')} ` +
          `weight values but the file holds ${held.toLocaleString('en-US')}; the file is damaged or ` +
          `not a Keras model file: ${FIX_CONFIG}`,
      ),
    );
  }
}

/** A builder's refusal as `dawnflow: <file>: model_config: <what>; <fix>`. */
function configError(path: string, e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  if (!message.startsWith('dawnflow: ')) {
    // An engine error from a layer (strides of 0 make an Infinity-sized weight): the setting
    // was accepted but cannot be built; the original stays in the cause.
    const what = 'model_config could not be built (a layer setting is out of range)';
    return new Error(oneLine(`dawnflow: ${path}: ${what}; ${FIX_CONFIG}`), { cause: e });
  }
  let what = message.slice('dawnflow: '.length);
  if (what.startsWith(path)) what = what.slice(path.length).replace(/^:?\s*/, '');
  const fix = what.includes('; ') ? '' : `; ${FIX_CONFIG}`;
  return new Error(oneLine(`dawnflow: ${path}: model_config: ${what}${fix}`), { cause: e });
}

/**
 * Compiles the loaded model as its training_config says. A configuration dawnflow cannot train
 * with (another optimizer, loss or metric) leaves the model loaded but not compiled, with a
 * warning, as Keras's load_model(compile=False) would.
 */
function restoreTraining(model: Container, file: KerasWeightsFile, path: string): void {
  const cfg = file.trainingConfig as { loss?: unknown; metrics?: unknown };
  const metrics = Array.isArray(cfg.metrics) ? cfg.metrics.filter((m): m is string => typeof m === 'string') : [];
  const loss = typeof cfg.loss === 'string' ? cfg.loss : String(cfg.loss);
  try {
    compile(model, { optimizer: optimizerFromConfig(cfg, path), loss, metrics });
  } catch (e) {
    console.warn(`${(e as Error).message}; the model is loaded but not compiled`);
    return;
  }
  const c = compiledOf(model);
  if (!file.optimizerWeights.length) return;
  try {
    c.optimizer.setWeights(c.trainable, file.optimizerWeights, path);
  } catch (e) {
    // As Keras does: the model loads, the optimizer starts afresh, and the user is told.
    console.warn(`${(e as Error).message}; the optimizer state was not restored`);
  }
}
