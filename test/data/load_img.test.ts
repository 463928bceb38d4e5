// loadImage (read + decode + resize when the size differs) and toFloatBatch (rescale in float32).
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadImage, toFloatBatch } from '../../src/data/load_img.js';
import { resizeBilinear, resizeNearest } from '../../src/data/resize.js';
import { pngBytes } from '../helpers/images.js';
import { mulberry32 } from '../helpers/random.js';

let dir = '';
const rnd = mulberry32(3);
const samples = Array.from({ length: 9 * 6 * 3 }, () => Math.floor(rnd() * 256));

beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-load-'));
  const png = pngBytes({ width: 9, height: 6, colorType: 2, depth: 8, samples });
  fs.writeFileSync(join(dir, 'a.png'), png);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('without targetSize the decoded image comes back as is', () => {
  const img = loadImage(join(dir, 'a.png'));
  expect([img.width, img.height]).toEqual([9, 6]);
  expect(Array.from(img.data)).toEqual(samples);
});

test('targetSize is [height, width]; nearest is the default, bilinear on request', () => {
  const img = loadImage(join(dir, 'a.png'));
  const near = loadImage(join(dir, 'a.png'), { targetSize: [4, 7] });
  expect([near.width, near.height]).toEqual([7, 4]);
  expect(near.data).toEqual(resizeNearest(img, 7, 4).data);
  const bil = loadImage(join(dir, 'a.png'), { targetSize: [4, 7], interpolation: 'bilinear' });
  expect(bil.data).toEqual(resizeBilinear(img, 7, 4).data);
  expect(loadImage(join(dir, 'a.png'), { targetSize: [6, 9] }).data).toEqual(img.data);
});

test('missing files and unknown interpolations are one-line errors', () => {
  expect(() => loadImage(join(dir, 'nope.jpg'))).toThrow(/^dawnflow: .*nope\.jpg: cannot read image \(ENOENT\)/);
  expect(() => loadImage(join(dir, 'a.png'), { interpolation: 'bicubic' as 'nearest' })).toThrow(
    /interpolation 'bicubic' is not supported; use 'nearest' or 'bilinear'/,
  );
});

test("toFloatBatch is NHWC float32 of v * float32(scale), as NumPy's x *= 1./255", () => {
  const a = { width: 2, height: 1, data: Uint8Array.from([0, 1, 2, 128, 254, 255]) };
  const b = { width: 2, height: 1, data: Uint8Array.from([3, 4, 5, 6, 7, 8]) };
  const out = toFloatBatch([a, b]);
  expect(out.length).toBe(12);
  const s = Math.fround(1 / 255);
  expect(Array.from(out)).toEqual([...a.data, ...b.data].map((v) => Math.fround(v * s)));
  // Checked against NumPy for all 256 values. For 126 of them (3 is the first) this differs
  // from rounding the exact v / 255 to float32, which is what dividing would give.
  expect(out[6]).not.toBe(Math.fround(3 / 255));
  expect(out[5]).toBe(1);
  expect(toFloatBatch([a], 2)[3]).toBe(256);
  expect(toFloatBatch([]).length).toBe(0);
  expect(() => toFloatBatch([a, { width: 1, height: 2, data: a.data }])).toThrow(/image 1 is 1x2 but image 0 is 2x1/);
});
