// The HDF5 layer (src/io): h5wasm writes, jsfive reads, so every round trip crosses two
// independent HDF5 implementations. Covers both Keras layouts (save_weights and model.save),
// the legacy VGG16-notop layout, the real Keras 1.1.2 and 2.3.1 files of test/fixtures,
// damaged files (each must fail fast with one `dawnflow: <file>: ...; <fix>` line) and the
// atomicity of writes.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import * as hdf5 from 'jsfive';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { runWithDeadline } from '../../src/io/deadline.js';
import {
  readDatasets,
  readKerasH5,
  readKerasH5Shared,
  type H5Layer,
  type H5Weight,
  type KerasWeightsFile,
} from '../../src/io/h5_read.js';
import { writeKerasH5, type WriteOptions } from '../../src/io/h5_write.js';
import { DL4J } from '../helpers/fixtures.js';
import {
  SMALL_VGG16_WIDTHS,
  VGG16_WIDTHS,
  vgg16NotopLayers,
  vgg16NotopNames,
  writeLegacyVgg16Notop,
} from '../helpers/keras_fixtures.js';
import { mulberry32 } from '../helpers/random.js';
import { skipNote } from '../helpers/skip.js';

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-h5-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const at = (name: string) => join(dir, name);
const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function weight(name: string, shape: number[], seed: number): H5Weight {
  const rnd = mulberry32(seed);
  return { name, shape, data: Float32Array.from({ length: product(shape) }, () => 4 * rnd() - 2) };
}

/** Bit patterns a float round trip could lose: NaN payloads, -0, infinities, subnormals. */
function specialValues(): Float32Array {
  const bits = [
    0x7fc00001, 0xffc12345, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x3f800000, 0x7f7fffff,
  ];
  return new Float32Array(new Uint32Array(bits).buffer);
}

/** Layers with 0, 1, 2 and 3 weights, nested names, odd shapes, a scalar and an empty tensor. */
function smallModel(): H5Layer[] {
  const conv = [weight('conv/kernel:0', [3, 3, 3, 5], 2), weight('conv/bias:0', [5], 3)];
  return [
    { name: 'input_1', weights: [] },
    { name: 'bias_only', weights: [weight('bias_only/bias:0', [7], 1)] },
    { name: 'conv', weights: conv },
    {
      name: 'vgg16',
      weights: [
        weight('vgg16/block1_conv1/kernel:0', [3, 3, 3, 5], 4),
        weight('vgg16/block1_conv1/bias:0', [5], 5),
        { name: 'vgg16/special:0', shape: [9], data: specialValues() },
      ],
    },
    { name: 'flatten', weights: [] },
    { name: 'odd', weights: [weight('scalar:0', [], 6), weight('empty:0', [0, 4], 7)] },
  ];
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameWeights(got: H5Weight[], want: H5Weight[]): void {
  expect(got.map((w) => w.name)).toEqual(want.map((w) => w.name));
  got.forEach((w, i) => {
    expect(w.shape, w.name).toEqual(want[i].shape);
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(bytesOf(w.data).equals(bytesOf(want[i].data)), `bytes of ${w.name}`).toBe(true);
  });
}

function expectSameLayers(got: H5Layer[], want: H5Layer[]): void {
  expect(got.map((l) => l.name)).toEqual(want.map((l) => l.name));
  got.forEach((l, i) => expectSameWeights(l.weights, want[i].weights));
}

function expectOneLine(message: string, file: string): void {
  expect(message.startsWith(`dawnflow: ${file}: `), message || 'did not throw').toBe(true);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).toContain('; ');
}

/** fn must throw, within 2 s, one line `dawnflow: <file>: <what>; <fix>`; returns the message. */
function expectH5Error(fn: () => unknown, file: string): string {
  const t0 = performance.now();
  let message = '';
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    message = (e as Error).message;
  }
  expect(performance.now() - t0, `time for ${message}`).toBeLessThan(2000);
  expectOneLine(message, file);
  return message;
}

