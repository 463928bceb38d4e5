// Model architecture <-> Keras model_config JSON. Writes Keras 2.3's form; reads Keras 2.x and
// the Keras 1 names (Convolution2D, nb_filter, border_mode, output_dim, p). Only the layer
// classes dawnflow implements are built: anything else (Lambda, custom classes) is refused,
// never executed.
import { Container, Model, Sequential } from './container.js';
import type { Layer } from './layer.js';
import { Activation, Dense, Dropout, Flatten, InputLayer } from './layers/core.js';
import { Conv2D } from './layers/convolutional.js';
import { MaxPooling2D } from './layers/pooling.js';

type Json = Record<string, unknown>;

// --- writing -------------------------------------------------------------------------------

export function modelConfig(model: Container): Json {
  return { class_name: model.className, config: containerConfig(model) };
}

function containerConfig(model: Container): Json {
  // Keras 2.3 does not write a nested model's own `trainable` (so a frozen conv base comes back
  // trainable); dawnflow adds the key when false, and Keras's from_config ignores it.
  const frozen = model.trainable ? {} : { trainable: false };
  if (model instanceof Sequential) {
    const c: Json = { name: model.name, ...frozen, layers: model.layers.map(layerEntry) };
    if (model.inputShape && !firstLayerKnowsInput(model)) c.build_input_shape = model.inputShape;
    return c;
  }
  // A linear functional model: every layer's inbound node is the previous layer.
  const layers = model.layers.map((l, i) => ({
    name: l.name,
    ...layerEntry(l),
    inbound_nodes: i === 0 ? [] : [[[model.layers[i - 1].name, 0, 0, {}]]],
  }));
  const last = model.layers[model.layers.length - 1];
  return {
    name: model.name,
    ...frozen,
    layers,
    input_layers: [[model.layers[0].name, 0, 0]],
    output_layers: [[last.name, 0, 0]],
  };
}

/**
 * Keras 2.3 writes build_input_shape only for a Sequential built by build(): one whose first
 * layer carries its input shape (batch_input_shape, or a nested model that is built) rebuilds
 * from the layers alone, and Keras leaves the key out. dawnflow writes it in the other case
 * (an explicit InputLayer, which Keras 2.3 drops from the config, losing the shape).
 */
function firstLayerKnowsInput(model: Sequential): boolean {
  const first = model.layers[0];
  return !!first && (first.declaredInputShape !== null || (first instanceof Container && first.built));
}

function layerEntry(l: Layer): Json {
  const config = l instanceof Container ? containerConfig(l) : l.getConfig();
  return { class_name: l.className, config };
}

// --- reading -------------------------------------------------------------------------------

class ConfigError extends Error {}

