// The chapter's commands end to end on a tiny generated data set at 32x32 with a generated
// VGG16-notop-layout weights file: approach 1 (features + head), approach 2 (frozen base),
// approach 3 (fine-tune from approach 2's file), evaluate and predict.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { readKerasH5 } from '../../src/io/h5_read.js';
import { useGpu } from '../helpers/gpu.js';
import { makeSplitFolders } from '../helpers/image_folder.js';
import { VGG16_WIDTHS, vgg16NotopLayers } from '../helpers/keras_fixtures.js';
import { writeKerasH5 } from '../../src/io/h5_write.js';
import type { H5Layer } from '../../src/io/h5_read.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-approaches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'data');
makeSplitFolders(data, 2);
const weights = join(dir, 'vgg16_notop.h5');
let fileLayers: H5Layer[] = [];

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void chunks.push(`${a.join(' ')}\n`));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    chunks.push(String(s));
    return true;
  });
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => void chunks.push(`${a.join(' ')}\n`));
  try {
    return { code: await run(args), out: chunks.join('') };
  } finally {
    log.mockRestore();
    write.mockRestore();
    err.mockRestore();
  }
}

const SMALL = [
  '--target-size',
  '32',
  '--epochs',
  '2',
  '--batch-size',
  '2',
  '--validation-batch-size',
  '2',
  '--seed',
  '5',
];

/** An approach's command on the tiny data and the generated weights file, at SMALL's settings. */
const fromWeights = (command: string) => [command, '--data', data, '--weights', weights, ...SMALL];

