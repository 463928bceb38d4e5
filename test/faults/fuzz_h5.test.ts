// Fault injection on Keras HDF5 files. Base files are written at test time by dawnflow's own
// writer (save_weights and model.save of a small conv net, the legacy VGG16 layout) and by
// h5wasm directly (newest object layout with variable-length names, chunked gzip and float64
// datasets), plus the real Keras files of test/fixtures/keras-reference/dl4j. They are then cut,
// flipped and aimed at (dimensions of 2^40, undefined addresses, absurd counts and sizes), and
// rebuilt with structural faults at the HDF5 level (fuzz_h5_variants.ts). Every case must end
// in a correct load or one `dawnflow: <file>: <problem>; <fix>` line, within a deadline and
// without a memory spike; a load after a change outside the value bytes must equal the
// original. Model files also go through loadModel and weights files through loadWeights.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readKerasH5, type H5Weight, type KerasWeightsFile } from '../../src/io/h5_read.js';
import { loadModelSync, loadWeightsSync, saveModel, saveWeights } from '../../src/io/keras_weights.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { trainOnBatch } from '../../src/nn/training.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { DL4J } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { writeLegacyVgg16Notop } from '../helpers/keras_fixtures.js';
import { aimed, changedOnlyOutside, layoutOf, truncatePatched, type Layout, type Target } from './fuzz_h5_corpus.js';
import {
  caseSeed,
  clipTail,
  duplicate,
  flips,
  FuzzReport,
  fuzzSeed,
  insert,
  keepCase,
  onlyCase,
  Rand,
  remove,
  runBounded,
  sameBytes,
  smear,
  truncate,
  type CaseId,
  type Mutation,
  type Outcome,
  type Verdict,
} from './fuzz_helpers.js';
import { modelVariants, weightsVariants, writeSpec, type FileSpec, type Variant } from './fuzz_h5_variants.js';
import { setting } from '../../src/util/settings.js';
import { quietly } from '../../src/util/quietly.js';

useGpu();

const CASES = setting('DAWNFLOW_FUZZ_H5_CASES');
/** The reader's own deadline is 2 s for small files; a case past this is a hang. */
const DEADLINE_MS = 5000;
const RSS_LIMIT_MB = 400;

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-fuzz-h5-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A small conv net whose files exercise every weighted layer kind dawnflow loads. */
function tinyModel(): Sequential {
  const m = new Sequential({ name: 'fuzz' });
  m.add(new Conv2D({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], activation: 'relu', name: 'conv' }));
  m.add(new MaxPooling2D({ name: 'pool' }));
  m.add(new Flatten({ name: 'flat' }));
  m.add(new Dense({ units: 4, activation: 'relu', name: 'hidden' }));
  m.add(new Dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  return m;
}

interface Base {
  name: string;
  path: string;
  bytes: Uint8Array;
  want: KerasWeightsFile;
  layout: Layout;
  /** Which model-level loader also runs on a successful read. */
  loader: 'model' | 'weights' | null;
}

// ---------------------------------------------------------------- base files

async function ownBases(): Promise<[string, string, Base['loader']][]> {
  const m = tinyModel();
  const weights = join(dir, 'base-weights.h5');
  await saveWeights(m, weights);
  m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const x = Tensor.fromArray(
    Float32Array.from({ length: 4 * 72 }, (_, i) => (i % 7) / 7),
    [4, 6, 6, 2],
  );
  await trainOnBatch(m, { x, y: Tensor.fromArray([0, 1, 1, 0], [4, 1]), size: 4 });
  const model = join(dir, 'base-model.h5');
  await saveModel(m, model);
  m.dispose();
  const legacy = join(dir, 'base-legacy.h5');
  await writeLegacyVgg16Notop(legacy, 5);
  return [
    ['weights', weights, 'weights'],
    ['model', model, 'model'],
    ['legacy VGG16', legacy, null],
    ['latest vlen', await latestVlen(), null],
    ['chunked f64', await chunkedF64(), null],
  ];
}

async function rawFile(
  name: string,
  libver: 'earliest' | 'latest',
  build: (f: InstanceType<typeof h5wasm.File>) => void,
): Promise<string> {
  await h5wasm.ready;
  const path = join(dir, name);
  const f = new h5wasm.File(path, 'w', { libver: [libver, 'latest'] });
  try {
    build(f);
  } finally {
    f.close();
  }
  return path;
}

const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k));

