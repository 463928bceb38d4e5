// The iterator's GPU batches: with augmentation off they equal the decoded pixels times rescale
// exactly; with the chapter's augmentation they equal the float64 reference warp of the same
// pixels with the same drawn parameters; and a seed repeats batches, labels and augmentation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DirectoryIterator } from '../../src/data/directory_iterator.js';
import { ImageDataGenerator } from '../../src/data/image_data_generator.js';
import { CHAPTER_AUGMENTATION, randomTransform, transformMatrix, warpReference } from '../../src/data/augment.js';
import { Rng } from '../../src/tensor/random.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { makeImageFolder } from '../helpers/image_folder.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-aug-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
makeImageFolder(dir, 4, 21);
const opts = {
  targetSize: [20, 18] as [number, number],
  batchSize: 3,
  seed: 5,
  rescale: 1 / 255,
  verbose: false,
  threads: 0,
};

async function batches(augment: boolean, count: number): Promise<{ x: Float32Array; y: Float32Array }[]> {
  const it = new DirectoryIterator(dir, { ...opts, augment: augment ? CHAPTER_AUGMENTATION : null });
  const out = [];
  for (let i = 0; i < count; i++) {
    const b = await it.next();
    out.push({ x: (await b.x.data()) as Float32Array, y: (await b.y.data()) as Float32Array });
    b.x.dispose();
    b.y.dispose();
  }
  await it.close();
  return out;
}

describe('DirectoryIterator.next on the GPU', () => {
  test('without augmentation: pixels times rescale, exactly', async () => {
    const it = new DirectoryIterator(dir, opts);
    const ref = new DirectoryIterator(dir, opts);
    for (let i = 0; i < 3; i++) {
      const [b, p] = [await it.next(), await ref.nextPixels()];
      const want = Float32Array.from(p.pixels, (v) => Math.fround(v * Math.fround(1 / 255)));
      expect(Buffer.from(((await b.x.data()) as Float32Array).buffer).equals(Buffer.from(want.buffer))).toBe(true);
      expect(Array.from(await b.y.data())).toEqual(Array.from(p.labels));
    }
    await Promise.all([it.close(), ref.close()]);
  });

  test("with the chapter's augmentation: the float64 reference warp of the same pixels", async () => {
    const [b] = await batches(true, 1);
    const ref = new DirectoryIterator(dir, opts);
    const p = await ref.nextPixels();
    await ref.close();
    // The iterator draws from its own stream: seed ^ 0x5bd1e995, image by image.
    const rng = new Rng((5 ^ 0x5bd1e995) >>> 0);
    const [h, w] = opts.targetSize;
    for (let i = 0; i < p.n; i++) {
      const t = randomTransform(CHAPTER_AUGMENTATION, h, w, rng);
      const src = Float64Array.from(p.pixels.subarray(i * h * w * 3, (i + 1) * h * w * 3));
      const want = warpReference(src, h, w, 3, transformMatrix(t, h, w), t, 'nearest', 0).map((v) => v / 255);
      expectClose(b.x.subarray(i * h * w * 3, (i + 1) * h * w * 3), want, {
        atol: 1e-4,
        rtol: 0,
        label: `image ${i} ${p.files[i]}`,
      });
    }
  });

  test('the same seed gives the same batches, labels and augmentation', async () => {
    const a = await batches(true, 4);
    const b = await batches(true, 4);
    expect(b).toEqual(a);
    const plain = await batches(false, 4);
    expect(plain.map((q) => Array.from(q.y))).toEqual(a.map((q) => Array.from(q.y)));
    expect(plain[0].x).not.toEqual(a[0].x);
  });
});

describe('ImageDataGenerator.flowFromDirectory', () => {
  test('class modes: binary column, one-hot rows, no labels', async () => {
    const gen = new ImageDataGenerator({ rescale: 1 / 255 });
    const y = async (classMode: 'binary' | 'categorical' | null) => {
      const it = gen.flowFromDirectory(dir, {
        targetSize: [8, 8],
        batchSize: 8,
        shuffle: false,
        classMode,
        verbose: false,
        threads: 0,
      });
      const b = await it.next();
      await it.close();
      return { shape: b.y.shape, values: Array.from(await b.y.data()) };
    };
    expect(await y('binary')).toEqual({ shape: [8, 1], values: [0, 0, 0, 0, 1, 1, 1, 1] });
    const cat = await y('categorical');
    expect(cat.shape).toEqual([8, 2]);
    expect(cat.values).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect((await y(null)).shape).toEqual([8, 0]);
  });

  test('rescale only is no augmentation; bad settings are refused', async () => {
    const a = new ImageDataGenerator({ rescale: 1 / 255 }).flowFromDirectory(dir, { ...opts });
    const b = new DirectoryIterator(dir, opts);
    const [x, z] = [await a.next(), await b.next()];
    expect(Array.from(await x.x.data())).toEqual(Array.from(await z.x.data()));
    await Promise.all([a.close(), b.close()]);
    expect(() => new ImageDataGenerator({ fillMode: 'mirror' as never })).toThrow(/fill/i);
  });
});