async function expectWriteError(p: Promise<unknown>, file: string): Promise<string> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Error);
  const message = (e as Error).message;
  expectOneLine(message, file);
  return message;
}

/** The file as jsfive alone sees it: an independent look at the layout. */
function rawRoot(path: string): hdf5.File {
  const b = fs.readFileSync(path);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  return new hdf5.File(ab, path);
}

/** A file written with h5wasm directly, for layouts writeKerasH5 does not produce. */
async function rawFile(
  path: string,
  build: (f: InstanceType<typeof h5wasm.File>) => void,
  libver: 'earliest' | 'latest' = 'earliest',
) {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w', { libver: [libver, 'latest'] });
  try {
    build(f);
  } finally {
    f.close();
  }
}

const MODEL_CONFIG = { class_name: 'Model', config: { name: 'vgg16', layers: [{ s: 'é✓' }] } };
const TRAINING = { loss: 'binary_crossentropy', optimizer_config: { class_name: 'RMSprop' } };
const OPTIMIZER = [weight('iterations:0', [], 8), weight('training/RMSprop/v:0', [3, 3, 3, 5], 9)];
const MODEL_FILE: WriteOptions = {
  modelConfig: MODEL_CONFIG,
  trainingConfig: TRAINING,
  optimizerWeights: OPTIMIZER,
};

