// How many weight values a model_config would make dawnflow allocate, worked out from the JSON
// alone. Layers create (and randomly initialise) their weights as soon as the model is built,
// before the file's weights are matched against them, so a damaged or hostile config asking for
// Dense(units=1e9) would cost minutes and gigabytes before failing. loadModel compares this
// count with the values the file actually holds first. The builder adds layers one by one and
// stops at the first it cannot build (an unknown class, a bad field), so the count stops there
// too. Shapes follow Keras 2.3 (channels_last).
import { windowOutput, type Padding } from '../tensor/shape.js';

type Json = Record<string, unknown>;
/** A shape without the batch axis, or null while unknown (nothing is built then). */
type Shape = number[] | null;

interface Counted {
  values: number;
  shape: Shape;
  /** The builder would stop at this layer (after allocating `values`). */
  stop?: boolean;
}

/** Keras nests models two or three deep; far deeper is a damaged or hostile file. */
export const MAX_NESTING = 32;

export class NestingError extends Error {}

/** Weight values the config's model would allocate before it is built or refused. */
export function configWeightValues(config: unknown): number {
  return layer(config, null, 0).values;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const STOP: Counted = { values: 0, shape: null, stop: true };

function layer(entry: unknown, input: Shape, depth: number): Counted {
  if (depth > MAX_NESTING) throw new NestingError(`models nested more than ${MAX_NESTING} deep`);
  if (!isObject(entry) || typeof entry.class_name !== 'string') return STOP;
  const [cls, c] = [entry.class_name, entry.config];
  if (cls === 'Sequential') return sequential(c, input, depth);
  if (!isObject(c)) return STOP;
  const shape = declared(c) ?? input;
  if (cls === 'Model' || cls === 'Functional') {
    // A functional model starts with its InputLayer, which gives the shape.
    return Array.isArray(c.layers) ? chain(c.layers, shape, depth) : STOP;
  }
  const rule = Object.hasOwn(RULES, cls) ? RULES[cls] : undefined;
  if (!rule) return STOP;
  return shape === null ? { values: 0, shape: null } : rule(c, shape);
}

/** batch_input_shape without the batch axis, when fully given. */
function declared(c: Json): Shape {
  const s = c.batch_input_shape;
  return Array.isArray(s) && s.length > 1 && s.slice(1).every(isSize) ? (s.slice(1) as number[]) : null;
}

// Keras <= 2.2.2 wrote a Sequential's config as the bare list of its layers.
function sequential(c: unknown, input: Shape, depth: number): Counted {
  const list = Array.isArray(c) ? c : isObject(c) ? c.layers : null;
  if (!Array.isArray(list)) return STOP;
  const built = isObject(c) ? declared({ batch_input_shape: c.build_input_shape }) : null;
  return chain(list, input ?? firstDeclared(list) ?? built, depth);
}

function firstDeclared(list: unknown[]): Shape {
  const first = list[0];
  return isObject(first) && isObject(first.config) ? declared(first.config) : null;
}

function chain(list: unknown[], input: Shape, depth: number): Counted {
  let values = 0;
  let shape = input;
  for (const e of list) {
    const next = layer(e, shape, depth + 1);
    values += next.values;
    if (next.stop) return { values, shape: null, stop: true };
    shape = next.shape;
  }
  return { values, shape };
}

type Rule = (c: Json, s: number[]) => Counted;

/** The first of `keys` set in `c` (Keras 2 names first, then their Keras 1 spellings). */
function pick(c: Json, keys: string[]): unknown {
  return keys.map((k) => c[k]).find((v) => v !== undefined && v !== null);
}

function pair(v: unknown, dflt: [number, number] | null): [number, number] | null {
  if (v === undefined || v === null) return dflt;
  const p = isSize(v) ? [v, v] : v;
  return Array.isArray(p) && p.length === 2 && p.every(isSize) ? (p as [number, number]) : null;
}

function bias(c: Json): boolean {
  return pick(c, ['use_bias', 'bias']) !== false;
}

function dense(c: Json, s: number[]): Counted {
  const units = pick(c, ['units', 'output_dim']);
  if (!isSize(units) || s.length !== 1) return STOP;
  return { values: s[0] * units + (bias(c) ? units : 0), shape: [units] };
}

/** Output sizes of a 2-D window (conv or pool) over [h, w, c]; null when the builder refuses. */
function window(c: Json, s: number[], k: [number, number], strides: [number, number]): number[] | null {
  const padding = pick(c, ['padding', 'border_mode']) ?? 'valid';
  if (s.length !== 3 || (padding !== 'valid' && padding !== 'same')) return null;
  const out = [0, 1].map((i) => windowOutput(s[i], k[i], strides[i], padding as Padding).out);
  return out.every((n) => n >= 1) ? out : null;
}

// The kernel is created before the output shape is checked, so it counts even when the layer
// is then refused.
function conv(c: Json, s: number[]): Counted {
  const filters = pick(c, ['filters', 'nb_filter']);
  const k = c.kernel_size !== undefined ? pair(c.kernel_size, null) : pair([c.nb_row, c.nb_col], null);
  const strides = pair(pick(c, ['strides', 'subsample']), [1, 1]);
  if (!isSize(filters) || !k || !strides || s.length !== 3) return STOP;
  const values = k[0] * k[1] * s[2] * filters + (bias(c) ? filters : 0);
  const out = window(c, s, k, strides);
  return out ? { values, shape: [...out, filters] } : { ...STOP, values };
}

function pool(c: Json, s: number[]): Counted {
  const size = pair(c.pool_size, [2, 2]);
  const strides = size && pair(c.strides, size);
  const out = size && strides ? window(c, s, size, strides) : null;
  return out ? { values: 0, shape: [...out, s[2]] } : STOP;
}

const same: Rule = (_c, s) => ({ values: 0, shape: s });

const RULES: Record<string, Rule> = {
  InputLayer: same,
  Dropout: same,
  Activation: same,
  Dense: dense,
  Conv2D: conv,
  Convolution2D: conv,
  MaxPooling2D: pool,
  Flatten: (_c, s) => ({ values: 0, shape: [s.reduce((a, b) => a * b, 1)] }),
};
