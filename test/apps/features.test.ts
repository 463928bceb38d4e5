// Approach 1's feature extraction over a generated image folder: the flow_from_directory
// iterator's batching, and `dawnflow features` writing features, labels and file order that
// match the conv base run directly on the same images.
import { Tensor } from '../../src/tensor/tensor.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { DirectoryIterator } from '../../src/data/directory_iterator.js';
import { extractFeatures } from '../../src/apps/features.js';
import { loadImage, toFloatBatch } from '../../src/data/load_img.js';
import { vgg16 } from '../../src/apps/vgg16.js';
import { readNpy } from '../../src/io/npy.js';
import { run } from '../../src/cli/main.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { makeImageFolder } from '../helpers/image_folder.js';
import { VGG16_WIDTHS, writeLegacyVgg16Notop } from '../helpers/keras_fixtures.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'train');
const files = makeImageFolder(data, 3);

describe('DirectoryIterator', () => {
  test('batches are consecutive slices of a per-pass permutation; the last one is short', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const it = new DirectoryIterator(data, { targetSize: [8, 8], batchSize: 4, shuffle: true, seed: 3 });
    expect(log).toHaveBeenCalledWith('Found 6 images belonging to 2 classes.');
    log.mockRestore();
    expect([it.samples, it.batchesPerPass]).toEqual([6, 2]);
    for (let pass = 0; pass < 3; pass++) {
      const a = await it.nextHost();
      const b = await it.nextHost();
      expect([a.files.length, b.files.length]).toEqual([4, 2]);
      expect([...a.files, ...b.files].sort()).toEqual([...files].sort());
      [...a.files, ...b.files].forEach((f, i) => expect([...a.y, ...b.y][i]).toBe(f.startsWith('dogs/') ? 1 : 0));
    }
  });

  test('without shuffle the order is the sorted file list, class 0 first', async () => {
    const it = new DirectoryIterator(data, { targetSize: [8, 8], batchSize: 6, shuffle: false, verbose: false });
    expect((await it.nextHost()).files).toEqual(files);
  });
});

describe('dawnflow features', () => {
  test('writes (N, h, w, 512) features equal to the conv base on the same images', async () => {
    const weights = join(dir, 'vgg16_notop.h5');
    await writeLegacyVgg16Notop(weights, 11, VGG16_WIDTHS);
    const out = join(dir, 'feat.npy');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await run([
      'features',
      '--weights',
      weights,
      '--data',
      data,
      '--out',
      out,
      '--target-size',
      '32',
      '--batch-size',
      '4',
      '--no-shuffle',
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    const f = readNpy(out);
    expect(f.shape).toEqual([6, 1, 1, 512]);
    expect(Array.from(readNpy(join(dir, 'feat.labels.npy')).data)).toEqual([0, 0, 0, 1, 1, 1]);
    const meta = JSON.parse(readFileSync(join(dir, 'feat.json'), 'utf8'));
    expect(meta.files).toEqual(files);
    expect(meta.classIndices).toEqual({ cats: 0, dogs: 1 });
    const base = vgg16({ inputShape: [32, 32, 3], weights });
    const x = toFloatBatch(
      files.map((p) => loadImage(join(data, p), { targetSize: [32, 32] })),
      1 / 255,
    );
    const xt = Tensor.fromArray(x, [6, 32, 32, 3]);
    const direct = base.predict(xt, { batchSize: 6 });
    // The command (batch 4) and predict (batch 6) may run a layer on different conv variants:
    // the planner picks by the work, and the Winograd ones round differently from the direct
    // kernel (each within its bound of float64, docs/lavapipe.md: F(4x4) 1.5e-4 of the output's
    // rms per layer). So: the same features up to that error, over 13 layers.
    const want = (await direct.data()) as Float32Array;
    const rms = Math.sqrt(want.reduce((s, v) => s + v * v, 0) / want.length);
    expectClose(f.data, want, { atol: 1e-3 * rms, rtol: 0, label: 'features vs direct predict' });
    for (const t of [base, xt, direct]) t.dispose();
  });

  test('a skipped unreadable file gives one row fewer, never a repeated image', async () => {
    const bad = join(dir, 'with_bad');
    makeImageFolder(bad, 3);
    mkdirSync(join(bad, 'dogs'), { recursive: true });
    writeFileSync(join(bad, 'dogs', 'zz.jpg'), 'not a jpeg');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const it = new DirectoryIterator(bad, { targetSize: [32, 32], batchSize: 4, verbose: false, threads: 0 });
    const base = vgg16({ inputShape: [32, 32, 3] });
    const f = await extractFeatures(base, it);
    warn.mockRestore();
    base.dispose();
    expect(f.shape).toEqual([6, 1, 1, 512]);
    expect([...f.files].sort()).toEqual([...files].sort());
    expect([f.features.length, f.labels.length]).toEqual([6 * 512, 6]);
  });

  test('missing weights or data give one line with the fix', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await run(['features', '--data', data, '--out', join(dir, 'x.npy')])).toBe(2);
    expect(
      await run(['features', '--weights', join(dir, 'none.h5'), '--data', data, '--out', join(dir, 'x.npy')]),
    ).toBe(2);
    expect(
      await run(['features', '--weights', 'random', '--data', join(dir, 'nope'), '--out', join(dir, 'x.npy')]),
    ).toBe(2);
    const lines = err.mock.calls.map((c) => String(c[0]));
    err.mockRestore();
    expect(lines[0]).toMatch(/--weights FILE.h5 is required/);
    expect(lines[1]).toMatch(/none.h5 not found; see weights\/README.md/);
    expect(lines.at(-1)).toMatch(/^dawnflow: .*nope/);
  });
});