describe('the chapter commands on tiny data', () => {
  test('approach 1: features, then the dense head with RMSprop; history in the JSON', async () => {
    // Glorot-scaled kernels and small biases keep activations sane through 13 layers, so the
    // sigmoid head does not saturate.
    fileLayers = vgg16NotopLayers(9, VGG16_WIDTHS);
    for (const l of fileLayers.filter((x) => x.weights.length)) {
      const [kh, kw, ci, co] = l.weights[0].shape;
      const limit = Math.sqrt(6 / (kh * kw * (ci + co)));
      l.weights[0].data = l.weights[0].data.map((v) => v * 2 * limit);
      l.weights[1].data = l.weights[1].data.map((v) => v * 0.02);
    }
    await writeKerasH5(weights, fileLayers, { legacyLayout: true });
    const r = await cli([
      ...fromWeights('feature-extraction'),
      '--features',
      join(dir, 'features'),
      '--save',
      join(dir, 'head.h5'),
      '--json',
      join(dir, 'fe.json'),
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Train on 4 samples, validate on 4 samples');
    // Off a TTY Keras starts each progress draw on a new line: an empty line after `Epoch i/N`,
    // then one line after the first batch of 2 and the epoch's line.
    const drawn = /Epoch 2\/2\n\n2\/4 \[=+>\.+\] - ETA: \d+s - loss: \S+ - acc: \S+ *\n4\/4 \[=+\] - /;
    expect(r.out).toMatch(new RegExp(`${drawn.source}.* - loss: .* - acc: .* - val_loss: .* - val_acc: `));
    const res = JSON.parse(readFileSync(join(dir, 'fe.json'), 'utf8'));
    expect(res.history.val_acc).toHaveLength(2);
    expect(res.settings.lr).toBe(2e-5);
    // A second run reuses the saved features instead of running the conv base again.
    const again = await cli([
      ...fromWeights('feature-extraction'),
      '--epochs',
      '1',
      '--features',
      join(dir, 'features'),
    ]);
    expect(again.out).toContain('train: 4 feature rows from');
  });

  test('approach 2: frozen base (30 -> 4 trainable weights), base weights untouched in the saved file', async () => {
    const r = await cli([
      ...fromWeights('transfer'),
      '--steps-per-epoch',
      '2',
      '--validation-steps',
      '1',
      '--save',
      join(dir, 'transfer.h5'),
      '--no-augment',
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('before freezing the conv base: 30');
    expect(r.out).toContain('after freezing the conv base: 4');
    expect(r.out).toMatch(/elapsed: \d+\.\d s/);
    const saved = readKerasH5(join(dir, 'transfer.h5'));
    const base = saved.layers.find((l) => l.name === 'vgg16')!;
    const kernel = base.weights.find((w) => w.name === 'block1_conv1/kernel:0')!;
    expect(Buffer.from(kernel.data.buffer).equals(Buffer.from(fileLayers[0].weights[0].data.buffer))).toBe(true);
  });

  test('approach 3: fine-tune from the saved model; blocks 1-4 stay, block5 moves', async () => {
    const r = await cli([
      'fine-tune',
      '--from',
      join(dir, 'transfer.h5'),
      '--data',
      data,
      ...SMALL,
      '--epochs',
      '1',
      '--steps-per-epoch',
      '1',
      '--validation-steps',
      '1',
      '--lr',
      '1e-3',
      '--save',
      join(dir, 'fine.h5'),
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('trainable weights after unfreezing from block5_conv1: 10');
    const before = readKerasH5(join(dir, 'transfer.h5')).layers.find((l) => l.name === 'vgg16')!;
    const after = readKerasH5(join(dir, 'fine.h5')).layers.find((l) => l.name === 'vgg16')!;
    const get = (l: H5Layer, n: string) => Buffer.from(l.weights.find((w) => w.name === n)!.data.buffer);
    expect(get(after, 'block4_conv3/kernel:0').equals(get(before, 'block4_conv3/kernel:0'))).toBe(true);
    expect(get(after, 'block5_conv3/kernel:0').equals(get(before, 'block5_conv3/kernel:0'))).toBe(false);
  });

  test('evaluate prints the test accuracy; predict one probability per image', async () => {
    const e = await cli([
      'evaluate',
      '--model',
      join(dir, 'fine.h5'),
      '--data',
      join(data, 'test'),
      '--batch-size',
      '2',
    ]);
    expect(e.code, e.out).toBe(0);
    expect(e.out).toMatch(
      /Found 4 images belonging to 2 classes\.\ntest loss: [\d.e-]+\ntest acc: (0|0\.25|0\.5|0\.75|1)\n/,
    );
    const img = join(data, 'test', 'cats', 'cat.0.png');
    const p = await cli(['predict', '--model', join(dir, 'fine.h5'), img]);
    expect(p.out).toMatch(new RegExp(`${img.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d\\.\\d{4} -> (cats|dogs)`));
  });

  test('usage errors: missing data folder, bad numbers, fine-tune without a model', async () => {
    expect((await cli(['transfer', '--weights', weights])).out).toMatch(/--data DIR is required/);
    expect((await cli(['transfer', '--data', data, '--weights', weights, '--epochs', '0'])).out).toMatch(
      /--epochs must be an integer >= 1/,
    );
    expect((await cli(['transfer', '--data', dir, '--weights', weights, '--target-size', '32'])).out).toMatch(
      /train not found: --data must hold train\//,
    );
    expect((await cli(['fine-tune', '--data', data])).code).toBe(2);
  });
});

describe('the from-scratch baseline', () => {
  test('dawnflow scratch trains the small convnet and writes the same report', async () => {
    const out = join(dir, 'scratch');
    const r = await cli([
      'scratch',
      '--data',
      data,
      '--out',
      out,
      '--quick',
      '--target-size',
      '48',
      '--epochs',
      '1',
      '--steps-per-epoch',
      '1',
      '--batch-size',
      '2',
      '--validation-steps',
      '1',
      '--limit',
      '4',
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/conv2d_\d+ \(Conv2D\) +\(None, 46, 46, 32\)/);
    expect(r.out).toMatch(/^test acc: [\d.]+$/m);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.approaches[0].history.val_acc).toHaveLength(1);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('From scratch');
  });
});
