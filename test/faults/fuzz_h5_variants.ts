// Structural faults built at the HDF5 level with h5wasm (not byte flips): a weight stored as
// int32, strings or a compound, a wrong shape, a missing dataset or attribute, name lists of the
// wrong type, and model files whose config asks for code (Lambda with Python bytecode, custom
// classes), absurd layer sizes or absurd nesting. Each variant says what must happen: load the
// same weights as the clean file, be refused, or either (cleanly).
import h5wasm from 'h5wasm/node';

type Attr = { value: unknown; shape?: number[] | null; dtype?: unknown } | 'absent';

export interface WeightSpec {
  name: string;
  shape: number[];
  data: unknown;
  dtype: unknown;
  /** A group (not a dataset) at the weight's path, or nothing at all. */
  store?: 'dataset' | 'group' | 'missing';
}

export interface LayerSpec {
  name: string;
  weightNames?: Attr;
  weights: WeightSpec[];
}

export interface FileSpec {
  layerNames?: Attr;
  layers: LayerSpec[];
  /** Root attributes besides layer_names (keras_version, backend, model_config, ...). */
  attrs: Record<string, Attr>;
  /** Layers under /model_weights, as model.save writes them. */
  modelFile: boolean;
  /** Anything else to add (unlisted groups, split name lists). */
  extra?: (f: InstanceType<typeof h5wasm.File>) => void;
}

/** What the loader must do with a variant. */
export type Want = 'same' | 'refused' | 'any';

export interface Variant {
  name: string;
  spec: FileSpec;
  want: Want;
}

// ---------------------------------------------------------------- writing a spec

type H5Group = InstanceType<typeof h5wasm.Group>;

export async function writeSpec(path: string, s: FileSpec): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w', { libver: ['earliest', 'latest'] });
  try {
    for (const [k, a] of Object.entries(s.attrs)) setAttr(f, k, a);
    const top: H5Group = s.modelFile ? f.create_group('model_weights') : f;
    setAttr(top, 'layer_names', s.layerNames ?? names(s.layers.map((l) => l.name)));
    for (const l of s.layers) writeLayer(top.create_group(l.name), l);
    s.extra?.(f);
  } finally {
    f.close();
  }
}

/** Fixed-length strings, as h5py writes NumPy 'S' arrays. */
export function names(list: string[]): Attr {
  const width = Math.max(1, ...list.map((n) => Buffer.byteLength(n)));
  return list.length
    ? { value: list, shape: [list.length], dtype: `S${width}` }
    : { value: new Float64Array(0), shape: [0], dtype: '<d' };
}

function setAttr(g: H5Group, name: string, a: Attr): void {
  if (a === 'absent') return;
  g.create_attribute(name, a.value as never, a.shape ?? null, (a.dtype ?? null) as never);
}

function writeLayer(g: H5Group, l: LayerSpec): void {
  setAttr(g, 'weight_names', l.weightNames ?? names(l.weights.map((w) => w.name)));
  for (const w of l.weights) {
    const parts = w.name.split('/');
    let parent = g;
    for (const p of parts.slice(0, -1)) {
      parent = (parent.get(p) as H5Group | null) ?? parent.create_group(p);
    }
    const leaf = parts[parts.length - 1];
    if (w.store === 'missing') continue;
    if (w.store === 'group') parent.create_group(leaf);
    else {
      parent.create_dataset({ name: leaf, data: w.data as never, shape: w.shape, dtype: w.dtype as never });
    }
  }
}

// ---------------------------------------------------------------- the variants

const clone = (s: FileSpec): FileSpec => ({
  ...s,
  attrs: { ...s.attrs },
  layers: s.layers.map((l) => ({ ...l, weights: l.weights.map((w) => ({ ...w })) })),
});

/** The first weight of the layer named `layer` (a weighted layer of the base). */
function weightOf(s: FileSpec, layer: string): WeightSpec {
  const l = s.layers.find((x) => x.name === layer);
  if (!l?.weights.length) throw new Error(`fuzz variants: no weights in layer ${layer}`);
  return l.weights[0];
}

