// Keras weights into and out of models: VGG16 from a legacy notop-layout file (forward checked
// op by op against the float64 reference), clear errors that leave the model untouched, save ->
// load round trips, model files asking for code refused, and the real Keras files of
// test/fixtures/keras-reference/dl4j reproducing their recorded outputs.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { vgg16 } from '../../src/apps/vgg16.js';
import { Model, Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Activation, Dense, Dropout, Flatten, InputLayer } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import { loadModel, loadWeights, saveModel, saveWeights } from '../../src/io/keras_weights.js';
import { readDatasets, readKerasH5 } from '../../src/io/h5_read.js';
import { writeKerasH5 } from '../../src/io/h5_write.js';
import { modelConfig } from '../../src/nn/serialization.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { compiledOf, trainOnBatch } from '../../src/nn/training.js';
import { setSeed } from '../../src/tensor/random.js';
import { expectClose } from '../helpers/allclose.js';
import { DL4J } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { nextSeed, randomPair, read64 } from '../helpers/tensors.js';
import { SMALL_VGG16_WIDTHS, VGG16_WIDTHS, writeLegacyVgg16Notop } from '../helpers/keras_fixtures.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => {};

/** All weights as one byte string: vitest's deep equality is far too slow for 14.7M floats. */
async function weightsOf(m: { weights: { value: Tensor }[] }): Promise<string> {
  const hash = createHash('sha256');
  for (const v of m.weights) hash.update(new Uint8Array(((await v.value.data()) as Float32Array).buffer));
  return hash.digest('hex');
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('VGG16 from the legacy notop layout', () => {
  test('loads by position and matches the float64 reference layer by layer at 32x32', async () => {
    const path = join(dir, 'vgg16_notop_full.h5');
    const seed = nextSeed();
    const layers = await writeLegacyVgg16Notop(path, seed, VGG16_WIDTHS);
    const model = vgg16({ inputShape: [32, 32, 3], weights: path });
    const convs = model.layers.filter((l) => l.className === 'Conv2D');
    expect(convs).toHaveLength(13);
    const fileConvs = layers.filter((l) => l.weights.length);
    for (let i = 0; i < 13; i++) {
      for (const j of [0, 1]) {
        const got = bytes(await convs[i].weights[j].value.data());
        expect(got.equals(bytes(fileConvs[i].weights[j].data)), `${convs[i].name} weight ${j}`).toBe(true);
      }
    }
    // Op by op: each GPU layer output against the reference applied to the GPU's own input.
    let x = randomPair([1, 32, 32, 3], 0, 1).t;
    let shape = [1, 32, 32, 3];
    let host = await read64(x);
    let conv = 0;
    for (const layer of model.layers.slice(1)) {
      const y = noGrad(() => layer.apply(x, { training: false }));
      const got = await read64(y);
      let want: { y: Float64Array; shape: number[] };
      if (layer.className === 'Conv2D') {
        const w = fileConvs[conv++].weights;
        want = ref.conv2dForward(
          host,
          shape,
          Float64Array.from(w[0].data),
          w[0].shape,
          Float64Array.from(w[1].data),
          [1, 1],
          'same',
          'relu',
        );
      } else {
        want = ref.maxPool2dForward(host, shape, [2, 2], [2, 2], 'valid');
      }
      const scale = Math.max(1e-6, ...Array.from(want.y, Math.abs));
      expectClose(got, want.y, { atol: 1e-5 * scale, rtol: 1e-3, label: `seed ${seed} ${layer.name}` });
      x.dispose();
      [x, host, shape] = [y, got, want.shape];
    }
    expect(shape).toEqual([1, 1, 1, 512]);
    model.dispose();
  });

  test('a file with other filter counts is refused before anything is loaded', async () => {
    const path = join(dir, 'vgg16_notop_small.h5');
    await writeLegacyVgg16Notop(path, 5, SMALL_VGG16_WIDTHS);
    const model = vgg16({ inputShape: [32, 32, 3] });
    const before = await weightsOf(model);
    let message = '';
    try {
      await loadWeights(model, path);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      /^dawnflow: .*vgg16_notop_small\.h5: 'block1_conv1_W_1:0' is \[3, 3, 3, 4\] but 'block1_conv1\/kernel:0' in layer 'block1_conv1' needs \[3, 3, 3, 64\]/,
    );
    expect(message).not.toContain('\n');
    expect(await weightsOf(model)).toEqual(before);
    model.dispose();
  });
});

function tinyModel(): Sequential {
  const base = new Model({
    name: 'base',
    layers: [
      new InputLayer({ inputShape: [8, 8, 3] }),
      new Conv2D({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }),
      new MaxPooling2D({ poolSize: 2, name: 'p1' }),
      new Conv2D({ filters: 4, kernelSize: [2, 3], strides: 2, name: 'c2' }),
    ],
  });
  const m = new Sequential();
  m.add(base);
  m.add(new Flatten());
  m.add(new Dropout({ rate: 0.5 }));
  m.add(new Dense({ units: 3, activation: 'relu' }));
  m.add(new Dense({ units: 1, activation: 'sigmoid', useBias: false }));
  m.add(new Activation({ activation: 'linear' }));
  return m;
}

describe('save and load', () => {
  test('model.save -> loadModel restores architecture and weights bit-exactly', async () => {
    const m = tinyModel();
    (m.layers[0] as Model).getLayer('c1').trainable = false;
    const path = join(dir, 'tiny_model.h5');
    await saveModel(m, path);
    const { model, trainingConfig } = await loadModel(path);
    expect(model.summary(quiet)).toBe(m.summary(quiet));
    expect(modelConfig(model)).toEqual(modelConfig(m));
    expect(await weightsOf(model)).toBe(await weightsOf(m));
    expect(trainingConfig).toBeNull();
    const x = randomPair([2, 8, 8, 3]).t;
    const [a, b] = noGrad(() => [m.predictOnBatch(x), model.predictOnBatch(x)]);
    expect(await a.data()).toEqual(await b.data());
    m.dispose();
    model.dispose();
  });

  test('a compiled model keeps its optimizer: training resumes bit-identically after load', async () => {
    const m = tinyModel();
    m.layers[2].trainable = false;
    m.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const batch = () => ({
      x: Tensor.fromArray(
        Float32Array.from({ length: 4 * 192 }, (_, i) => (i % 17) / 17),
        [4, 8, 8, 3],
      ),
      y: Tensor.fromArray([0, 1, 1, 0], [4, 1]),
      size: 4,
    });
    // Dropout draws from the global generator: reseed before each step that is compared.
    setSeed(1);
    await trainOnBatch(m, batch());
    const path = join(dir, 'compiled.h5');
    await saveModel(m, path);
    const { model, trainingConfig, optimizerWeights } = await loadModel(path);
    // Keras 2.3 rounds the hyperparameters through float32 variables before writing them.
    const config = { learning_rate: Math.fround(1e-2) };
    const loss = 'binary_crossentropy';
    expect(trainingConfig).toMatchObject({ optimizer_config: { class_name: 'Adam', config }, loss, metrics: ['acc'] });
    expect([optimizerWeights[0].name, optimizerWeights[0].dtype]).toEqual(['Adam/iterations:0', 'int64']);
    expect(optimizerWeights.length).toBe(1 + 3 * m.trainableWeights.length);
    expect(model.trainableWeights.length).toBe(m.trainableWeights.length);
    setSeed(2);
    await trainOnBatch(m, batch());
    setSeed(2);
    await trainOnBatch(model, batch());
    expect(await weightsOf(model)).toBe(await weightsOf(m));
    m.dispose();
    model.dispose();
  });

  test('an older dawnflow checkpoint (float32 iterations, no vhat) restores its optimizer', async () => {
    const m = tinyModel();
    m.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy' });
    const x = Tensor.fromArray(
      Float32Array.from({ length: 2 * 192 }, (_, i) => (i % 5) / 5),
      [2, 8, 8, 3],
    );
    await trainOnBatch(m, { x, y: Tensor.fromArray([1, 0], [2, 1]), size: 2 });
    const path = join(dir, 'current.h5');
    await saveModel(m, path);
    const now = readKerasH5(path);
    const n = m.trainableWeights.length;
    const slots = now.optimizerWeights.slice(1, 1 + 2 * n).map((w) => ({ ...w, name: w.name.replace('_1:0', ':0') }));
    const old = [{ name: 'training/Adam/iterations:0', shape: [], data: Float32Array.of(1) }, ...slots];
    const oldPath = join(dir, 'older.h5');
    const { modelConfig: config, trainingConfig } = now;
    await writeKerasH5(oldPath, now.layers, { modelConfig: config, trainingConfig, optimizerWeights: old });
    const { model } = await loadModel(oldPath);
    const opt = compiledOf(model).optimizer;
    expect(opt.iterations).toBe(1);
    const restored = await opt.getWeights(compiledOf(model).trainable);
    expect(restored.map((w) => Array.from(w.data))).toEqual(now.optimizerWeights.map((w) => Array.from(w.data)));
    m.dispose();
    model.dispose();
  });

  test('save_weights -> load_weights, by position and by name', async () => {
    const a = tinyModel();
    const b = tinyModel();
    const path = join(dir, 'tiny_weights.h5');
    await saveWeights(a, path);
    await loadWeights(b, path);
    expect(await weightsOf(b)).toEqual(await weightsOf(a));
    // By name: only 'base' (named explicitly) matches; auto-named layers differ between models.
    const c = tinyModel();
    const cHead = await weightsOf({ weights: c.layers.slice(1).flatMap((l) => l.weights) });
    expect(await loadWeights(c, path, { byName: true })).toBe(4);
    expect(await weightsOf(c.layers[0])).toBe(await weightsOf(a.layers[0]));
    expect(await weightsOf({ weights: c.layers.slice(1).flatMap((l) => l.weights) })).toBe(cHead);
    const d = new Sequential({ name: 'other' });
    d.add(new Dense({ units: 2, inputShape: [3], name: 'nothing_in_common' }));
    await expect(loadWeights(d, path, { byName: true })).rejects.toThrow(
      /no layer name in the file matches a layer of 'other'/,
    );
    for (const m of [a, b, c, d]) m.dispose();
  });

  test('a model file that asks for code (a Lambda layer) is refused, never run', async () => {
    const path = join(dir, 'lambda.h5');
    const config = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [{ class_name: 'Lambda', config: { name: 'l', function: ['4wEAAAAAAAAA', null, null] } }],
      },
    };
    await writeKerasH5(path, [{ name: 'l', weights: [] }], {
      modelConfig: config,
      kerasVersion: '2.3.1',
      backend: 'tensorflow',
    });
    await expect(loadModel(path)).rejects.toThrow(
      /layer class 'Lambda' is not supported; dawnflow builds only .* and never runs code/,
    );
  });

  test('a weights-only file given to loadModel says what to do', async () => {
    const path = join(dir, 'weights_only.h5');
    await saveWeights(tinyModel(), path);
    await expect(loadModel(path)).rejects.toThrow(
      /no model_config \(a weights-only file\); build the model and use loadWeights/,
    );
  });
});

