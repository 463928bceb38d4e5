// Approach 1's feature extraction: the conv base run once over a folder of images (inference),
// its outputs kept as float32 (N, h, w, 512) with the labels and the file order.
import { noGrad } from '../autograd/engine.js';
import { DirectoryIterator, type DirectoryIteratorOptions } from '../data/directory_iterator.js';
import { writeNpy } from '../io/npy.js';
import type { Container } from '../nn/container.js';
import { microBatchLimit } from '../nn/training.js';
import { Tensor } from '../tensor/tensor.js';
import { sizeOf } from '../tensor/shape.js';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Features {
  features: Float32Array;
  shape: number[];
  labels: Float32Array;
  files: string[];
  classIndices: Record<string, number>;
  seconds: number;
  imagesPerSecond: number;
}

/** Runs `base` over `limit` images (all by default) of the iterator, one pass. */
export async function extractFeatures(base: Container, it: DirectoryIterator, limit = it.samples,
  progress: (done: number, total: number) => void = () => {}): Promise<Features> {
  const total = Math.min(limit, it.samples);
  const out = base.outputShape!.slice(1) as number[];
  const per = sizeOf(out);
  const features = new Float32Array(total * per);
  const labels = new Float32Array(total);
  const files: string[] = [];
  const t0 = performance.now();
  let done = 0;
  while (done < total) {
    const b = it.nextHost();
    const n = Math.min(b.y.length, total - done);
    const [h, w] = it.targetSize;
    // In micro-batches when the batch is larger than the adapter can hold at once.
    const step = Math.min(n, microBatchLimit(base));
    for (let i = 0; i < n; i += step) {
      const m = Math.min(step, n - i);
      const x = Tensor.fromArray(b.x.subarray(i * h * w * 3, (i + m) * h * w * 3), [m, h, w, 3]);
      const y = noGrad(() => base.apply(x, { training: false }));
      features.set(await y.data(), (done + i) * per);
      x.dispose();
      y.dispose();
    }
    labels.set(b.y.subarray(0, n), done);
    files.push(...b.files.slice(0, n));
    done += n;
    progress(done, total);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { features, shape: [total, ...out], labels, files, classIndices: it.folder.classIndices, seconds, imagesPerSecond: total / seconds };
}

/** FILE.npy (features), FILE.labels.npy and FILE.json (file order, classes, timing). */
export function saveFeatures(path: string, f: Features, meta: Record<string, unknown>): string[] {
  const stem = path.replace(/\.npy$/, '');
  mkdirSync(dirname(stem), { recursive: true });
  writeNpy(`${stem}.npy`, f.features, f.shape);
  writeNpy(`${stem}.labels.npy`, f.labels, [f.labels.length]);
  const json = { ...meta, shape: f.shape, classIndices: f.classIndices, files: f.files, seconds: f.seconds, imagesPerSecond: f.imagesPerSecond };
  const tmp = `${stem}.json.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(json, null, 2));
  renameSync(tmp, `${stem}.json`);
  return [`${stem}.npy`, `${stem}.labels.npy`, `${stem}.json`];
}

export type { DirectoryIteratorOptions };
