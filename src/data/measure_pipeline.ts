// The input pipeline's own speed, no GPU: one pass that decodes every image (cold: workers
// start, files are read, decoded and resized) and one pass served from the cache (batching and
// copies only). Compare with the model's images/s to see whether decoding can keep up.
import { DirectoryIterator, type DirectoryIteratorOptions } from './directory_iterator.js';

export interface PipelineMeasurement {
  coldImagesPerSec: number;
  cachedImagesPerSec: number;
  /** Images in one pass (readable ones). */
  images: number;
  threads: number;
  coldSeconds: number;
  cachedSeconds: number;
}

export async function measurePipeline(dir: string, o: DirectoryIteratorOptions = {}): Promise<PipelineMeasurement> {
  const it = new DirectoryIterator(dir, { verbose: false, ...o });
  try {
    const cold = await onePass(it);
    const cached = await onePass(it);
    return {
      coldImagesPerSec: cold.images / cold.seconds,
      cachedImagesPerSec: cached.images / cached.seconds,
      images: cold.images,
      threads: it.threads,
      coldSeconds: cold.seconds,
      cachedSeconds: cached.seconds,
    };
  } finally {
    await it.close();
  }
}

async function onePass(it: DirectoryIterator): Promise<{ images: number; seconds: number }> {
  const t0 = performance.now();
  const pass = it.stats.passes;
  let images = 0;
  while (it.stats.passes === pass) images += (await it.nextPixels()).n;
  return { images, seconds: (performance.now() - t0) / 1000 };
}