describe('real Keras files (dl4j fixtures)', () => {
  test('Keras 1.1.2 CNN model file: load_model and reproduce the recorded softmax', async () => {
    const { model } = await loadModel(join(DL4J, 'keras1_cnn_tf/cnn_tf_model.h5'));
    // The input is channels-first text: line c*8 + row holds 8 columns. Transpose to HWC.
    const lines = readFileSync(join(DL4J, 'keras1_cnn_tf/cnn_tf_input.txt'), 'utf8').trim().split('\n');
    const hwc = new Float32Array(8 * 8 * 3);
    lines.forEach((line, i) =>
      line
        .trim()
        .split(/\s+/)
        .forEach((v, col) => {
          const [c, row] = [Math.floor(i / 8), i % 8];
          hwc[(row * 8 + col) * 3 + c] = Number(v);
        }),
    );
    const y = noGrad(() => model.predictOnBatch(Tensor.fromArray(hwc, [1, 8, 8, 3])));
    const want = readFileSync(join(DL4J, 'keras1_cnn_tf/cnn_tf_output.txt'), 'utf8').trim().split(/\s+/).map(Number);
    expectClose(await y.data(), want, { atol: 1e-5, rtol: 0, label: 'keras1 cnn' });
  });

  test('Keras 1.1.2 weights-only file into the same architecture by position', async () => {
    const { model } = await loadModel(join(DL4J, 'keras1_cnn_tf/cnn_tf_model.h5'));
    const before = await weightsOf(model);
    for (const v of model.weights) v.assign(Tensor.fromArray(new Float32Array(v.value.size), v.shape));
    await loadWeights(model, join(DL4J, 'keras1_cnn_tf/cnn_tf_weights.h5'));
    expect(await weightsOf(model)).toEqual(before);
  });

  test('Keras 2.3.1 MLP: model file and weights file reproduce the recorded outputs', async () => {
    const base = join(DL4J, 'keras2_mlp_softmax/simple_sparse_xent_mlp_keras_2_');
    const { model } = await loadModel(`${base}model.h5`);
    const io = readDatasets(`${base}inputs_and_outputs.h5`, ['inputs/dense_1_input', 'outputs/activation_1']);
    const x = Tensor.fromArray(io['inputs/dense_1_input'].data, io['inputs/dense_1_input'].shape);
    const y = noGrad(() => model.predictOnBatch(x));
    expectClose(await y.data(), io['outputs/activation_1'].data, { atol: 1e-6, rtol: 1e-5, label: 'keras2 mlp' });
    for (const v of model.weights) v.assign(Tensor.fromArray(new Float32Array(v.value.size), v.shape));
    await loadWeights(model, `${base}weights.h5`);
    const y2 = noGrad(() => model.predictOnBatch(x));
    expect(await y2.data()).toEqual(await y.data());
  });
});