/** Superblock 3, version-2 object headers, variable-length UTF-8 name lists. */
function latestVlen(): Promise<string> {
  return rawFile('base-latest.h5', 'latest', (f) => {
    f.create_attribute('layer_names', ['d', 'pool']);
    f.create_attribute('keras_version', '2.3.1');
    const g = f.create_group('d');
    g.create_attribute('weight_names', ['d/k:0', 'd/b:0']);
    const inner = g.create_group('d');
    inner.create_dataset({ name: 'k:0', data: values(12, 1), shape: [3, 4], dtype: '<f4' });
    inner.create_dataset({ name: 'b:0', data: values(4, 2), shape: [4], dtype: '<f4' });
    f.create_group('pool').create_attribute('weight_names', new Float64Array(0), [0], '<d');
  });
}

/** A gzip-compressed chunked dataset and a float64 one (h5wasm writes no big-endian data). */
function chunkedF64(): Promise<string> {
  return rawFile('base-chunked.h5', 'earliest', (f) => {
    f.create_attribute('layer_names', ['c'], null, 'S1');
    const g = f.create_group('c');
    g.create_attribute('weight_names', ['z:0', 'd:0'], null, 'S3');
    g.create_dataset({
      name: 'z:0',
      data: values(600, 3),
      shape: [20, 30],
      dtype: '<f4',
      chunks: [7, 11],
      compression: 'gzip',
    });
    g.create_dataset({ name: 'd:0', data: Float64Array.from(values(50, 4)), shape: [5, 10], dtype: '<d' });
  });
}

/** The real Keras files (4: Keras 1.1.2 and 2.3.1, model and weights); a missing one fails. */
function kerasBases(): [string, string, Base['loader']][] {
  // inputs_and_outputs files hold test activations, not weights: readKerasH5 refuses them.
  const files = fs
    .readdirSync(DL4J, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.h5') && !f.includes('inputs_and_outputs'))
    .sort();
  if (files.length !== 4) throw new Error(`fuzz_h5: expected 4 Keras .h5 files in ${DL4J}, found [${files}]`);
  return files.map((f) => [`keras ${f}`, join(DL4J, f), null]);
}

async function bases(): Promise<Base[]> {
  const list = [...(await ownBases()), ...kerasBases()];
  return list.map(([name, path, loader]) => {
    const bytes = new Uint8Array(fs.readFileSync(path));
    return { name, path, bytes, want: readKerasH5(path), layout: layoutOf(bytes), loader };
  });
}

// ---------------------------------------------------------------- judging a load

function weightsProblem(ws: H5Weight[]): string | null {
  for (const w of ws) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (!(w.data instanceof Float32Array) || w.data.length !== n) {
      return `weight '${w.name}' has ${w.data.length} values for shape [${w.shape}]`;
    }
  }
  return null;
}

/** The first difference between two reads of a file, or null when they are equal. */
function difference(a: KerasWeightsFile, b: KerasWeightsFile): string | null {
  if (a.layers.length !== b.layers.length) return `${a.layers.length} layers, not ${b.layers.length}`;
  const pairs: [H5Weight[], H5Weight[], string][] = a.layers.map((l, i) => [l.weights, b.layers[i].weights, l.name]);
  pairs.push([a.optimizerWeights, b.optimizerWeights, 'optimizer_weights']);
  const renamed = a.layers.findIndex((l, i) => l.name !== b.layers[i].name);
  if (renamed >= 0) return `layer ${renamed} is '${a.layers[renamed].name}'`;
  for (const [x, y, where] of pairs) {
    if (x.length !== y.length) return `${where} has ${x.length} weights, not ${y.length}`;
    for (const [j, w] of x.entries()) {
      const v = y[j];
      const same = w.name === v.name && w.shape.join() === v.shape.join() && sameBytes(w.data, v.data);
      if (!same) return `${where} weight ${j} ('${w.name}' [${w.shape}]) differs`;
    }
  }
  if (JSON.stringify(a.modelConfig) !== JSON.stringify(b.modelConfig)) return 'model_config differs';
  const json = (v: unknown) => JSON.stringify(v);
  if (json(a.trainingConfig) !== json(b.trainingConfig)) return 'training_config differs';
  return a.kerasVersion === b.kerasVersion && a.backend === b.backend ? null : 'versions differ';
}