function edit(base: FileSpec, name: string, want: Want, fn: (s: FileSpec) => void): Variant {
  const spec = clone(base);
  fn(spec);
  return { name, spec, want };
}

/** Re-typings of one weight: same values (float64) or refusals (not floats). */
function dtypeVariants(base: FileSpec, layer: string): Variant[] {
  const w = weightOf(base, layer);
  const f32 = w.data as Float32Array;
  const retype = (name: string, want: Want, data: unknown, dtype: unknown) =>
    edit(base, `dtype ${name}`, want, (s) => Object.assign(weightOf(s, layer), { data, dtype }));
  const n = f32.length;
  return [
    retype('float64', 'same', Float64Array.from(f32), '<d'),
    retype(
      'int32',
      'refused',
      Int32Array.from(f32, (v) => Math.round(v * 100)),
      '<i',
    ),
    retype(
      'uint8',
      'refused',
      Uint8Array.from(f32, (v) => (v > 0 ? 1 : 0)),
      '<B',
    ),
    retype(
      'int64',
      'refused',
      BigInt64Array.from(f32, (v) => BigInt(Math.round(v))),
      '<q',
    ),
    retype(
      'strings',
      'refused',
      Array.from(f32, (v) => v.toFixed(3)),
      'S8',
    ),
    retype(
      'compound',
      'refused',
      new Map([
        ['re', Float32Array.from(f32)],
        ['im', new Float32Array(n)],
      ]),
      null,
    ),
  ];
}

function shapeVariants(base: FileSpec, layer: string): Variant[] {
  const w = weightOf(base, layer);
  const reshape = (shape: number[], data: unknown = w.data) =>
    edit(base, `shape [${shape}]`, 'refused', (s) => Object.assign(weightOf(s, layer), { shape, data }));
  const n = (w.data as Float32Array).length;
  return [
    reshape([...w.shape].reverse()),
    reshape([n]),
    reshape([1, ...w.shape]),
    reshape([...w.shape, 1]),
    reshape([0], new Float32Array(0)),
    reshape([], Float32Array.of(1)),
    reshape([n + 1], new Float32Array(n + 1)),
  ];
}

function presenceVariants(base: FileSpec, layer: string): Variant[] {
  return [
    edit(base, 'dataset missing', 'refused', (s) => (weightOf(s, layer).store = 'missing')),
    edit(base, 'group instead of dataset', 'refused', (s) => (weightOf(s, layer).store = 'group')),
    edit(base, 'an unlisted dataset too', 'same', (s) => {
      const l = s.layers.find((x) => x.name === layer)!;
      l.weights.push({ ...l.weights[0], name: `${layer}/unlisted:0` });
      l.weightNames = names(l.weights.slice(0, -1).map((x) => x.name));
    }),
    edit(base, 'an unlisted layer group too', 'same', (s) => {
      s.extra = (f) => f.create_group('not_a_layer').create_attribute('weight_names', ['x'], null, 'S1');
    }),
    edit(base, 'an unknown root attribute', 'same', (s) => (s.attrs.comment = { value: 'hello' })),
  ];
}

