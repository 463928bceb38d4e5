// augment-preview: the grid's size, the first column is the resized original pixel for pixel,
// the other columns differ from it, and the same seed draws the same grid.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, expect, test, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { loadImage } from '../../src/data/load_img.js';
import { useGpu } from '../helpers/gpu.js';
import { makeImageFolder } from '../helpers/image_folder.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-preview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
makeImageFolder(join(dir, 'data', 'train'), 2, 4);

async function preview(out: string): Promise<PNG> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const code = await run([
    'augment-preview',
    '--data',
    join(dir, 'data'),
    '--n',
    '3',
    '--per-image',
    '2',
    '--size',
    '24',
    '--seed',
    '7',
    '--out',
    out,
  ]);
  log.mockRestore();
  expect(code).toBe(0);
  return PNG.sync.read(readFileSync(out));
}

function cell(png: PNG, row: number, col: number, s = 24, gap = 4): number[] {
  const out: number[] = [];
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++) {
      const i = ((gap + row * (s + gap) + y) * png.width + gap + col * (s + gap) + x) * 4;
      out.push(png.data[i], png.data[i + 1], png.data[i + 2]);
    }
  return out;
}

test('a grid of originals and augmented draws, repeatable with a seed', async () => {
  const a = await preview(join(dir, 'a.png'));
  expect([a.width, a.height]).toEqual([3 * 28 + 4, 3 * 28 + 4]);
  const originals = ['cats/cat.0.png', 'cats/cat.1.png', 'dogs/dog.0.png', 'dogs/dog.1.png'].map((f) =>
    Array.from(loadImage(join(dir, 'data', 'train', f), { targetSize: [24, 24] }).data),
  );
  for (let row = 0; row < 3; row++) {
    const first = cell(a, row, 0);
    expect(originals.some((o) => o.every((v, i) => v === first[i]))).toBe(true);
    expect(cell(a, row, 1)).not.toEqual(first);
  }
  const b = await preview(join(dir, 'b.png'));
  expect(Buffer.compare(a.data, b.data)).toBe(0);
});
