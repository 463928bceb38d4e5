// The input pipeline's images/s on a folder: decode cold and from the cache (CPU only), then
// full batches with the chapter's augmentation warped on the GPU (from the cache).
import { dispatcher } from '../src/gpu/engine.js';
import { measurePipeline } from '../src/data/measure_pipeline.js';
import { DirectoryIterator } from '../src/data/directory_iterator.js';
import { CHAPTER_AUGMENTATION } from '../src/data/augment.js';

export async function runPipelineBench(dir: string, size: number, batch: number): Promise<Record<string, number>> {
  const m = await measurePipeline(dir, { targetSize: [size, size], batchSize: batch });
  const it = new DirectoryIterator(dir, {
    targetSize: [size, size],
    batchSize: batch,
    augment: CHAPTER_AUGMENTATION,
    rescale: 1 / 255,
    verbose: false,
  });
  try {
    for (let pass = it.stats.passes; it.stats.passes === pass; ) await it.nextPixels();
    const t0 = performance.now();
    let images = 0;
    for (let b = 0; b < it.batchesPerPass; b++) {
      const x = await it.next();
      images += x.size;
      x.x.dispose();
      x.y.dispose();
    }
    await dispatcher().sync();
    const seconds = (performance.now() - t0) / 1000;
    return {
      images: m.images,
      threads: m.threads,
      coldImagesPerSec: m.coldImagesPerSec,
      cachedImagesPerSec: m.cachedImagesPerSec,
      augmentedGpuImagesPerSec: images / seconds,
    };
  } finally {
    await it.close();
  }
}
