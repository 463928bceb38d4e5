// Approach 1's feature extraction: the conv base run once over a folder of images (inference),
// its outputs kept as float32 (N, h, w, 512) with the labels and the file order.
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/tape.js';
import type { DirectoryIterator, DirectoryIteratorOptions } from '../data/directory_iterator.js';
import { writeNpy } from '../io/npy.js';
import type { Container } from '../nn/container.js';
import { microBatchLimit } from '../nn/training.js';
import { augmentBatch, uploadPixels } from '../kernels/augment.js';
import { sizeOf } from '../tensor/shape.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic_write.js';

export interface Features {
  features: Float32Array;
  shape: number[];
  labels: Float32Array;
  files: string[];
  classIndices: Record<string, number>;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Runs `base` over `limit` images (all by default) of the iterator, one pass. Fewer rows come
 * back when the iterator skipped unreadable files: the pass ends early instead of wrapping into
 * the next one (which would repeat images).
 */
export async function extractFeatures(
  base: Container,
  it: DirectoryIterator,
  limit = it.samples,
  progress: (done: number, total: number) => void = () => {},
): Promise<Features> {
  const total = Math.min(limit, it.samples);
  const out = base.outputShape!.slice(1) as number[];
  const per = sizeOf(out);
  let features = new Float32Array(total * per);
  let labels = new Float32Array(total);
  const files: string[] = [];
  const t0 = performance.now();
  let done = 0;
  let pass: number | null = null;
  while (done < total) {
    const b = await it.nextPixels();
    if ((pass ??= b.pass) !== b.pass) break;
    const n = Math.min(b.n, total - done);
    await applyBase(base, b.pixels, [n, ...it.targetSize], it.rescale, features.subarray(done * per));
    labels.set(b.labels.subarray(0, n), done);
    files.push(...b.files.slice(0, n));
    done += n;
    progress(done, total);
  }
  if (done < total) [features, labels] = [features.slice(0, done * per), labels.slice(0, done)];
  const seconds = (performance.now() - t0) / 1000;
  return {
    features,
    shape: [done, ...out],
    labels,
    files,
    classIndices: it.folder.classIndices,
    seconds,
    imagesPerSecond: done / seconds,
  };
}

/** base(x[:n]) into `into`, in micro-batches when n is more than the adapter holds at once. */
/** The base over uint8 pixels, converted (times `rescale`) on the GPU, in micro-batches. */
async function applyBase(
  base: Container,
  pixels: Uint8Array,
  [n, h, w]: number[],
  rescale: number,
  into: Float32Array,
): Promise<void> {
  const step = Math.min(n, microBatchLimit(base));
  let at = 0;
  for (let i = 0; i < n; i += step) {
    const m = Math.min(step, n - i);
    const shape: [number, number, number, number] = [m, h, w, 3];
    const u8 = uploadPixels(pixels.subarray(i * h * w * 3, (i + m) * h * w * 3), shape);
    const xt = augmentBatch(u8, shape, null, { fillMode: 'nearest', cval: 0, rescale });
    u8.dispose();
    // tidy: under noGrad nothing frees the layers' intermediate outputs (~0.4 GB a batch of 20 at 150x150).
    const y = tidy(() => noGrad(() => base.apply(xt, { training: false })));
    const values = await y.data();
    into.set(values, at);
    at += values.length;
    xt.dispose();
    y.dispose();
  }
}

/** FILE.npy (features), FILE.labels.npy and FILE.json (file order, classes, timing). */
export function saveFeatures(path: string, f: Features, meta: Record<string, unknown>): string[] {
  const stem = path.replace(/\.npy$/, '');
  mkdirSync(dirname(stem), { recursive: true });
  writeNpy(`${stem}.npy`, f.features, f.shape);
  writeNpy(`${stem}.labels.npy`, f.labels, [f.labels.length]);
  const json = {
    ...meta,
    shape: f.shape,
    classIndices: f.classIndices,
    files: f.files,
    seconds: f.seconds,
    imagesPerSecond: f.imagesPerSecond,
  };
  writeFileAtomic(`${stem}.json`, JSON.stringify(json, null, 2));
  return [`${stem}.npy`, `${stem}.labels.npy`, `${stem}.json`];
}

export type { DirectoryIteratorOptions };