function field<T>(c: Json, keys: string[], check: (v: unknown) => v is T, what: string, dflt?: T): T {
  for (const k of keys)
    if (c[k] !== undefined && c[k] !== null) {
      if (!check(c[k]))
        throw new ConfigError(`${what}: '${k}' has an unexpected value ${JSON.stringify(c[k]).slice(0, 60)}`);
      return c[k] as T;
    }
  if (dflt !== undefined) return dflt;
  throw new ConfigError(`${what}: missing '${keys[0]}'`);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every(isNum);
const isShape = (v: unknown): v is (number | null)[] => Array.isArray(v) && v.every((d) => d === null || isNum(d));

function inputShapeOf(c: Json, what: string): number[] | undefined {
  const s = field(c, ['batch_input_shape'], isShape, what, [] as (number | null)[]);
  if (!s.length) return undefined;
  if (s.slice(1).some((d) => d === null)) throw new ConfigError(`${what}: input shapes must be fully known`);
  return s.slice(1) as number[];
}

function base(c: Json, what: string) {
  return {
    name: field(c, ['name'], isStr, what),
    trainable: field(c, ['trainable'], isBool, what, true),
    inputShape: inputShapeOf(c, what),
  };
}

const BUILDERS: Record<string, (c: Json, what: string) => Layer> = {
  InputLayer: (c, w) => new InputLayer({ name: field(c, ['name'], isStr, w), inputShape: inputShapeOf(c, w)! }),
  Dense: (c, w) =>
    new Dense({
      ...base(c, w),
      units: field(c, ['units', 'output_dim'], isNum, w),
      activation: field(c, ['activation'], isStr, w, 'linear'),
      useBias: field(c, ['use_bias', 'bias'], isBool, w, true),
    }),
  Conv2D: (c, w) =>
    new Conv2D({
      ...base(c, w),
      filters: field(c, ['filters', 'nb_filter'], isNum, w),
      kernelSize:
        c.kernel_size !== undefined
          ? field(c, ['kernel_size'], isPair, w)
          : [field(c, ['nb_row'], isNum, w), field(c, ['nb_col'], isNum, w)],
      strides: field(c, ['strides', 'subsample'], isPair, w, [1, 1]),
      padding: field(c, ['padding', 'border_mode'], isStr, w, 'valid') as 'same' | 'valid',
      activation: field(c, ['activation'], isStr, w, 'linear'),
      useBias: field(c, ['use_bias', 'bias'], isBool, w, true),
    }),
  MaxPooling2D: (c, w) =>
    new MaxPooling2D({
      ...base(c, w),
      poolSize: field(c, ['pool_size'], isPair, w, [2, 2]),
      strides: field(c, ['strides'], isPair, w, field(c, ['pool_size'], isPair, w, [2, 2])),
      padding: field(c, ['padding', 'border_mode'], isStr, w, 'valid') as 'same' | 'valid',
    }),
  Flatten: (c, w) => new Flatten(base(c, w)),
  Dropout: (c, w) => new Dropout({ ...base(c, w), rate: field(c, ['rate', 'p'], isNum, w) }),
  Activation: (c, w) => new Activation({ ...base(c, w), activation: field(c, ['activation'], isStr, w) }),
  Sequential: (c, w) => sequentialFrom(c, w),
  Model: (c, w) => modelFrom(c, w),
};
BUILDERS.Convolution2D = BUILDERS.Conv2D;
BUILDERS.Functional = BUILDERS.Model;

function checkChannelsLast(c: Json, what: string): void {
  const order = c.data_format ?? c.dim_ordering;
  if (order !== undefined && order !== 'channels_last' && order !== 'tf') {
    throw new ConfigError(`${what}: data format '${String(order)}' is not supported (channels_last only)`);
  }
}

function layerFrom(entry: unknown, where: string): Layer {
  if (!entry || typeof entry !== 'object') throw new ConfigError(`${where}: a layer entry is not an object`);
  const e = entry as Json;
  const cls = field(e, ['class_name'], isStr, where);
  const c = field(e, ['config'], (v): v is Json => !!v && typeof v === 'object', `${where} ${cls}`);
  const build = Object.hasOwn(BUILDERS, cls) ? BUILDERS[cls] : undefined;
  if (!build) {
    throw new ConfigError(
      `${where}: layer class '${cls}' is not supported; dawnflow builds only ` +
        `${Object.keys(BUILDERS).join(', ')} and never runs code from a model file`,
    );
  }
  const what = `${where} ${cls} '${String(c.name ?? '?')}'`;
  checkChannelsLast(c, what);
  return build(c, what);
}

function sequentialFrom(c: Json | unknown[], where: string): Sequential {
  // Keras <= 2.2.2 (and 1.x) wrote a Sequential's config as the bare list of layers.
  const list = Array.isArray(c) ? c : field(c, ['layers'], Array.isArray, where);
  const name = Array.isArray(c) ? undefined : field(c, ['name'], isStr, where, undefined as unknown as string);
  const model = new Sequential({ name });
  for (const e of list) model.add(layerFrom(e, where));
  if (!model.built && !Array.isArray(c) && isShape(c.build_input_shape)) model.build(c.build_input_shape);
  if (!Array.isArray(c)) model.trainable = field(c, ['trainable'], isBool, where, true);
  return model;
}

function modelFrom(c: Json, where: string): Model {
  const list = field(c, ['layers'], Array.isArray, where);
  // Only linear graphs: each layer fed by the one before it.
  list.forEach((e, i) => {
    const nodes = (e as Json).inbound_nodes as unknown[] | undefined;
    const src = (nodes?.[0] as unknown[][] | undefined)?.[0]?.[0];
    if (i > 0 && nodes && src !== (list[i - 1] as Json).name) {
      throw new ConfigError(
        `${where}: only linear models are supported ('${String((e as Json).name)}' is not fed by the layer before it)`,
      );
    }
  });
  const model = new Model({ name: field(c, ['name'], isStr, where), layers: list.map((e) => layerFrom(e, where)) });
  model.trainable = field(c, ['trainable'], isBool, where, true);
  return model;
}

/** Builds the model a model_config describes; errors name `source` and the offending layer. */
export function modelFromConfig(config: unknown, source: string): Container {
  try {
    const layer = layerFrom(config, source);
    if (!(layer instanceof Container)) throw new ConfigError(`${source}: model_config is a single layer, not a model`);
    return layer;
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`dawnflow: ${e.message}`);
    throw e;
  }
}
