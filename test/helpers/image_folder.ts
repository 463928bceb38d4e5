// A small flow_from_directory folder of real PNG files, made on the spot: classes 'cats' and
// 'dogs', images of varied sizes with seeded random pixels.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngBytes } from './images.js';
import { mulberry32 } from './random.js';

export function makeImageFolder(root: string, perClass: number, seed = 1): string[] {
  const rnd = mulberry32(seed);
  const files: string[] = [];
  for (const cls of ['cats', 'dogs']) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const [w, h] = [20 + Math.floor(rnd() * 30), 20 + Math.floor(rnd() * 30)];
      const samples = Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256));
      const name = `${cls.slice(0, 3)}.${i}.png`;
      writeFileSync(join(root, cls, name), pngBytes({ width: w, height: h, colorType: 2, depth: 8, samples }));
      files.push(`${cls}/${name}`);
    }
  }
  return files;
}

/** The chapter's data layout under `dir`: train/, validation/ and test/ folders, each seeded apart. */
export function makeSplitFolders(dir: string, perClass: number): string {
  const splits = { train: 1, validation: 2, test: 3 };
  for (const [split, seed] of Object.entries(splits)) makeImageFolder(join(dir, split), perClass, seed);
  return dir;
}