function judgeRead(o: Outcome<KerasWeightsFile>, base: Base, mutated: Uint8Array): Verdict {
  if (o.kind !== 'ok') return {};
  const f = o.value;
  const broken = weightsProblem([...f.layers.flatMap((l) => l.weights), ...f.optimizerWeights]);
  if (broken) return { problem: broken };
  const diff = difference(f, base.want);
  const { values, shapes } = base.layout;
  if (diff && changedOnlyOutside(base.bytes, mutated, [...values, ...shapes])) {
    return { problem: `a change outside the value bytes loaded different data: ${diff}` };
  }
  const reshaped = changedOnlyOutside(base.bytes, mutated, values) ? dataDifference(f, base.want) : null;
  if (reshaped) return { problem: `a change of a dataspace changed the values: ${reshaped}` };
  return { same: diff === null };
}

/** Like difference(), but on names and value bytes only (shapes may differ). */
function dataDifference(a: KerasWeightsFile, b: KerasWeightsFile): string | null {
  const all = (f: KerasWeightsFile) => [...f.layers.flatMap((l) => l.weights), ...f.optimizerWeights];
  const [x, y] = [all(a), all(b)];
  if (x.length !== y.length) return `${x.length} weights, not ${y.length}`;
  const j = x.findIndex((w, i) => w.name !== y[i].name || !sameBytes(w.data, y[i].data));
  return j < 0 ? null : `weight '${x[j].name}' has other values`;
}

// ---------------------------------------------------------------- the byte-level fuzzer

const GENERIC: [string, Mutation][] = [
  ['truncate', truncate],
  ['clip tail', clipTail],
  ['truncate (EOF patched)', truncatePatched],
  ['flip 1 byte', flips(1)],
  ['flip up to 8 bytes', flips(8)],
  ['smear', smear],
  ['insert bytes', insert],
  ['delete bytes', remove],
  ['duplicate range', duplicate],
];

const AIMS: (Target['kind'] | null)[] = [
  'dataspace',
  'datatype',
  'layout',
  'attribute',
  'message',
  'header',
  'heap',
  'btree',
  'snod',
  'gcol',
  'superblock',
  null,
];

function mutation(base: Base, r: Rand): [string, Mutation] {
  if (r.chance(0.4)) return r.pick(GENERIC);
  const kind = r.pick(AIMS);
  return [`aimed at ${kind ?? 'any structure'}`, aimed(base.layout, kind)];
}

/** loadModel / loadWeights, as the base file's kind asks (nothing for the others). */
function modelLevelLoad(base: Base, file: string, target: Sequential): void {
  if (base.loader === 'weights') loadWeightsSync(target, file);
  else if (base.loader === 'model') loadModelSync(file).model.dispose();
}

/** The model-level loader on a file that reads: a clean load or a clean refusal. */
function modelLevel(base: Base, file: string, target: Sequential): Outcome<unknown> | null {
  if (base.loader === null) return null;
  return runBounded(DEADLINE_MS, () => modelLevelLoad(base, file, target));
}

function byteCase(i: number, seed: number, all: Base[], report: FuzzReport, target: Sequential): void {
  const r = new Rand(caseSeed(seed, i));
  const base = all[i % all.length];
  const [kind, m] = mutation(base, r);
  const bytes = m(base.bytes, r);
  const file = join(dir, `case ${i % 5}.h5`);
  fs.writeFileSync(file, bytes);
  keepCase(file);
  const id: CaseId = { index: i, kind, base: base.name };
  const o = runBounded(DEADLINE_MS, () => readKerasH5(file));
  report.record(id, file, o, judgeRead(o, base, bytes));
  // Restoring a model whose training config no longer fits warns, as Keras does; not noise here.
  const deeper = o.kind === 'ok' ? quietly(() => modelLevel(base, file, target)) : null;
  if (deeper) report.record({ ...id, kind: `${kind}, then ${base.loader} loader` }, file, deeper, {});
}