/** layer_names and weight_names of the wrong type, content or presence. */
function nameVariants(base: FileSpec, layer: string): Variant[] {
  const list = base.layers.map((l) => l.name);
  const ln = (name: string, want: Want, a: Attr) => edit(base, `layer_names ${name}`, want, (s) => (s.layerNames = a));
  const wn = (name: string, want: Want, a: Attr) =>
    edit(base, `weight_names ${name}`, want, (s) => {
      s.layers.find((x) => x.name === layer)!.weightNames = a;
    });
  const w = weightOf(base, layer).name;
  return [
    ln('absent', 'refused', 'absent'),
    ln('int32', 'refused', { value: [1, 2, 3] }),
    ln('float', 'refused', { value: [1.5, 2.5] }),
    ln('empty', 'refused', names([])),
    ln('variable-length', 'same', { value: list }),
    ln('duplicate', 'refused', names([...list, list[0]])),
    ln('empty name', 'refused', names(['', ...list])),
    ln('parent path', 'refused', names([...list, '..'])),
    ln('NUL inside', 'refused', names([...list, 'a\0b'])),
    ln('long name', 'refused', names([...list, 'x'.repeat(40000)])),
    ln('reversed', 'refused', names([...list].reverse())),
    ln('missing layer', 'refused', names([...list, 'ghost'])),
    edit(base, 'layer_names split 0,1', 'same', (s) => {
      s.layerNames = 'absent';
      s.extra = (f) => splitNames(s.modelFile ? (f.get('model_weights') as H5Group) : f, list, [0, 1]);
    }),
    edit(base, 'layer_names split 0,2', 'refused', (s) => {
      s.layerNames = 'absent';
      s.extra = (f) => splitNames(s.modelFile ? (f.get('model_weights') as H5Group) : f, list, [0, 2]);
    }),
    wn('absent', 'refused', 'absent'),
    wn('int32', 'refused', { value: [7] }),
    wn('naming a group', 'refused', names([layer])),
    wn('extra name', 'refused', names([w, `${layer}/ghost:0`])),
    wn('scalar string', 'any', { value: w }),
  ];
}

function splitNames(g: H5Group, list: string[], parts: number[]): void {
  const half = Math.ceil(list.length / 2);
  const chunks = [list.slice(0, half), list.slice(half)];
  const width = `S${Math.max(...list.map((n) => n.length))}`;
  parts.forEach((p, i) => g.create_attribute(`layer_names${p}`, chunks[i], null, width));
}

function versionVariants(base: FileSpec): Variant[] {
  return [
    edit(base, 'keras_version int', 'refused', (s) => (s.attrs.keras_version = { value: [2, 3] })),
    edit(base, 'backend float', 'refused', (s) => (s.attrs.backend = { value: [1.5] })),
    edit(base, 'backend theano', 'any', (s) => (s.attrs.backend = { value: 'theano' })),
    edit(base, 'no version attributes', 'same', (s) => {
      s.attrs.keras_version = 'absent';
      s.attrs.backend = 'absent';
    }),
  ];
}

/** Every structural variant of a weights file (loaded into the model it came from). */
export function weightsVariants(base: FileSpec, layer: string): Variant[] {
  return [
    { name: 'as written', spec: clone(base), want: 'same' },
    ...dtypeVariants(base, layer),
    ...shapeVariants(base, layer),
    ...presenceVariants(base, layer),
    ...nameVariants(base, layer),
    ...versionVariants(base),
  ];
}

// ---------------------------------------------------------------- model files

type Json = Record<string, unknown>;

/** A marshalled Python lambda, as Keras stores Lambda layers: it must never be run. */
const BYTECODE =
  '4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHIC' +
  'AAAA+gc8c3RkaW4+2gg8bGFtYmRhPgEAAADzAAAAAA==';

const LAMBDA = {
  class_name: 'Lambda',
  config: {
    name: 'lambda_1',
    trainable: true,
    dtype: 'float32',
    function: [BYTECODE, null, null],
    function_type: 'lambda',
    module: '__main__',
    output_shape: null,
    output_shape_type: 'raw',
    arguments: {},
  },
};

function layersOf(config: Json): Json[] {
  return (config.config as Json).layers as Json[];
}

function configEdit(base: FileSpec, name: string, want: Want, fn: (c: Json) => unknown): Variant {
  return edit(base, `model_config ${name}`, want, (s) => {
    const a = s.attrs.model_config as { value: string };
    const c = JSON.parse(a.value) as Json;
    const out = fn(c);
    s.attrs.model_config = { value: typeof out === 'string' ? out : JSON.stringify(out ?? c) };
  });
}

/** Sets `key` of the config of the first layer of class `cls`. */
function setField(cls: string, key: string, value: unknown): (c: Json) => void {
  return (c) => {
    const l = layersOf(c).find((x) => x.class_name === cls);
    if (l) (l.config as Json)[key] = value;
  };
}

/** Sequentials inside Sequentials, as text: JSON.stringify itself overflows the stack. */
function nested(depth: number): string {
  return '{"class_name":"Sequential","config":{"name":"n","layers":['.repeat(depth) + ']}}'.repeat(depth);
}

