// What the chapter's approaches train on, for `dawnflow chapter` and the single-approach
// commands alike: approach 1's conv-base features of a split (extracted once, then read back
// from their folder), approaches 2 and 3's image iterators (training images augmented as the
// chapter sets it, validation plain) and their fit.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHAPTER_AUGMENTATION } from '../data/augment.js';
import type { DecodePool } from '../data/decode_pool.js';
import { DirectoryIterator } from '../data/directory_iterator.js';
import type { ImageCache } from '../data/image_cache.js';
import { readNpy } from '../io/npy.js';
import type { Container } from '../nn/container.js';
import type { ArrayData } from '../nn/batches.js';
import type { History } from '../nn/history.js';
import type { FitOptions } from '../nn/fit.js';
import type { Log } from './chapter.js';
import type { PhaseSettings } from './chapter_presets.js';
import { EXTRACTION_BATCH } from './chapter_presets.js';
import { extractFeatures, saveFeatures } from './features.js';
import { phaseBar } from './phase_bar.js';

/** A folder holding train/, validation/ (and test/) and how its images are read. */
export interface ImageSource {
  data: string;
  targetSize: number;
  /** Shuffled order (default true, as flow_from_directory). */
  shuffle?: boolean;
  /** Stop on an unreadable image instead of skipping it. */
  strict?: boolean;
  pool?: DecodePool;
  cache?: ImageCache;
  /** Print Keras's `Found N images` line (default true). */
  verbose?: boolean;
}

function iterator(
  src: ImageSource,
  split: string,
  batchSize: number,
  seed: number,
  augment = false,
): DirectoryIterator {
  const { targetSize: t, shuffle, strict, pool, cache, verbose } = src;
  return new DirectoryIterator(join(src.data, split), {
    targetSize: [t, t],
    batchSize,
    seed,
    rescale: 1 / 255,
    shuffle,
    strict,
    pool,
    cache,
    verbose,
    augment: augment ? CHAPTER_AUGMENTATION : null,
  });
}

export interface FeatureOptions {
  seed: number;
  /** At most this many images (all by default). */
  limit?: number;
  /** The folder keeping <split>.npy, .labels.npy and .json; a split found there is not extracted again. */
  dir?: string;
  /** Written into <split>.json beside the features' own facts. */
  meta?: Record<string, unknown>;
  log: Log;
  /** After each conv-base batch: images done, of how many, and the seconds so far. */
  onBatch?: (done: number, total: number, seconds: number) => void;
}

/** Approach 1's input: the conv base's features of one split, flattened; `seconds` 0 when read back. */
export async function splitFeatures(
  base: Container,
  src: ImageSource,
  split: string,
  o: FeatureOptions,
): Promise<{ data: ArrayData; seconds: number }> {
  const stem = o.dir ? join(o.dir, split) : null;
  // The .json is written last: without it the .npy pair may be from a run killed half-way.
  if (stem && existsSync(`${stem}.json`)) {
    const f = readNpy(`${stem}.npy`);
    const y = readNpy(`${stem}.labels.npy`);
    o.log(`${split}: ${f.shape[0]} feature rows from ${stem}.npy`);
    return { data: rows(f.data as Float32Array, f.shape[0], y.data as Float32Array), seconds: 0 };
  }
  const it = iterator(src, split, EXTRACTION_BATCH, o.seed);
  const total = Math.min(o.limit ?? it.samples, it.samples);
  o.log(`${split}: conv-base features of ${total} images, in batches of ${EXTRACTION_BATCH}`);
  const bar = phaseBar(total);
  const t0 = performance.now();
  const r = await closing([it], () =>
    extractFeatures(base, it, total, (done) => {
      bar.update(done);
      o.onBatch?.(done, total, (performance.now() - t0) / 1000);
    }),
  );
  bar.end(r.shape[0]);
  const rate = r.imagesPerSecond.toFixed(2);
  o.log(`${split}: conv-base features of ${r.shape[0]} images in ${r.seconds.toFixed(1)} s (${rate} images/s)`);
  if (stem) saveFeatures(`${stem}.npy`, r, { split, data: src.data, targetSize: src.targetSize, ...o.meta });
  return { data: rows(r.features, r.shape[0], r.labels), seconds: r.seconds };
}

function rows(x: Float32Array, n: number, y: Float32Array): ArrayData {
  return { x, xShape: [n, x.length / n], y };
}

export interface ImageFit {
  /** Training batches are seeded by `seed`, validation ones by seed + 1. */
  seed: number;
  /** The chapter's augmentation on the training images. */
  augment: boolean;
  /** Keras fit's options beyond the data, steps and epochs (callbacks, verbose, ...). */
  fit?: Omit<FitOptions<Container>, 'epochs' | 'initialEpoch' | 'stepsPerEpoch' | 'validationData' | 'validationSteps'>;
}

/**
 * Approaches 2 and 3: fits `model` for epochs [from, to) on fresh iterators over the images,
 * `p`'s steps per epoch (a whole pass where 0). Returns the history and images per epoch.
 */
export async function fitOnImages(
  model: Container,
  src: ImageSource,
  p: PhaseSettings,
  [from, to]: [number, number],
  o: ImageFit,
): Promise<{ history: History; images: number }> {
  const train = iterator(src, 'train', p.batchSize, o.seed, o.augment);
  const validation = iterator(src, 'validation', p.validationBatchSize, o.seed + 1);
  const steps = p.stepsPerEpoch || train.batchesPerPass;
  const history = await closing([train, validation], () =>
    model.fit(train, {
      ...o.fit,
      epochs: to,
      initialEpoch: from,
      stepsPerEpoch: steps,
      validationData: validation,
      validationSteps: p.validationSteps || validation.batchesPerPass,
    }),
  );
  return { history, images: steps * p.batchSize };
}

/** Runs `fn`, then closes the iterators; when `fn` fails, its error is the one thrown. */
async function closing<T>(its: DirectoryIterator[], fn: () => Promise<T>): Promise<T> {
  let out: T;
  try {
    out = await fn();
  } catch (e) {
    await Promise.allSettled(its.map((it) => it.close()));
    throw e;
  }
  await Promise.all(its.map((it) => it.close()));
  return out;
}
