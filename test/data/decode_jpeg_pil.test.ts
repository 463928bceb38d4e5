// JPEG pixels equal PIL's exactly. The fixtures (test/fixtures/jpeg, made by its make_fixtures.py)
// cover the layouts photos come in; each sits beside PIL 9.4's Image.open(f).convert('RGB') of it.
// When the shared photos and /usr/bin/python3 + PIL are both here, a sample of real photos is
// compared too; otherwise that test is reported as skipped with the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeImage } from '../../src/data/decode.js';
import { skipNote } from '../helpers/skip.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/jpeg/', import.meta.url));
const PHOTOS = fileURLToPath(new URL('../../../shared/data/cats_and_dogs_small/', import.meta.url));
const PYTHON = '/usr/bin/python3';

interface Fixture {
  file: string;
  what: string;
  width: number;
  height: number;
}
const manifest = JSON.parse(fs.readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as {
  pil: string;
  fixtures: Fixture[];
};
const decodable = manifest.fixtures.filter((f) => f.file !== 'arithmetic.jpg');

/** How many samples differ, and by at most how much. */
function diff(a: Uint8Array, b: Uint8Array): { differing: number; max: number } {
  let differing = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) differing++;
    max = Math.max(max, d);
  }
  return { differing, max };
}

describe(`JPEG fixtures decode to PIL ${manifest.pil}'s pixels exactly`, () => {
  test.each(decodable.map((f) => [f.file, f] as const))('%s', (_, f) => {
    const img = decodeImage(fs.readFileSync(join(FIXTURES, f.file)), f.file);
    const pil = fs.readFileSync(join(FIXTURES, f.file.replace(/\.jpg$/, '.rgb')));
    expect([img.width, img.height]).toEqual([f.width, f.height]);
    expect(diff(img.data, pil)).toEqual({ differing: 0, max: 0 });
  });

  test('arithmetic coding (not in this libjpeg-turbo build) is a one-line refusal that says so', () => {
    const bytes = fs.readFileSync(join(FIXTURES, 'arithmetic.jpg'));
    expect(() => decodeImage(bytes, 'a.jpg')).toThrow(/^dawnflow: a\.jpg: arithmetic-coded JPEG.*jpegtran/);
  });
});

/** PIL's RGB for `files`, or the reason it cannot be had here. */
function pilDecode(files: string[]): Buffer[] | string {
  const code =
    'import sys\nfrom PIL import Image\nfor p in sys.argv[1:]:\n' +
    "    sys.stdout.buffer.write(Image.open(p).convert('RGB').tobytes())\n";
  const r = spawnSync(PYTHON, ['-c', code, ...files], { maxBuffer: 1 << 28 });
  if (r.status !== 0) return `${`${PYTHON} with PIL is not available (${r.error?.message ?? r.stderr}`.trim()})`;
  const out: Buffer[] = [];
  let at = 0;
  for (const f of files) {
    const { width, height } = decodeImage(fs.readFileSync(f), f);
    out.push(r.stdout.subarray(at, (at += width * height * 3)));
  }
  return at === r.stdout.length ? out : 'PIL returned images of other sizes';
}

/** Every 50th photo of each split and class: 80 of the 4,000. */
function samplePhotos(): string[] {
  const out: string[] = [];
  for (const split of ['train', 'validation', 'test']) {
    for (const cls of ['cats', 'dogs']) {
      const dir = join(PHOTOS, split, cls);
      const names = fs
        .readdirSync(dir)
        .filter((n) => n.endsWith('.jpg'))
        .sort();
      out.push(...names.filter((_, i) => i % 50 === 0).map((n) => join(dir, n)));
    }
  }
  return out;
}

const havePhotos = fs.existsSync(join(PHOTOS, 'train', 'cats'));
const photos = havePhotos ? samplePhotos() : [];
const pil = havePhotos ? pilDecode(photos) : `the shared photos are absent (${PHOTOS} not found)`;
const canCompare = typeof pil !== 'string';

test.skipIf(!canCompare)(
  skipNote(
    "a sample of the cats-vs-dogs photos decodes to PIL's pixels exactly",
    canCompare,
    typeof pil === 'string' ? pil : '',
  ),
  () => {
    const pixels = pil as Buffer[];
    const bad = photos.flatMap((f, i) => {
      const d = diff(decodeImage(fs.readFileSync(f), f).data, pixels[i]);
      return d.differing ? [`${f}: ${d.differing} samples, max ${d.max}`] : [];
    });
    expect(bad).toEqual([]);
    expect(photos.length).toBeGreaterThanOrEqual(80);
  },
);
