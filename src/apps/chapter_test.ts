// The chapter's last step: the final model on the test folder in inference mode. One pass reads
// the probabilities back, so the loss and accuracy (Keras's clipped BCE, round-half-even
// accuracy) and the misclassified files come from the same numbers.
import { tidy } from '../tensor/scope.js';
import { join } from 'node:path';
import { noGrad } from '../autograd/tape.js';
import { DirectoryIterator } from '../data/directory_iterator.js';
import type { DecodePool } from '../data/decode_pool.js';
import type { ImageCache } from '../data/image_cache.js';
import type { Container } from '../nn/container.js';
import { augmentBatch, uploadPixels } from '../kernels/augment.js';
import { phaseBar } from './phase_bar.js';

export interface TestResult {
  acc: number;
  loss: number;
  images: number;
  seconds: number;
  misclassified: { file: string; rel: string; label: number; p: number }[];
}

const EPS = 1e-7;

/** The seed of the chapter's shuffled test generator (and of evaluate --steps). */
export const TEST_SEED = 7;

function bce(y: number, p: number): number {
  const q = Math.min(Math.max(p, EPS), 1 - EPS);
  return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
}

export async function testModel(
  model: Container,
  data: string,
  size: number,
  batchSize: number,
  limit: number | undefined,
  shared: { pool: DecodePool; cache: ImageCache },
): Promise<TestResult> {
  const dir = join(data, 'test');
  // Shuffled (seeded) as the chapter's test generator is: with a limit, a prefix of the sorted
  // listing would hold one class only.
  const it = new DirectoryIterator(dir, {
    targetSize: [size, size],
    batchSize,
    shuffle: true,
    seed: TEST_SEED,
    rescale: 1 / 255,
    ...shared,
  });
  const total = Math.min(limit ?? it.samples, it.samples);
  const t0 = performance.now();
  const out: TestResult = { acc: 0, loss: 0, images: 0, seconds: 0, misclassified: [] };
  const bar = phaseBar(total);
  while (out.images < total) {
    const b = await it.nextPixels();
    // Unreadable files shorten the pass: the next batch would start over and count twice.
    if (b.pass > 0) break;
    const shape: [number, number, number, number] = [b.n, size, size, 3];
    const u8 = uploadPixels(b.pixels, shape);
    const x = augmentBatch(u8, shape, null, { fillMode: 'nearest', cval: 0, rescale: 1 / 255 });
    // tidy: under noGrad nothing frees the layers' intermediate outputs.
    const p = tidy(() => noGrad(() => model.apply(x, { training: false })));
    const probs = await p.data();
    for (const t of [p, x, u8]) t.dispose();
    for (let i = 0; i < b.n && out.images < total; i++, out.images++) {
      const y = b.labels[i];
      const hit = (probs[i] > 0.5 ? 1 : 0) === y;
      out.acc += hit ? 1 : 0;
      out.loss += bce(y, probs[i]);
      if (!hit)
        out.misclassified.push({ file: join(dir, b.files[i]), rel: join('test', b.files[i]), label: y, p: probs[i] });
    }
    bar.update(out.images);
  }
  bar.end(out.images);
  await it.close();
  out.misclassified.sort(byConfidence);
  out.seconds = (performance.now() - t0) / 1000;
  out.acc /= out.images;
  out.loss /= out.images;
  return out;
}

/** The most confident mistakes first: the report shows the first few. */
export function byConfidence(a: { p: number }, b: { p: number }): number {
  return Math.abs(b.p - 0.5) - Math.abs(a.p - 0.5);
}
