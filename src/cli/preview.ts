// `dawnflow augment-preview --data DIR --out grid.png`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceOptions } from '../gpu/device.js';
import { withEngine } from '../gpu/engine.js';
import { augmentPreview } from '../apps/augment_preview.js';
import { PRESETS } from '../apps/chapter_presets.js';
import { UsageError, type FlagSpec } from './args.js';
import { DEVICE_FLAGS } from './common_flags.js';
import { requireFolder, requireWritableFile } from './paths.js';

/** The grid's numbers when no flag gives them. */
const DEFAULTS = { n: 16, perImage: 4, seed: 1 };

export const PREVIEW_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  data: { kind: 'string', value: 'DIR', help: 'a folder of class sub-folders, or one holding train/ (required)' },
  n: { kind: 'count', help: 'images in the grid (one row each)', default: DEFAULTS.n },
  'per-image': { kind: 'count', help: 'augmented draws beside each original', default: DEFAULTS.perImage },
  seed: { kind: 'index', help: 'seed of the image choice and the augmentation', default: DEFAULTS.seed },
  size: { kind: 'size', help: 'image side in pixels', default: PRESETS.full.targetSize },
  out: { kind: 'string', value: 'FILE.png', help: 'the grid (required)' },
};

export async function augmentPreviewCommand(f: Record<string, unknown>, dev: DeviceOptions): Promise<number> {
  const data = f.data as string | undefined;
  const out = f.out as string | undefined;
  if (!data) throw new UsageError('--data DIR is required (a folder with class sub-folders, or one holding train/)');
  if (!out) throw new UsageError('--out FILE.png is required');
  requireFolder(data, '--data', 'give a folder with class sub-folders, or one holding train/');
  requireWritableFile(out, '--out');
  const n = (f.n as number | undefined) ?? DEFAULTS.n;
  const perImage = (f['per-image'] as number | undefined) ?? DEFAULTS.perImage;
  const size = (f.size as number | undefined) ?? PRESETS.full.targetSize;
  for (const [k, v] of [
    ['--n', n],
    ['--per-image', perImage],
    ['--size', size],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`${k} must be a positive integer, got ${v}`);
  }
  // Accept the data root as well as its train/ folder.
  const folder = existsSync(join(data, 'train')) ? join(data, 'train') : data;
  return withEngine(dev, async () => {
    const seed = (f.seed as number | undefined) ?? DEFAULTS.seed;
    const r = await augmentPreview({ data: folder, images: n, perImage, seed, size, out });
    console.log(
      `wrote ${out} (${r.width}x${r.height}): ${r.files.length} images, original then ${perImage} augmented draws each`,
    );
    return 0;
  });
}
