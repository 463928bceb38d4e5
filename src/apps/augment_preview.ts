// `dawnflow augment-preview`: a PNG grid of augmented training images with the chapter's
// settings, the picture to look at before training. Row i shows image i: the original first,
// then augmented draws of it.
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { listImageFolder } from '../data/directory.js';
import { loadImage } from '../data/load_img.js';
import { CHAPTER_AUGMENTATION, randomTransform, transformMatrix, type AugmentOptions } from '../data/augment.js';
import { augmentBatch, uploadPixels } from '../kernels/augment.js';
import { Rng } from '../tensor/random.js';
import { writeFileAtomic } from '../util/atomic_write.js';

export interface PreviewOptions {
  data: string;
  images: number;
  perImage: number;
  seed: number;
  size: number;
  out: string;
  augment?: AugmentOptions;
}

const GAP = 4;

/** Augmented copies of the first `images` files (in a seeded shuffle), as one RGB grid. */
export async function augmentPreview(o: PreviewOptions): Promise<{ width: number; height: number; files: string[] }> {
  const folder = listImageFolder(o.data);
  const rng = new Rng(o.seed);
  const order = shuffled(folder.files, rng).slice(0, o.images);
  const s = o.size;
  const aug = o.augment ?? CHAPTER_AUGMENTATION;
  const cols = o.perImage + 1;
  const grid = new PNG({ width: cols * (s + GAP) + GAP, height: order.length * (s + GAP) + GAP });
  grid.data.fill(255);
  for (const [row, file] of order.entries()) {
    const img = loadImage(join(folder.dir, file), { targetSize: [s, s] });
    const bytes = new Uint8Array(cols * s * s * 3);
    for (let c = 0; c < cols; c++) bytes.set(img.data, c * s * s * 3);
    const transforms = Array.from({ length: cols }, (_, c) => {
      const p = randomTransform(aug, s, s, rng);
      if (c === 0) return { matrix: [1, 0, 0, 0, 1, 0], flipHorizontal: false, flipVertical: false };
      return { matrix: transformMatrix(p, s, s), flipHorizontal: p.flipHorizontal, flipVertical: p.flipVertical };
    });
    const pixels = uploadPixels(bytes, [cols, s, s, 3]);
    const out = augmentBatch(pixels, [cols, s, s, 3], transforms, {
      fillMode: aug.fillMode ?? 'nearest',
      cval: aug.cval ?? 0,
      rescale: 1,
    });
    const values = await out.data();
    pixels.dispose();
    out.dispose();
    for (let c = 0; c < cols; c++) paste(grid, values, c * s * s * 3, s, GAP + c * (s + GAP), GAP + row * (s + GAP));
  }
  writeFileAtomic(o.out, PNG.sync.write(grid));
  return { width: grid.width, height: grid.height, files: order };
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function paste(grid: PNG, v: ArrayLike<number>, at: number, s: number, x0: number, y0: number): void {
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const src = at + (y * s + x) * 3;
      const dst = ((y0 + y) * grid.width + x0 + x) * 4;
      for (let k = 0; k < 3; k++) grid.data[dst + k] = Math.max(0, Math.min(255, Math.round(v[src + k])));
      grid.data[dst + 3] = 255;
    }
  }
}