describe('HDF5 fuzzing', () => {
  let all: Base[] = [];
  let target: Sequential;
  beforeAll(async () => {
    all = await bases();
    target = tinyModel();
  });
  afterAll(() => target?.dispose());

  test('cut, flipped and aimed-at files load correctly or are refused in one line', () => {
    const seed = fuzzSeed('fuzz_h5 (bytes)');
    const report = new FuzzReport('fuzz_h5 (bytes)', seed, RSS_LIMIT_MB);
    const only = onlyCase();
    const t0 = performance.now();
    for (let i = 0; i < CASES; i++) if (only === null || i === only) byteCase(i, seed, all, report, target);
    console.log(report.summary((performance.now() - t0) / 1000));
    expect(report.failures.slice(0, 25)).toEqual([]);
    if (only !== null) return;
    expect(report.refused).toBeGreaterThan(CASES / 3);
    expect(report.loadedSame).toBeGreaterThan(CASES / 50);
    expect(report.messages.size).toBeGreaterThan(20);
  });

  test('structural faults built with h5wasm: each loads the same weights or is refused', async () => {
    const report = new FuzzReport('fuzz_h5 (structure)', 0, RSS_LIMIT_MB);
    const t0 = performance.now();
    const weights = all.find((b) => b.loader === 'weights')!;
    const model = all.find((b) => b.loader === 'model')!;
    const cases = [
      ...weightsVariants(specOf(weights.want, false), 'hidden').map((v) => ({ v, base: weights })),
      ...modelVariants(specOf(model.want, true), 'hidden').map((v) => ({ v, base: model })),
    ];
    for (const [index, { v, base }] of cases.entries()) await variantCase(index, v, base, report, target);
    console.log(report.summary((performance.now() - t0) / 1000));
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(cases.length);
  });

  // Found by the byte fuzzer (seed 20240808, case 2464, before the dl4j files joined the bases):
  // a chunked weight whose dataspace says 0 rows loaded as empty beside its full chunk tree.
  test('a chunked dataset whose dataspace shrank to 0 rows is refused in one line', () => {
    const base = all.find((b) => b.name === 'chunked f64')!;
    const bytes = base.bytes.slice();
    const at = dimsAt(bytes, base.layout.shapes, [20, 30]);
    new DataView(bytes.buffer).setBigUint64(at, 0n, true);
    const file = join(dir, 'chunked-zero-rows.h5');
    fs.writeFileSync(file, bytes);
    expect(() => readKerasH5(file)).toThrow(/^dawnflow: .*chunk at \[0,0\] lies outside the shape \[0,30\]/);
  });
});

/** The byte offset of a dataspace's dimension list [d0, d1] (little-endian u64s). */
function dimsAt(bytes: Uint8Array, shapes: [number, number][], dims: [number, number]): number {
  const view = new DataView(bytes.buffer);
  for (const [start, end] of shapes) {
    for (let at = start; at + 16 <= end; at++) {
      if (view.getBigUint64(at, true) === BigInt(dims[0]) && view.getBigUint64(at + 8, true) === BigInt(dims[1])) {
        return at;
      }
    }
  }
  throw new Error(`no dataspace [${dims}] in the base file`);
}

// ---------------------------------------------------------------- structural variants

/** A spec that writes back the file `f` was read from (names, weights, root attributes). */
function specOf(f: KerasWeightsFile, modelFile: boolean): FileSpec {
  const attrs: FileSpec['attrs'] = {};
  if (f.kerasVersion !== null) attrs.keras_version = { value: f.kerasVersion };
  if (f.backend !== null) attrs.backend = { value: f.backend };
  if (modelFile) attrs.model_config = { value: JSON.stringify(f.modelConfig) };
  if (modelFile && f.trainingConfig) attrs.training_config = { value: JSON.stringify(f.trainingConfig) };
  const layers = f.layers.map((l) => ({
    name: l.name,
    weights: l.weights.map((w) => ({ name: w.name, shape: w.shape, data: w.data, dtype: '<f' })),
  }));
  return { layers, attrs, modelFile };
}

async function variantCase(
  index: number,
  v: Variant,
  base: Base,
  report: FuzzReport,
  target: Sequential,
): Promise<void> {
  const file = join(dir, `variant ${index}.h5`);
  await writeSpec(file, v.spec);
  const id: CaseId = { index, kind: v.name, base: base.name };
  const o = quietly(() =>
    runBounded(DEADLINE_MS, () => {
      const f = readKerasH5(file);
      modelLevelLoad(base, file, target);
      return f;
    }),
  );
  report.record(id, file, o, judgeVariant(o, base, v));
}

function judgeVariant(o: Outcome<KerasWeightsFile>, base: Base, v: Variant): Verdict {
  if (o.kind === 'error' && v.want === 'same') {
    return { problem: `a harmless variant was refused: ${(o.error as Error).message}` };
  }
  if (o.kind !== 'ok') return {};
  if (v.want === 'refused') return { problem: 'a faulty file was loaded instead of refused' };
  const diff = difference({ ...o.value, optimizerWeights: [] }, { ...base.want, optimizerWeights: [] });
  const layers = diff === null || !/layer|weight/.test(diff);
  if (v.want === 'same' && !layers) return { problem: `loaded different weights: ${diff}` };
  return { same: layers };
}
