// A file in Keras 2.3.1's own `model.save` layout (test/fixtures/keras-reference/
// keras231-model-save: approach 1's dense head after RMSprop, optimizer state included). What
// these tests read of it: the attributes and name lists, every float dataset through
// readDatasets (with all of h5_read's structure checks), the architecture from model_config and
// the weights into that architecture. Loading the whole file (its int64 iterations, the
// optimizer state, training from it) and writing it back: test/io/h5_keras231.test.ts.
import fs from 'node:fs';
import { join } from 'node:path';
import * as hdf5 from 'jsfive';
import { describe, expect, test } from 'vitest';
import { readDatasets, type H5Layer, type KerasWeightsFile } from '../../src/io/h5_read.js';
import { applyWeights } from '../../src/io/keras_weights.js';
import type { Dense, Dropout } from '../../src/nn/layers/core.js';
import { modelConfig, modelFromConfig } from '../../src/nn/serialization.js';
import { KERAS231_MODEL_SAVE } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

const FILE = join(KERAS231_MODEL_SAVE, 'chapter_head_rmsprop.h5');

/** The file as jsfive sees it, for the attributes readDatasets does not return. */
function raw(): hdf5.File {
  const b = fs.readFileSync(FILE);
  return new hdf5.File(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, FILE);
}

const group = (f: hdf5.File, path: string) => f.get(path) as hdf5.Group;
const names = (f: hdf5.File, path: string) => group(f, path).attrs.weight_names as string[];

/** model_weights as readKerasH5 would return it: layer_names order, datasets by weight_names. */
function layersOf(f: hdf5.File): H5Layer[] {
  return (group(f, 'model_weights').attrs.layer_names as string[]).map((layer) => {
    const list = names(f, `model_weights/${layer}`);
    const paths = list.map((w) => `/model_weights/${layer}/${w}`);
    const read = list.length ? readDatasets(FILE, paths) : {};
    return { name: layer, weights: list.map((w, i) => ({ name: w, ...read[paths[i]] })) };
  });
}

describe('Keras 2.3.1 model.save file (keras231-model-save/chapter_head_rmsprop.h5)', () => {
  test('root and model_weights attributes, layer and weight names', () => {
    const f = raw();
    expect(f.attrs.keras_version).toBe('2.3.1');
    expect(f.attrs.backend).toBe('tensorflow');
    const mw = group(f, 'model_weights').attrs;
    expect(mw.layer_names).toEqual(['dense_1', 'dropout_1', 'dense_2']);
    expect([mw.keras_version, mw.backend]).toEqual(['2.3.1', 'tensorflow']);
    expect(names(f, 'model_weights/dense_1')).toEqual(['dense_1/kernel:0', 'dense_1/bias:0']);
    expect(names(f, 'model_weights/dropout_1')).toEqual([]);
    expect(names(f, 'model_weights/dense_2')).toEqual(['dense_2/kernel:0', 'dense_2/bias:0']);
    expect(names(f, 'optimizer_weights')).toEqual([
      'RMSprop/iterations:0',
      ...[0, 1, 2, 3].map((i) => `training/RMSprop/accumulator_${i}:0`),
    ]);
  });

  test('every float dataset reads with its shape; accumulators pair with the weights', () => {
    const f = raw();
    const shapes = layersOf(f).map((l) => l.weights.map((w) => [w.name, w.shape]));
    expect(shapes).toEqual([
      [
        ['dense_1/kernel:0', [512, 256]],
        ['dense_1/bias:0', [256]],
      ],
      [],
      [
        ['dense_2/kernel:0', [256, 1]],
        ['dense_2/bias:0', [1]],
      ],
    ]);
    const acc = names(f, 'optimizer_weights')
      .slice(1)
      .map((n) => `/optimizer_weights/${n}`);
    const got = readDatasets(FILE, acc);
    expect(acc.map((n) => got[n].shape)).toEqual([[512, 256], [256], [256, 1], [1]]);
    for (const n of acc) {
      // RMSprop accumulators are running means of g^2: finite and never negative.
      expect(got[n].data.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    }
  });

  test('model_config and training_config are Keras 2.3 JSON', () => {
    const f = raw();
    const config = JSON.parse(f.attrs.model_config as string);
    expect(config.class_name).toBe('Sequential');
    expect(config.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual([
      'Dense',
      'Dropout',
      'Dense',
    ]);
    const training = JSON.parse(f.attrs.training_config as string);
    expect(training.optimizer_config.class_name).toBe('RMSprop');
    // Keras 2.3 writes `learning_rate` (not `lr`), rounded through float32.
    expect(training.optimizer_config.config.learning_rate).toBe(Math.fround(2e-4));
    expect([training.loss, training.metrics]).toEqual(['binary_crossentropy', ['acc']]);
  });

  test('the architecture rebuilds from model_config and takes the weights bit for bit', async () => {
    const f = raw();
    const config = JSON.parse(f.attrs.model_config as string);
    const model = modelFromConfig(config, FILE);
    try {
      expect(model.layers.map((l) => l.name)).toEqual(['dense_1', 'dropout_1', 'dense_2']);
      const [d1, drop, d2] = model.layers;
      expect([(d1 as Dense).units, (d1 as Dense).activation]).toEqual([256, 'relu']);
      expect((drop as Dropout).rate).toBe(0.5);
      expect([(d2 as Dense).units, (d2 as Dense).activation]).toEqual([1, 'sigmoid']);
      expect(model.countParams()).toBe(512 * 256 + 256 + 256 + 1);
      // dawnflow's own model_config of the rebuilt model says what Keras's does (no
      // build_input_shape: the first layer carries batch_input_shape, as in Keras 2.3).
      expect(modelConfig(model).config).toEqual(config.config);

      const layers = layersOf(f);
      const file: KerasWeightsFile = {
        path: FILE,
        kerasVersion: '2.3.1',
        backend: 'tensorflow',
        layers,
        modelConfig: config,
        trainingConfig: null,
        optimizerWeights: [],
      };
      expect(applyWeights(model, file)).toBe(4);
      const want = layers.flatMap((l) => l.weights.map((w) => w.data));
      const have = await Promise.all(model.weights.map(async (v) => (await v.value.data()) as Float32Array));
      expect(have.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toEqual(
        want.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
      );
    } finally {
      model.dispose();
    }
  });
});