describe('round trip: writeKerasH5 (h5wasm) then readKerasH5 (jsfive)', () => {
  const cases: [string, WriteOptions][] = [
    ['save_weights layout', {}],
    ['model.save layout, configs', { modelConfig: MODEL_CONFIG, trainingConfig: TRAINING }],
    ['model.save layout, optimizer', { modelConfig: MODEL_CONFIG, optimizerWeights: OPTIMIZER }],
    ['model.save layout with all three', MODEL_FILE],
    ['save_weights layout with optimizer weights', { optimizerWeights: OPTIMIZER }],
    ['legacy Keras 1 layout', { legacyLayout: true }],
    ['other version strings', { kerasVersion: '2.2.4', backend: 'theano' }],
  ];

  test.each(cases)('%s', async (label, o) => {
    const path = at(`rt-${label.replace(/\W+/g, '_')}.h5`);
    const layers = smallModel();
    await writeKerasH5(path, layers, o);
    const back = readKerasH5(path);
    expect(back.path).toBe(path);
    expectSameLayers(back.layers, layers);
    expectSameWeights(back.optimizerWeights, o.optimizerWeights ?? []);
    expect(back.kerasVersion).toBe(o.kerasVersion ?? (o.legacyLayout ? null : '2.3.1'));
    expect(back.backend).toBe(o.backend ?? (o.legacyLayout ? null : 'tensorflow'));
    expect(back.modelConfig).toEqual(o.modelConfig ?? null);
    expect(back.trainingConfig).toEqual(o.trainingConfig ?? null);
  });

  test('readKerasH5: each weight an array of its own; readKerasH5Shared: views of one file', async () => {
    const path = at('own-arrays.h5');
    await writeKerasH5(path, smallModel(), MODEL_FILE);
    const all = (f: KerasWeightsFile) => [...f.layers.flatMap((l) => l.weights), ...f.optimizerWeights];
    const own = all(readKerasH5(path));
    expect(own.length).toBeGreaterThan(1);
    for (const w of own) expect(w.data.buffer.byteLength).toBe(w.data.byteLength);
    const shared = all(readKerasH5Shared(path)).filter((w) => w.data.buffer.byteLength !== w.data.byteLength);
    expect(shared.length).toBeGreaterThan(0);
    expect(new Set(shared.map((w) => w.data.buffer)).size).toBe(1);
    expectSameWeights(own, all(readKerasH5Shared(path)));
  });

  test('layout: model.save puts layers under model_weights, save_weights at the root', async () => {
    await writeKerasH5(at('layout-model.h5'), smallModel(), MODEL_FILE);
    const model = rawRoot(at('layout-model.h5'));
    const rootAttrs = ['backend', 'keras_version', 'model_config', 'training_config'];
    expect(Object.keys(model.attrs).sort()).toEqual(rootAttrs);
    expect(model.keys.sort()).toEqual(['model_weights', 'optimizer_weights']);
    const mw = model.get('model_weights') as hdf5.Group;
    expect(Object.keys(mw.attrs).sort()).toEqual(['backend', 'keras_version', 'layer_names']);
    const kernel = model.get('model_weights/vgg16/vgg16/block1_conv1/kernel:0');
    expect(kernel).toBeInstanceOf(hdf5.Dataset);
    expect((mw.get('input_1') as hdf5.Group).attrs.weight_names).toEqual([]);

    await writeKerasH5(at('layout-weights.h5'), smallModel());
    const weights = rawRoot(at('layout-weights.h5'));
    expect(Object.keys(weights.attrs).sort()).toEqual(['backend', 'keras_version', 'layer_names']);
    expect(weights.keys.sort()).toEqual(
      smallModel()
        .map((l) => l.name)
        .sort(),
    );
    // Fixed-length names come back NUL-padded to the longest one, as from h5py-written files.
    expect(weights.attrs.layer_names).toContain('input_1\0\0');
  });

  test('overwriting an existing file replaces it and leaves no temp file', async () => {
    const path = at('overwrite.h5');
    await writeKerasH5(path, smallModel());
    const second = [{ name: 'only', weights: [weight('only/k:0', [2, 2], 10)] }];
    await writeKerasH5(path, second);
    expectSameLayers(readKerasH5(path).layers, second);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('name lists over 64512 bytes are split into name0, name1, ... like Keras', async () => {
    const long = (i: number) => `${'x'.repeat(990)}_${i}`;
    const layers = Array.from({ length: 70 }, (_, i): H5Layer => ({ name: long(i), weights: [] }));
    layers[3].weights = Array.from({ length: 70 }, (_, i) => weight(`${long(i)}:0`, [1], i));
    const path = at('split.h5');
    await writeKerasH5(path, layers);
    const raw = rawRoot(path);
    const split = (attrs: object, name: string) => Object.keys(attrs).filter((k) => k.startsWith(name));
    expect(split(raw.attrs, 'layer_names').sort()).toEqual(['layer_names0', 'layer_names1']);
    const third = raw.get(long(3)) as hdf5.Group;
    expect(split(third.attrs, 'weight_names').sort()).toEqual(['weight_names0', 'weight_names1']);
    expectSameLayers(readKerasH5(path).layers, layers);
  });

  const layer = (name: string, weights: H5Weight[]): H5Layer => ({ name, weights });
  const f64 = Float64Array.of(1) as unknown as Float32Array;
  test.each([
    ['a shape that does not match the data', [layer('d', [{ name: 'k:0', shape: [2, 3], data: new Float32Array(5) }])]],
    ['two layers with one name', [layer('d', []), layer('d', [])]],
    ["a '/' in a layer name", [layer('a/b', [])]],
    ['an empty path segment in a weight name', [layer('d', [weight('d//k:0', [1], 1)])]],
    ['a weight nested inside another', [layer('d', [weight('d/k', [1], 1), weight('d/k/x', [1], 1)])]],
    ['Float64 data', [layer('d', [{ name: 'k', shape: [1], data: f64 }])]],
  ] as [string, H5Layer[]][])('rejects %s before touching the disk', async (_, layers) => {
    const path = at('rejected.h5');
    await expectWriteError(writeKerasH5(path, layers), path);
    expect(fs.existsSync(path)).toBe(false);
  });
});

describe('VGG16 notop layout fixture (legacy Keras 1 file)', () => {
  test('writes 13 conv + 5 pool groups with root layer_names only, and reads back', async () => {
    const path = at('vgg16_notop_small.h5');
    const written = await writeLegacyVgg16Notop(path, 42);
    const back = readKerasH5(path);
    expect(back.layers.map((l) => l.name)).toEqual(vgg16NotopNames());
    expect(back.layers).toHaveLength(18);
    expect(back.kerasVersion).toBeNull();
    expect(back.backend).toBeNull();
    expect(back.modelConfig).toBeNull();
    expect(Object.keys(rawRoot(path).attrs)).toEqual(['layer_names']);
    expectSameLayers(back.layers, written);
    const convs = back.layers.filter((l) => l.weights.length > 0);
    expect(convs).toHaveLength(13);
    let cin = 3;
    convs.forEach((l, i) => {
      const cout = SMALL_VGG16_WIDTHS[i];
      expect(l.weights.map((w) => w.name)).toEqual([`${l.name}_W_1:0`, `${l.name}_b_1:0`]);
      expect(l.weights.map((w) => w.shape)).toEqual([[3, 3, cin, cout], [cout]]);
      cin = cout;
    });
    const pools = back.layers.filter((l) => l.name.endsWith('_pool'));
    expect(pools.map((l) => l.weights.length)).toEqual([0, 0, 0, 0, 0]);
  });

  test('full VGG16 widths: 14,714,688 parameters, about 59 MB, read back exactly', async () => {
    const path = at('vgg16_notop_full.h5');
    const written = await writeLegacyVgg16Notop(path, 3, VGG16_WIDTHS);
    const back = readKerasH5(path);
    const params = back.layers.flatMap((l) => l.weights).reduce((n, w) => n + w.data.length, 0);
    expect(params).toBe(14_714_688);
    expect(back.layers[16].weights[0].shape).toEqual([3, 3, 512, 512]);
    expectSameLayers(back.layers, written);
    fs.rmSync(path);
  });

  test('the seed fixes the values; widths are a parameter', () => {
    const a = vgg16NotopLayers(7);
    expectSameLayers(vgg16NotopLayers(7), a);
    const other = vgg16NotopLayers(8)[0].weights[0].data;
    expect(bytesOf(other).equals(bytesOf(a[0].weights[0].data))).toBe(false);
    const wide = vgg16NotopLayers(7, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(wide[16].weights[0].shape).toEqual([3, 3, 12, 13]);
  });
});

describe('real Keras files (test/fixtures/keras-reference/dl4j)', () => {
  const cnn = (f: string) => join(DL4J, 'keras1_cnn_tf', f);
  const mlp = (f: string) => join(DL4J, 'keras2_mlp_softmax', `simple_sparse_xent_mlp_keras_2_${f}.h5`);
  const CNN_LAYERS = [
    'convolution2d_1',
    'convolution2d_2',
    'activation_1',
    'maxpooling2d_1',
    'dropout_1',
    'flatten_1',
    'dense_1',
    'activation_2',
    'dropout_2',
    'dense_2',
  ];
  const shapes = (f: KerasWeightsFile) => f.layers.map((l) => l.weights.map((w) => [w.name, w.shape]));

  test('Keras 1.1.2 weights file: names, shapes, no version', () => {
    const f = readKerasH5(cnn('cnn_tf_weights.h5'));
    expect(f.kerasVersion).toBeNull();
    expect(f.backend).toBeNull();
    expect(f.modelConfig).toBeNull();
    expect(f.layers.map((l) => l.name)).toEqual(CNN_LAYERS);
    expect(shapes(f)).toEqual([
      [
        ['convolution2d_1_W:0', [3, 2, 3, 2]],
        ['convolution2d_1_b:0', [2]],
      ],
      [
        ['convolution2d_2_W:0', [2, 3, 2, 1]],
        ['convolution2d_2_b:0', [1]],
      ],
      [],
      [],
      [],
      [],
      [
        ['dense_1_W:0', [1, 2]],
        ['dense_1_b:0', [2]],
      ],
      [],
      [],
      [
        ['dense_2_W:0', [2, 3]],
        ['dense_2_b:0', [3]],
      ],
    ]);
  });

  test('Keras 1.1.2 model file: same weights under model_weights, version and JSON configs', () => {
    const f = readKerasH5(cnn('cnn_tf_model.h5'));
    expect(f.kerasVersion).toBe('1.1.2');
    expect((f.modelConfig as { class_name: string }).class_name).toBe('Sequential');
    expect((f.trainingConfig as { loss: string }).loss).toBe('categorical_crossentropy');
    expect(f.optimizerWeights).toEqual([]);
    expectSameLayers(f.layers, readKerasH5(cnn('cnn_tf_weights.h5')).layers);
  });

  test('Keras 2.3.1 weights and model files: nested names, version, backend, config', () => {
    const w = readKerasH5(mlp('weights'));
    const m = readKerasH5(mlp('model'));
    for (const f of [w, m]) {
      expect(f.kerasVersion).toBe('2.3.1');
      expect(f.backend).toBe('tensorflow');
      expect(shapes(f)).toEqual([
        [
          ['dense_1/kernel:0', [4, 3]],
          ['dense_1/bias:0', [3]],
        ],
        [],
      ]);
      expect(f.layers.map((l) => l.name)).toEqual(['dense_1', 'activation_1']);
    }
    expectSameLayers(m.layers, w.layers);
    type Config = { class_name: string; config: { layers: { class_name: string }[] } };
    const config = m.modelConfig as Config;
    expect(config.class_name).toBe('Sequential');
    expect(config.config.layers.map((l) => l.class_name)).toEqual(['Dense', 'Activation']);
    const training = m.trainingConfig as { optimizer_config: { class_name: string } };
    expect(training.optimizer_config.class_name).toBe('RMSprop');
  });

  test('inputs_and_outputs: x.W + b and softmax reproduce the recorded activations', () => {
    const io = readDatasets(mlp('inputs_and_outputs'), [
      '/inputs/dense_1_input',
      '/activations/dense_1',
      'activations/activation_1',
      '/scores/loss',
    ]);
    const x = io['/inputs/dense_1_input'];
    expect(x.shape).toEqual([3, 4]);
    expect(io['/activations/dense_1'].shape).toEqual([3, 3]);
    expect(io['/scores/loss'].data[0]).toBeCloseTo(1.15521, 5);
    const [kernel, bias] = readKerasH5(mlp('weights')).layers[0].weights;
    for (let r = 0; r < 3; r++) {
      const dot = (c: number) => [0, 1, 2, 3].reduce((s, k) => s + x.data[r * 4 + k] * kernel.data[k * 3 + c], 0);
      const z = [0, 1, 2].map((c) => bias.data[c] + dot(c));
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const total = e.reduce((a, b) => a + b);
      z.forEach((v, c) => {
        expect(Math.abs(v - io['/activations/dense_1'].data[r * 3 + c])).toBeLessThan(1e-6);
        const p = io['activations/activation_1'].data[r * 3 + c];
        expect(Math.abs(e[c] / total - p)).toBeLessThan(1e-6);
      });
    }
  });

  test('inputs_and_outputs is not a weights file; missing and group paths are errors', () => {
    const file = mlp('inputs_and_outputs');
    expect(expectH5Error(() => readKerasH5(file), file)).toContain('no layer_names');
    expect(expectH5Error(() => readDatasets(file, ['/inputs/nope']), file)).toContain('missing');
    expect(expectH5Error(() => readDatasets(file, ['/inputs']), file)).toContain('not a dataset');
  });
});

describe('damaged and unusual files: one-line errors, fast, never a hang', () => {
  let good = '';
  let goodBytes = Buffer.alloc(0);
  beforeAll(async () => {
    good = at('good-model.h5');
    await writeKerasH5(good, smallModel(), MODEL_FILE);
    goodBytes = fs.readFileSync(good);
  });

  const variant = (name: string, bytes: Uint8Array) => {
    const p = at(name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  test('missing, empty, folder, not HDF5', () => {
    const nope = at('nope.h5');
    expect(expectH5Error(() => readKerasH5(nope), nope)).toContain('no such file');
    const empty = variant('empty.h5', new Uint8Array(0));
    expect(expectH5Error(() => readKerasH5(empty), empty)).toContain('empty file');
    expect(expectH5Error(() => readKerasH5(dir), dir)).toContain('not a regular file');
    const text = variant('text.h5', Buffer.from('<html>404 Not Found</html>\n'));
    expect(expectH5Error(() => readKerasH5(text), text)).toContain('not an HDF5 file (bad signat');
    const pngHeader = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    const png = variant('png.h5', Buffer.from(pngHeader));
    expect(expectH5Error(() => readKerasH5(png), png)).toContain('not an HDF5 file');
  });

  test('truncated at many offsets', () => {
    const n = goodBytes.length;
    for (const cut of [1, 8, 9, 50, 95, 96, 200, 800, 2048, n >> 1, n - 100, n - 1]) {
      const p = variant('cut.h5', goodBytes.subarray(0, cut));
      expect(expectH5Error(() => readKerasH5(p), p)).toMatch(/truncated|not an HDF5|past the end/);
    }
  });

  test('truncated with the superblock end-of-file address patched to match', () => {
    // Defeats the cheap size check, so the structure checks (and jsfive) have to notice. A cut
    // that only drops space HDF5 reserved but never used (the tail of a B-tree node or heap) is
    // harmless: then the file must read back exactly.
    const n = goodBytes.length;
    const want = readKerasH5(good);
    let failed = 0;
    for (let cut = 600; cut < n; cut += 151) {
      const bytes = Buffer.from(goodBytes.subarray(0, cut));
      bytes.writeUInt32LE(cut, 40);
      const p = variant('cut-patched.h5', bytes);
      let got: KerasWeightsFile;
      try {
        got = readKerasH5(p);
      } catch {
        failed++;
        expectH5Error(() => readKerasH5(p), p);
        continue;
      }
      expectSameLayers(got.layers, want.layers);
      expectSameWeights(got.optimizerWeights, want.optimizerWeights);
      expect(got.modelConfig).toEqual(want.modelConfig);
    }
    expect(failed).toBeGreaterThan(0);
  });

  test('flipped bytes: every outcome is a valid result or one dawnflow error line', () => {
    // Flips in float data cannot be noticed (the format has no checksums there); the point is
    // that no flip hangs, allocates wildly or escapes as a foreign exception.
    const rnd = mulberry32(2024);
    const n = goodBytes.length;
    let failures = 0;
    for (let trial = 0; trial < 400; trial++) {
      const bytes = Buffer.from(goodBytes);
      const flips = trial < 200 ? 1 : 3;
      for (let k = 0; k < flips; k++) bytes[Math.floor(rnd() * n)] ^= 1 + Math.floor(rnd() * 255);
      const p = variant('flipped.h5', bytes);
      let result: KerasWeightsFile | null = null;
      const t = performance.now();
      try {
        result = readKerasH5(p);
      } catch (e) {
        failures++;
        const m = (e as Error).message;
        const ok = m.startsWith(`dawnflow: ${p}: `) && !/[\r\n]/.test(m);
        expect(ok, `trial ${trial}: ${m}`).toBe(true);
      }
      expect(performance.now() - t, `trial ${trial}`).toBeLessThan(2000);
      for (const w of result?.layers.flatMap((l) => l.weights) ?? []) {
        expect(w.data.length).toBe(product(w.shape));
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  test('targeted flips: signature and superblock version', () => {
    const sig = Buffer.from(goodBytes);
    sig[1] ^= 0x20;
    const p1 = variant('sig.h5', sig);
    expect(expectH5Error(() => readKerasH5(p1), p1)).toContain('bad signature');
    const ver = Buffer.from(goodBytes);
    ver[8] = 7;
    const p2 = variant('ver.h5', ver);
    expect(expectH5Error(() => readKerasH5(p2), p2)).toContain('superblock version 7');
  });

  test('a weight_names entry with no dataset, and a layer_names entry with no group', async () => {
    const p = at('missing-dataset.h5');
    await rawFile(p, (f) => {
      f.create_attribute('layer_names', ['dense_1'], null, 'A7');
      const g = f.create_group('dense_1');
      g.create_attribute('weight_names', ['dense_1/kernel:0', 'dense_1/bias:0'], null, 'A16');
      const bias = { name: 'bias:0', data: new Float32Array(3), shape: [3], dtype: '<f4' };
      g.create_group('dense_1').create_dataset(bias);
    });
    expect(expectH5Error(() => readKerasH5(p), p)).toContain(
      "weight 'dense_1/kernel:0' is listed but the dataset /dense_1/dense_1/kernel:0 is missing",
    );
    const q = at('missing-group.h5');
    await rawFile(q, (f) => f.create_attribute('layer_names', ['conv', 'pool'], null, 'A4'));
    expect(expectH5Error(() => readKerasH5(q), q)).toContain("layer 'conv'");
  });

  test('variable-length name lists and the newest object layout (superblock 3)', async () => {
    const p = at('vlen-latest.h5');
    const k = weight('d/k:0', [2, 3], 11);
    await rawFile(
      p,
      (f) => {
        f.create_attribute('layer_names', ['d', 'pool']); // h5wasm's default: variable-length UTF-8
        const g = f.create_group('d');
        g.create_attribute('weight_names', ['d/k:0']);
        const data = { name: 'k:0', data: k.data, shape: k.shape, dtype: '<f4' };
        g.create_group('d').create_dataset(data);
        f.create_group('pool').create_attribute('weight_names', new Float64Array(0), [0], '<d');
      },
      'latest',
    );
    expect(fs.readFileSync(p)[8]).toBe(3);
    const back = readKerasH5(p);
    expectSameLayers(back.layers, [
      { name: 'd', weights: [k] },
      { name: 'pool', weights: [] },
    ]);
  });

  test('readDatasets reads any float dataset by absolute or relative path', () => {
    const kernel = '/model_weights/conv/conv/kernel:0';
    const got = readDatasets(good, [kernel, 'optimizer_weights/iterations:0']);
    const want = { ...smallModel()[2].weights[0], name: 'k' };
    expectSameWeights([{ name: 'k', ...got[kernel] }], [want]);
    expect(got['optimizer_weights/iterations:0'].shape).toEqual([]);
    const group = '/model_weights/conv';
    expect(expectH5Error(() => readDatasets(good, [group]), good)).toContain('not a dataset');
  });

  test('non-float datasets are refused; float64 and chunked gzip ones converted', async () => {
    const p = at('int.h5');
    await rawFile(p, (f) => {
      f.create_attribute('layer_names', ['d'], null, 'A1');
      const g = f.create_group('d');
      g.create_attribute('weight_names', ['k:0'], null, 'A3');
      g.create_dataset({ name: 'k:0', data: new Int32Array([1, 2]), shape: [2], dtype: '<i4' });
    });
    expect(expectH5Error(() => readKerasH5(p), p)).toContain('holds int32 values, not float32');

    const q = at('f64-gzip.h5');
    const values = Float64Array.from({ length: 600 }, (_, i) => Math.sin(i) * 1e-3);
    await rawFile(q, (f) => {
      f.create_attribute('layer_names', ['d'], null, 'A1');
      const g = f.create_group('d');
      g.create_attribute('weight_names', ['a:0', 'b:0'], null, 'A3');
      g.create_dataset({ name: 'a:0', data: values, shape: [20, 30], dtype: '<d' });
      const data = Float32Array.from(values);
      g.create_dataset({ name: 'b:0', data, shape: [20, 30], dtype: '<f4', chunks: [7, 11], compression: 'gzip' });
    });
    const [a, b] = readKerasH5(q).layers[0].weights;
    expect(a.shape).toEqual([20, 30]);
    expect(bytesOf(a.data).equals(bytesOf(Float32Array.from(values)))).toBe(true);
    expect(bytesOf(b.data).equals(bytesOf(Float32Array.from(values)))).toBe(true);
  });

  test('absurd dims and a shape larger than the stored data', () => {
    const ds = rawRoot(good).get('model_weights/conv/conv/bias:0') as hdf5.Dataset;
    const space = ds._dataobjects.msgs.find((m) => m.get('type') === 1)!.get('offset_to_message');
    const dims = space + (goodBytes[space] === 1 ? 8 : 4); // dataspace header: v1 8, v2 4 bytes
    const huge = Buffer.from(goodBytes);
    huge.writeUInt32LE(4, dims + 4); // 5 + 4 * 2^32 elements
    const p = variant('huge-dims.h5', huge);
    expect(expectH5Error(() => readKerasH5(p), p)).toContain('over the 2^31 limit');
    const big = Buffer.from(goodBytes);
    big.writeUInt32LE(1000, dims);
    const q = variant('big-dims.h5', big);
    const m = expectH5Error(() => readKerasH5(q), q);
    expect(m).toContain('stores 20 bytes, its shape [1000] needs 4000');
  });

  test('a parse that runs past its deadline is cut off with a dawnflow error', () => {
    const t0 = performance.now();
    const endless = () => {
      for (;;) {
        // a parse that never ends
      }
    };
    const m = expectH5Error(() => runWithDeadline('weights/x.h5', 100, endless), 'weights/x.h5');
    expect(m).toContain('did not finish within 0.1 s');
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('atomic writes', () => {
  const temps = () => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));

  test('a rejected write leaves the existing file byte-identical and no temp file', async () => {
    const path = at('atomic.h5');
    await writeKerasH5(path, smallModel());
    const before = fs.readFileSync(path);
    const bad = smallModel();
    bad[2].weights[0] = { ...bad[2].weights[0], shape: [3, 3, 3, 4] };
    const m = await expectWriteError(writeKerasH5(path, bad), path);
    expect(m).toContain('needs 108 values but data has 135');
    expect(fs.readFileSync(path).equals(before)).toBe(true);
    expect(temps()).toEqual([]);
  });

  test('a failure after the temp file is written removes it and keeps the old file', async () => {
    const path = at('atomic-rename.h5');
    await writeKerasH5(path, smallModel());
    const before = fs.readFileSync(path);
    const spy = vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
    });
    try {
      const m = await expectWriteError(writeKerasH5(path, [{ name: 'x', weights: [] }]), path);
      expect(m).toContain('cannot write the file (Error: EXDEV');
    } finally {
      spy.mockRestore();
    }
    expect(fs.readFileSync(path).equals(before)).toBe(true);
    expect(temps()).toEqual([]);
  });

  test('missing folder and a file where the folder should be', async () => {
    const missing = at('no-such-dir/w.h5');
    const m = await expectWriteError(writeKerasH5(missing, smallModel()), missing);
    expect(m).toContain('ENOENT');
    fs.writeFileSync(at('plain-file'), 'x');
    const notDir = at('plain-file/w.h5');
    expect(await expectWriteError(writeKerasH5(notDir, smallModel()), notDir)).toContain('ENOTDIR');
    expect(temps()).toEqual([]);
  });

  // root ignores permission bits, so the read-only case only means something for other users.
  const notRoot = process.getuid?.() !== 0;
  test.skipIf(!notRoot)(
    skipNote(
      'a read-only folder',
      notRoot,
      'running as root, which ignores permission bits, so no folder is read-only',
    ),
    async () => {
      const ro = at('read-only');
      fs.mkdirSync(ro, { mode: 0o555 });
      const p = join(ro, 'w.h5');
      expect(await expectWriteError(writeKerasH5(p, smallModel()), p)).toContain('EACCES');
      expect(fs.readdirSync(ro)).toEqual([]);
      expect(temps()).toEqual([]);
    },
  );
});