function codeVariants(base: FileSpec): Variant[] {
  return [
    configEdit(base, 'a Lambda with bytecode', 'refused', (c) => void layersOf(c).splice(1, 0, LAMBDA)),
    configEdit(base, 'is a Lambda', 'refused', () => LAMBDA),
    configEdit(
      base,
      'a custom class',
      'refused',
      (c) => void layersOf(c).push({ class_name: 'MyLayer', config: { name: 'm' } }),
    ),
    ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'eval', 'Function'].map((cls) =>
      configEdit(base, `class ${cls}`, 'refused', (c) => void (layersOf(c)[1].class_name = cls)),
    ),
    configEdit(base, 'activation os.system', 'refused', setField('Dense', 'activation', 'os.system')),
    configEdit(
      base,
      'python source in a field',
      'refused',
      setField('Dense', 'activation', "__import__('os').system('touch /tmp/pwned')"),
    ),
  ];
}

function sizeVariants(base: FileSpec): Variant[] {
  const input = (shape: unknown[]) => (c: Json) => {
    (layersOf(c)[0].config as Json).batch_input_shape = shape;
  };
  return [
    configEdit(base, 'units 1e9', 'refused', setField('Dense', 'units', 1e9)),
    configEdit(base, 'units 2^31', 'refused', setField('Dense', 'units', 2 ** 31)),
    configEdit(base, 'units 20000', 'refused', setField('Dense', 'units', 20000)),
    configEdit(base, 'filters 1e6', 'refused', setField('Conv2D', 'filters', 1e6)),
    configEdit(base, 'kernel 1000x1000', 'refused', setField('Conv2D', 'kernel_size', [1000, 1000])),
    configEdit(base, 'input 60000x60000', 'refused', input([null, 60000, 60000, 2])),
    configEdit(base, 'input 2^20 channels', 'refused', input([null, 6, 6, 2 ** 20])),
    ...[-1, 0, 1.5, '4', null, true, [4]].map((v) =>
      configEdit(base, `units ${JSON.stringify(v)}`, 'refused', setField('Dense', 'units', v)),
    ),
    configEdit(base, 'padding bogus', 'refused', setField('Conv2D', 'padding', 'bogus')),
    configEdit(base, 'channels_first', 'refused', setField('Conv2D', 'data_format', 'channels_first')),
    configEdit(base, 'strides 0', 'refused', setField('Conv2D', 'strides', [0, 0])),
  ];
}

function shapeOfJsonVariants(base: FileSpec): Variant[] {
  return [
    ...['{bad', 'null', '[]', '42', '"Sequential"', '{}', ''].map((text) =>
      configEdit(base, `text ${JSON.stringify(text)}`, 'refused', () => text),
    ),
    configEdit(base, 'layers not a list', 'refused', (c) => void ((c.config as Json).layers = { a: 1 })),
    configEdit(base, 'a layer that is a number', 'refused', (c) => void layersOf(c).push(7 as unknown as Json)),
    configEdit(base, 'nested 20000 deep', 'refused', () => nested(20000)),
    configEdit(base, 'nested 50 deep', 'refused', () => nested(50)),
    configEdit(base, 'NaN and Infinity', 'refused', (c) => JSON.stringify(c).replace('"units":4', '"units":NaN')),
    edit(base, 'training_config not JSON', 'refused', (s) => (s.attrs.training_config = { value: '{oops' })),
    edit(
      base,
      'training_config odd optimizer',
      'any',
      (s) =>
        (s.attrs.training_config = {
          value: JSON.stringify({ optimizer_config: { class_name: 'Evil', config: {} }, loss: 'x' }),
        }),
    ),
    edit(base, 'model_config absent', 'refused', (s) => (s.attrs.model_config = 'absent')),
  ];
}

/** Every structural variant of a model file (loaded with loadModel). */
export function modelVariants(base: FileSpec, layer: string): Variant[] {
  return [...weightsVariants(base, layer), ...codeVariants(base), ...sizeVariants(base), ...shapeOfJsonVariants(base)];
}
