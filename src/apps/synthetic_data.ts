// A small two-class image set the project makes itself, so `npm start` runs the whole chapter
// on a fresh clone without the Kaggle photos. Real PNG files in flow_from_directory's layout,
// under a folder whose name says what they are. Class 0 ('cats') draws horizontal bands and
// class 1 ('dogs') vertical ones, in random colours with noise: learnable, but not trivially.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Rng } from '../tensor/random.js';
import { buildFolderAtomic } from '../util/atomic_write.js';

export const SYNTHETIC_DIR = 'data/synthetic-two-class';
export const SYNTHETIC_COUNTS = { train: 100, validation: 50, test: 50 } as const;
/** Bumped when the images change: an older set on disk is replaced. */
export const SYNTHETIC_VERSION = 4;

/**
 * A light and a dark band colour (random tints, levels ~200 and ~55): every image has the same
 * strong contrast and about the same mean brightness, so what tells the classes apart is where
 * the light and dark go, not how bright the picture is.
 */
function bandColours(rng: Rng): [number[], number[]] {
  const tint = (level: number) => [0, 1, 2].map(() => Math.round(level + (rng.next() - 0.5) * 60));
  const light = tint(170 + rng.next() * 60);
  const dark = tint(25 + rng.next() * 60);
  return rng.next() < 0.5 ? [light, dark] : [dark, light];
}

/**
 * Broad bands (2 to 4 across the image, random phase) rather than fine stripes: the chapter's
 * quick preset looks at 64x64 through a random VGG16 base, whose features carry the image's
 * coarse layout and little of its fine texture.
 */
function image(cls: number, rng: Rng): Buffer {
  const w = 48 + Math.floor(rng.next() * 32);
  const h = 48 + Math.floor(rng.next() * 32);
  const across = cls === 0 ? h : w;
  const period = across / (2 + rng.next() * 2);
  const phase = rng.next() * period;
  const [a, b] = bandColours(rng);
  const png = new PNG({ width: w, height: h });
  const data = png.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const along = cls === 0 ? y : x;
      const c = Math.floor((along + phase) / (period / 2)) % 2 ? a : b;
      const i = (y * w + x) * 4;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, c[k] + Math.round((rng.next() - 0.5) * 80)));
      data[i + 3] = 255;
    }
  }
  // PNG, not JPEG: jpeg-js builds its tables on every encode (~75 ms an image), pngjs takes ~3 ms.
  return PNG.sync.write(png, { colorType: 2 });
}

const MARKER = 'SYNTHETIC.txt';

function isCurrent(root: string): boolean {
  const marker = join(root, MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8').startsWith(`version ${SYNTHETIC_VERSION}\n`);
}

/**
 * Writes the set under `root` unless the current version is there; returns the folder. Built in
 * a sibling folder and renamed into place, so an interrupted run never leaves half a set.
 */
export async function ensureSyntheticData(root = SYNTHETIC_DIR, seed = 2024): Promise<string> {
  if (isCurrent(root)) return root;
  await buildFolderAtomic(root, (tmp) => writeSet(tmp, new Rng(seed)), { replace: true });
  return root;
}

function writeSet(dir: string, rng: Rng): void {
  for (const [split, n] of Object.entries(SYNTHETIC_COUNTS)) {
    for (const [cls, name] of ['cats', 'dogs'].entries()) {
      const folder = join(dir, split, name);
      mkdirSync(folder, { recursive: true });
      for (let i = 0; i < n; i++) {
        writeFileSync(join(folder, `synthetic.${name.slice(0, 3)}.${i}.png`), image(cls, rng));
      }
    }
  }
  writeFileSync(
    join(dir, MARKER),
    `version ${SYNTHETIC_VERSION}\n` +
      'Synthetic images made by dawnflow: broad bands, cats = horizontal, dogs = vertical.\n' +
      'Not photos: a stand-in so the chapter runs without the Kaggle data. Safe to delete.\n',
  );
}
