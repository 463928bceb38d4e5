// A small two-class image set the project makes itself, so `npm start` runs the whole chapter
// on a fresh clone without the Kaggle photos. Real JPEG files in flow_from_directory's layout,
// under a folder whose name says what they are. Class 0 ('cats') draws horizontal stripes and
// class 1 ('dogs') vertical ones, on random colours with noise: learnable, but not trivially.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { Rng } from '../tensor/random.js';

export const SYNTHETIC_DIR = 'data/synthetic-two-class';
export const SYNTHETIC_COUNTS = { train: 60, validation: 20, test: 20 } as const;

function image(cls: number, rng: Rng): Buffer {
  const w = 48 + Math.floor(rng.next() * 32);
  const h = 48 + Math.floor(rng.next() * 32);
  const period = 4 + Math.floor(rng.next() * 8);
  const [a, b] = [0, 1].map(() => [0, 1, 2].map(() => Math.floor(rng.next() * 256)));
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const along = cls === 0 ? y : x;
      const c = Math.floor(along / period) % 2 ? a : b;
      const i = (y * w + x) * 4;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, c[k] + Math.round((rng.next() - 0.5) * 60)));
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ data, width: w, height: h }, 90).data;
}

/** Writes the set under `root` unless it is already complete; returns the folder. */
export function ensureSyntheticData(root = SYNTHETIC_DIR, seed = 2024): string {
  const marker = join(root, 'SYNTHETIC.txt');
  if (existsSync(marker)) return root;
  const rng = new Rng(seed);
  for (const [split, n] of Object.entries(SYNTHETIC_COUNTS)) {
    for (const [cls, name] of ['cats', 'dogs'].entries()) {
      const dir = join(root, split, name);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < n; i++) writeFileSync(join(dir, `synthetic.${name.slice(0, 3)}.${i}.jpg`), image(cls, rng));
    }
  }
  const tmp = `${marker}.tmp`;
  writeFileSync(tmp, 'Synthetic images made by dawnflow (stripes: cats = horizontal, dogs = vertical).\n' +
    'Not photos: a stand-in so the chapter runs without the Kaggle data. Safe to delete.\n');
  renameSync(tmp, marker);
  return root;
}
