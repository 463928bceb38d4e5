// Fault injection on image files: thousands of mutated JPEG, PNG, BMP and PPM files (truncated,
// flipped, headers claiming 60000x60000, zlib bombs, short image data, ...) go through
// loadImage, the loader every pipeline uses. Each must end in a clean load or in one
// `dawnflow: <file>: <problem>; <fix>` line, within a deadline and without a memory spike;
// mutations a decoder must shrug off must give the original pixels. Seeded: the seed is printed,
// DAWNFLOW_FUZZ_SEED replays a run, DAWNFLOW_FUZZ_CASE=N one case of it.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decodeImage } from '../../src/data/decode.js';
import type { RgbImage } from '../../src/data/rgb_image.js';
import { decodeHere } from '../../src/data/decode_pool.js';
import { loadImage } from '../../src/data/load_img.js';
import { resizeBilinear } from '../../src/data/resize.js';
import {
  interlacedPng,
  MUTATIONS,
  photos,
  syntheticImages,
  type BaseImage,
  type Expect,
  type ImageMutation,
} from './fuzz_image_corpus.js';
import {
  caseSeed,
  FuzzReport,
  fuzzSeed,
  keepCase,
  onlyCase,
  Rand,
  runBounded,
  sameBytes,
  type CaseId,
  type Outcome,
  type Verdict,
} from './fuzz_helpers.js';
import { setting } from '../../src/util/settings.js';

const CASES = setting('DAWNFLOW_FUZZ_IMAGE_CASES');
/** Generous for 48x48 images and a few photos; a decoder stuck in a loop takes far longer. */
const DEADLINE_MS = 3000;
/**
 * A mutated header may make a decoder allocate. Loaders bound that by the file size (a 20 KB
 * photo may still claim 20 MP, about 300 MB in jpeg-js); far more than that is a bug.
 */
const RSS_LIMIT_MB = 600;
const PHOTOS = fileURLToPath(new URL('../../../shared/data/cats_and_dogs_small/', import.meta.url));
const EXT = { jpeg: 'jpg', png: 'png', bmp: 'bmp', pnm: 'ppm' } as const;

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-fuzz-images-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Original extends BaseImage {
  image: RgbImage;
}

function corpus(seed: number): Original[] {
  const real = photos(PHOTOS, 3);
  if (real.length === 0) console.warn(`fuzz_images: no real photos (not found at ${PHOTOS})`);
  return [...syntheticImages(new Rand(seed)), ...real].map((b) => ({ ...b, image: decodeImage(b.bytes, b.name) }));
}

/** One or (sometimes) two mutations; two together only promise a clean outcome. */
function mutate(base: Original, r: Rand): { bytes: Uint8Array; kind: string; expect: Expect } {
  const m: ImageMutation = r.pick(MUTATIONS[base.format]);
  let bytes = m.apply(base.bytes, r);
  if (!r.chance(0.15)) return { bytes, kind: m.kind, expect: m.expect };
  const m2 = r.pick(MUTATIONS[base.format]);
  bytes = m2.apply(bytes, r);
  return { bytes, kind: `${m.kind} + ${m2.kind}`, expect: 'any' };
}

function judge(o: Outcome<RgbImage>, original: RgbImage, expected: Expect): Verdict {
  if (o.kind === 'error' && expected === 'same') {
    return { problem: `a harmless change was refused: ${(o.error as Error).message}` };
  }
  if (o.kind !== 'ok') return {};
  const img = o.value;
  const ok = img.width > 0 && img.height > 0 && img.data.length === img.width * img.height * 3;
  if (!ok) return { problem: `decoded to an inconsistent ${img.width}x${img.height} image` };
  const same = img.width === original.width && img.height === original.height && sameBytes(img.data, original.data);
  if (expected === 'refused') return { problem: 'a broken file was decoded instead of refused' };
  if (expected === 'same' && !same) return { problem: 'the pixels differ from the original' };
  return { same };
}

/**
 * The decode workers' entry (read, decode, resize; failures as values): it must agree with
 * loadImage on the file, and its failure message must be a proper refusal too.
 */
function workerPath(report: FuzzReport, c: CaseId, file: string, direct: Outcome<RgbImage>): void {
  const req = { path: file, targetSize: [5, 7] as [number, number], interpolation: 'bilinear' as const };
  const o = runBounded(DEADLINE_MS, () => decodeHere(req));
  if (o.kind !== 'ok') {
    report.record(c, file, o, {});
    return;
  }
  const d = o.value;
  const asOutcome: Outcome<unknown> = d.ok
    ? { kind: 'ok', value: d, ms: o.ms }
    : { kind: 'error', error: new Error(d.message), ms: o.ms };
  if (!d.ok || direct.kind !== 'ok') {
    const agree = d.ok === (direct.kind === 'ok');
    report.record(c, file, asOutcome, { problem: agree ? null : 'decodeHere and loadImage disagree' });
    return;
  }
  // The worker's bytes are the direct decode, resized: exactly.
  const same = sameBytes(d.data, resizeBilinear(direct.value, 7, 5).data);
  report.record(c, file, asOutcome, { problem: same ? null : 'decodeHere differs from loadImage + resize', same });
}

test('interlaced PNGs of every small size decode to their pixels (the image-data bound)', () => {
  // decode_png inflates the image data itself, bounded by the size Adam7 needs: a wrong bound
  // would refuse sound interlaced files as truncated.
  const r = new Rand(7);
  for (let w = 1; w <= 17; w++) {
    for (let h = 1; h <= 17; h += 3) {
      const rgb = Uint8Array.from({ length: w * h * 3 }, () => r.int(256));
      const img = decodeImage(interlacedPng(w, h, rgb), `i${w}x${h}.png`);
      expect({ w: img.width, h: img.height, same: sameBytes(img.data, rgb) }).toEqual({ w, h, same: true });
    }
  }
});

test('every mutated image loads cleanly or is refused in one line', () => {
  const seed = fuzzSeed('fuzz_images');
  const originals = corpus(seed);
  const report = new FuzzReport('fuzz_images', seed, RSS_LIMIT_MB);
  const only = onlyCase();
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    if (only !== null && i !== only) continue;
    const base = originals[i % originals.length];
    const m = mutate(base, new Rand(caseSeed(seed, i)));
    // A space and a non-ASCII letter in the name: messages must carry the path unchanged.
    const file = join(dir, `case ${i % 7} é.${EXT[base.format]}`);
    fs.writeFileSync(file, m.bytes);
    keepCase(file);
    const o = runBounded(DEADLINE_MS, () => loadImage(file));
    report.record({ index: i, kind: m.kind, base: base.name }, file, o, judge(o, base.image, m.expect));
    const id = { index: i, kind: `${m.kind}, then decodeHere`, base: base.name };
    if (i % 4 === 0) workerPath(report, id, file, o);
  }
  console.log(report.summary((performance.now() - t0) / 1000));
  expect(report.failures.slice(0, 25)).toEqual([]);
  if (only !== null) return;
  expect(report.cases).toBe(CASES + Math.ceil(CASES / 4)); // every 4th also through decodeHere
  // Both outcomes must occur, or the mutations are not reaching the decoders.
  expect(report.refused).toBeGreaterThan(CASES / 4);
  expect(report.loadedSame + report.loadedChanged).toBeGreaterThan(CASES / 10);
  expect(report.messages.size).toBeGreaterThan(20);
});
