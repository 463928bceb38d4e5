// `dawnflow summary vgg16|chapter-head|small-convnet|FILE.h5`: Keras 2.3's summary() text.
import { existsSync } from 'node:fs';
import { withEngine } from '../gpu/engine.js';
import type { DeviceOptions } from '../gpu/device.js';
import { vgg16Architecture } from '../apps/vgg16.js';
import { chapterModel, freezeBaseLogged, unfreezeLogged } from '../apps/chapter.js';
import { PRESETS } from '../apps/chapter_presets.js';
import { smallConvnet } from '../apps/small_convnet.js';
import type { Container } from '../nn/container.js';
import { readKerasH5Shared } from '../io/h5_read.js';
import { modelFromFile } from '../io/keras_weights.js';
import { fmt } from '../tensor/shape.js';
import { UsageError, type FlagSpec } from './args.js';
import { DEVICE_FLAGS } from './common_flags.js';
import { setting } from '../util/settings.js';

const VARIANTS = ['all', 'unfrozen', 'frozen', 'fine-tune'];
/** The built-in models `summary` names. */
export const SUMMARY_MODELS = ['vgg16', 'chapter-head', 'small-convnet'];

export const SUMMARY_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  'include-top': {
    kind: 'boolean',
    help: "vgg16: with the classifier on top (then only at Keras's ImageNet input shape)",
  },
  'input-shape': {
    kind: 'string',
    value: 'H,W,C',
    help: 'the input shape of the built-in models',
    default: `each model's own (chapter-head: ${PRESETS.full.targetSize},${PRESETS.full.targetSize},3)`,
  },
  variant: {
    kind: 'string',
    value: VARIANTS.join('|'),
    help: 'chapter-head: which stage of the chapter (before freezing, frozen, ' + 'unfrozen from block5_conv1)',
    default: VARIANTS[0],
  },
};

export interface SummaryFlags {
  includeTop: boolean;
  inputShape: [number, number, number] | undefined;
  variant: string;
}

export function parseInputShape(v: unknown): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v)
    .split(',')
    .map((x) => Number(x.trim()));
  if (parts.length !== 3 || parts.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--input-shape must be H,W,C like 150,150,3; got '${String(v)}'`);
  }
  return parts as [number, number, number];
}

export function summaryFlags(f: Record<string, unknown>): SummaryFlags {
  return {
    includeTop: Boolean(f['include-top']),
    inputShape: parseInputShape(f['input-shape']),
    variant: String(f.variant ?? VARIANTS[0]),
  };
}

/** Prints a model's summary and frees its weights. */
function show(model: Container): void {
  model.summary();
  model.dispose();
}

function chapterHead(f: SummaryFlags): void {
  const size = PRESETS.full.targetSize;
  const base = vgg16Architecture({ inputShape: f.inputShape ?? [size, size, 3] });
  const model = chapterModel(base);
  const wanted = (v: string) => f.variant === 'all' || f.variant === v;
  const log = (line: string) => console.log(line);
  if (wanted('unfrozen')) model.summary();
  freezeBaseLogged(model, base, log);
  if (wanted('frozen')) model.summary();
  unfreezeLogged(model, base, log);
  if (wanted('fine-tune')) model.summary();
  model.dispose();
}

/** A file: its architecture when it has model_config, else its layers and weight shapes. */
function fileSummary(path: string): void {
  const file = readKerasH5Shared(path);
  if (file.modelConfig) {
    show(modelFromFile(file));
    return;
  }
  console.log(
    `${path}: weights only (no model_config), ${file.kerasVersion ? `Keras ${file.kerasVersion}` : 'Keras 1 legacy'} layout`,
  );
  let total = 0;
  for (const l of file.layers) {
    const shapes = l.weights.map((w) => `${w.name} ${fmt(w.shape)}`);
    total += l.weights.reduce((n, w) => n + w.data.length, 0);
    console.log(`  ${l.name.padEnd(20)} ${shapes.join('  ') || '(no weights)'}`);
  }
  console.log(`Total params: ${total.toLocaleString('en-US')}`);
}

/**
 * A summary needs the layers' shapes, not their values, but building a layer creates its
 * weights as GPU tensors. They go to Dawn's null backend, which keeps nothing and runs nothing:
 * no GPU (nor lavapipe) is started, and a machine without any adapter prints summaries too.
 * An --adapter or --backend asked for (flag or environment) is used as given.
 */
function summaryDevice(dev: DeviceOptions): DeviceOptions {
  const chosen = dev.adapter ?? dev.backend ?? setting('DAWNFLOW_ADAPTER') ?? setting('DAWNFLOW_BACKEND');
  return chosen ? dev : { ...dev, backend: 'null' };
}

export async function summary(what: string | undefined, f: SummaryFlags, dev: DeviceOptions): Promise<number> {
  if (!what) throw new UsageError(`summary needs a model: vgg16, chapter-head, small-convnet or a .h5 file`);
  if (!VARIANTS.includes(f.variant)) throw new UsageError(`--variant must be one of ${VARIANTS.join(', ')}`);
  if (what.endsWith('.h5') && !existsSync(what)) throw new UsageError(`${what} not found`);
  return withEngine(summaryDevice(dev), async () => {
    if (what === 'vgg16') show(vgg16Architecture({ includeTop: f.includeTop, inputShape: f.inputShape }));
    else if (what === 'chapter-head') chapterHead(f);
    else if (what === 'small-convnet') show(smallConvnet(f.inputShape));
    else if (what.endsWith('.h5')) fileSummary(what);
    else throw new UsageError(`unknown model '${what}': use vgg16, chapter-head, small-convnet or a .h5 file`);
    return 0;
  });
}
