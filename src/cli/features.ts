// `dawnflow features --weights W.h5 --data DIR --out FILE.npy`: approach 1's conv-base features.
import { existsSync } from 'node:fs';
import { withEngine } from '../gpu/engine.js';
import type { DeviceOptions } from '../gpu/device.js';
import { vgg16 } from '../apps/vgg16.js';
import { extractFeatures, saveFeatures } from '../apps/features.js';
import { phaseBar } from '../apps/phase_bar.js';
import { EXTRACTION_BATCH, PRESETS } from '../apps/chapter_presets.js';
import { DirectoryIterator } from '../data/directory_iterator.js';
import { UsageError, type FlagSpec } from './args.js';
import { DEVICE_FLAGS } from './common_flags.js';
import { requireFolder, requireImages, requireWritableFile } from './paths.js';
import { IMAGENET, imagenetWeights, WEIGHTS_FIX } from './weights_flag.js';

/** The seed when --seed is not given. */
const SEED = 0;

export const FEATURES_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  weights: {
    kind: 'string',
    value: `W.h5|${IMAGENET}|random`,
    help: `VGG16's conv-base weights (required): a file, ${IMAGENET} (found or downloaded), or random`,
  },
  data: { kind: 'string', value: 'DIR', help: 'a folder of class sub-folders (required)' },
  out: { kind: 'string', value: 'FILE.npy', help: 'where the features go, with FILE.json beside it (required)' },
  'target-size': { kind: 'size', help: 'image side in pixels', default: PRESETS.full.targetSize },
  'batch-size': { kind: 'count', help: 'images per conv-base batch', default: EXTRACTION_BATCH },
  'no-shuffle': { kind: 'boolean', help: 'take the images in file order' },
  seed: { kind: 'index', help: 'seed of the shuffle', default: SEED },
  limit: { kind: 'count', help: 'only the first N images', default: 'all' },
  strict: { kind: 'boolean', help: 'stop on an unreadable image (by default it is skipped with a warning)' },
};

export interface FeatureFlags {
  weights?: string;
  data?: string;
  out?: string;
  targetSize: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  limit?: number;
  strict?: boolean;
}

/**
 * `--weights imagenet` finds or downloads Keras's file; `--weights random` is allowed, loudly:
 * the features are then not transfer learning.
 */
export async function resolveWeights(w: string | undefined): Promise<string | null> {
  if (!w)
    throw new UsageError(
      '--weights FILE.h5 is required, or --weights imagenet (found or downloaded), or --weights random (see weights/README.md)',
    );
  if (w === 'random') {
    console.error('dawnflow: WARNING: random VGG16 weights (--weights random): this is not transfer learning');
    return null;
  }
  if (w === IMAGENET) return imagenetWeights();
  if (!existsSync(w))
    throw new UsageError(`${w} not found; see weights/README.md for where to get the VGG16 weights, or ${WEIGHTS_FIX}`);
  return w;
}

/** The command's flags, with the chapter's image size and extraction batch as defaults. */
export function featureFlags(g: Record<string, unknown>): FeatureFlags {
  return {
    weights: g.weights as string | undefined,
    data: g.data as string | undefined,
    out: g.out as string | undefined,
    targetSize: (g['target-size'] as number | undefined) ?? PRESETS.full.targetSize,
    batchSize: (g['batch-size'] as number | undefined) ?? EXTRACTION_BATCH,
    shuffle: !g['no-shuffle'],
    seed: (g.seed as number | undefined) ?? SEED,
    limit: g.limit as number | undefined,
    strict: Boolean(g.strict),
  };
}

function positiveInt(v: number | undefined, flag: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1))
    throw new UsageError(`${flag} must be a positive integer, got ${v}`);
}

export async function features(f: FeatureFlags, dev: DeviceOptions): Promise<number> {
  if (!f.data) throw new UsageError('--data DIR is required (a folder of class sub-folders)');
  if (!f.out) throw new UsageError('--out FILE.npy is required');
  requireFolder(f.data, '--data', 'give a folder with one sub-folder per class, e.g. cats_and_dogs_small/train');
  requireImages(f.data, '--data');
  requireWritableFile(f.out, '--out');
  positiveInt(f.targetSize, '--target-size');
  positiveInt(f.batchSize, '--batch-size');
  positiveInt(f.limit, '--limit');
  const weights = await resolveWeights(f.weights);
  return withEngine(dev, async (gpu) => {
    const it = new DirectoryIterator(f.data!, {
      targetSize: [f.targetSize, f.targetSize],
      batchSize: f.batchSize,
      shuffle: f.shuffle,
      seed: f.seed,
      rescale: 1 / 255,
      strict: f.strict,
    });
    const base = vgg16({ inputShape: [f.targetSize, f.targetSize, 3], weights });
    const bar = phaseBar(Math.min(f.limit ?? it.samples, it.samples));
    const r = await extractFeatures(base, it, f.limit, (done) => bar.update(done));
    bar.end(r.shape[0]);
    const files = saveFeatures(f.out!, r, {
      weights: weights ?? 'random',
      data: f.data,
      targetSize: f.targetSize,
      batchSize: f.batchSize,
      shuffle: f.shuffle,
      seed: f.seed,
      adapter: gpu.info,
    });
    console.log(
      `${r.shape[0]} images -> ${r.shape.join('x')} features in ${r.seconds.toFixed(1)} s ` +
        `(${r.imagesPerSecond.toFixed(2)} images/s on ${gpu.info.description || gpu.info.device})`,
    );
    console.log(`wrote ${files.join(', ')}`);
    base.dispose();
    return 0;
  });
}
