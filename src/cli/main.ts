// The dawnflow command line. Each command parses its own flags; usage errors exit with 2 and a
// one-line message saying what to fix.
import { readFileSync } from 'node:fs';
import { parseArgs, UsageError, type FlagSpec } from './args.js';
import { info } from './info.js';
import { bench, BENCH_FLAGS, BENCH_HELP } from './bench.js';
import { parseInputShape, summary } from './summary.js';
import { weightsCommand } from './weights.js';
import { featureFlags, features } from './features.js';
import { augmentPreviewCommand } from './preview.js';
import { chapter, CHAPTER_FLAGS } from './chapter.js';
import { scratch, SCRATCH_FLAGS } from './scratch.js';
import { approachCommand, evaluateCommand, predictCommand } from './train.js';
import { TRAIN_FLAGS, trainSettings } from './train_flags.js';
import { PROFILE_FLAGS, profileCommand } from './profile.js';
import { TUNE_FLAGS, tuneCommand } from './tune.js';
import { FETCH_HELP, fetchCommand } from './fetch.js';
import { checkSettings, setting } from '../util/settings.js';

const DEVICE_FLAGS: FlagSpec = { adapter: 'string', backend: 'string' };

export const FEATURES_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS, weights: 'string', data: 'string', out: 'string', 'target-size': 'size',
  'batch-size': 'count', 'no-shuffle': 'boolean', seed: 'index', limit: 'count', strict: 'boolean',
};
export const EVALUATE_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS, model: 'string', data: 'string', 'batch-size': 'count', steps: 'count',
};
export const PREVIEW_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS, data: 'string', n: 'count', 'per-image': 'count', seed: 'index', size: 'size', out: 'string',
};

const HELP = `dawnflow — deep learning on WebGPU (Dawn) under Node.js

usage: dawnflow <command> [flags]

commands:
  chapter [--data DIR|cats-vs-dogs] [--weights W.h5|imagenet|random] [--out runs/NAME] [--quick|--full]
                                  the whole chapter: 3 approaches, test acc, report (resumable)
      per-approach flags: --fe-epochs --fe-batch-size --fe-lr --tr-epochs --tr-steps
      --tr-batch-size --tr-val-batch-size --tr-val-steps --tr-lr --ft-epochs --ft-steps
      --ft-batch-size --ft-val-steps --ft-lr --test-batch-size --target-size --seed --limit
      --base-init he_uniform|glorot_uniform (the random base's draw when there are no weights)
  scratch --data DIR [--out runs/NAME] [--quick|--full]
                                  the from-scratch small convnet baseline (DLwP 5.2), same report
  info   [--json]                 the WebGPU adapter, its features and limits
${BENCH_HELP}
  summary vgg16 [--include-top] [--input-shape 150,150,3]
  summary chapter-head [--variant all|unfrozen|frozen|fine-tune]
  summary small-convnet | FILE.h5  Keras 2.3's model.summary() text
  weights verify [FILE]           size, md5 and VGG16 layout of a weights file
${FETCH_HELP}
  features --weights W.h5|imagenet|random --data DIR --out FILE.npy [--target-size 150]
           [--batch-size 20] [--no-shuffle] [--seed N] [--limit N]
                                  VGG16 conv-base features of a folder (approach 1)
  feature-extraction --data DIR --weights W.h5   approach 1: head on conv-base features
      [--features DIR] keeps/reuses the features; [--limit N] first N images per split
  transfer --data DIR --weights W.h5             approach 2: frozen base + head on images
  fine-tune --from MODEL.h5 --data DIR           approach 3: unfreeze from block5_conv1
      shared: --epochs --steps-per-epoch --validation-steps --batch-size --lr --target-size
              --seed --no-augment --no-shuffle --save OUT.h5 --json RESULT.json --checkpoint P.h5
              --micro-batch N (default: split batches the adapter cannot hold at once)
              --strict (stop on an unreadable image; by default it is skipped with a warning)
  augment-preview --data DIR [--n 16] [--per-image 4] [--seed 1] [--size 150] --out grid.png
                                  a PNG grid of augmented samples with the chapter's settings
  evaluate --model MODEL.h5 --data DIR/test [--batch-size 20] [--steps N]
                                  one pass over the images that decode (at most N batches)
  profile transfer|fine-tune|features [--steps N] [--out DIR] [--batch N] [--size N]
          [--dump-wgsl DIR] [--weights W.h5] [--method auto|timestamp-query|replay]
                                  kernel timeline of the workload's steps: profile.json/.html
  tune [--size 150] [--batch N] [--reps 3] [--layers REGEX] [--ops forward,backward_input,...]
                                  time each conv kernel variant on VGG16's shapes; the fastest
                                  per shape is cached for this adapter (DAWNFLOW_TUNING=off ignores)
  predict --model MODEL.h5 IMAGE...
  help                            this text

--weights imagenet (any command taking --weights): the Keras file from $KERAS_HOME/models or
weights/, downloaded when in neither (see 'fetch weights').

device flags (any command): --adapter NAME (substring of the adapter name; env
DAWNFLOW_ADAPTER), --backend vulkan|metal|d3d12|opengl|null (env DAWNFLOW_BACKEND)

every DAWNFLOW_* environment setting: docs/settings.md`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  return pkg.version as string;
}

export async function run(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const settings = checkSettings();
  for (const line of [...settings.errors, ...settings.unknown]) console.error(line);
  if (settings.errors.length) return 2;
  try {
    switch (command) {
      case 'info': {
        const a = parseArgs(rest, { ...DEVICE_FLAGS, json: 'boolean' }, 'info', 0);
        return await info(deviceOpts(a.flags), Boolean(a.flags.json));
      }
      case 'bench': {
        const a = parseArgs(rest, { ...DEVICE_FLAGS, ...BENCH_FLAGS }, 'bench');
        return await bench(deviceOpts(a.flags), a.flags);
      }
      case 'summary': {
        const a = parseArgs(rest, { ...DEVICE_FLAGS, 'include-top': 'boolean', 'input-shape': 'string', variant: 'string' }, 'summary', 1);
        const flags = {
          includeTop: Boolean(a.flags['include-top']), inputShape: parseInputShape(a.flags['input-shape']),
          variant: String(a.flags.variant ?? 'all'),
        };
        return await summary(a.positional[0], flags, deviceOpts(a.flags));
      }
      case 'features': {
        const a = parseArgs(rest, FEATURES_FLAGS, 'features', 0);
        return await features(featureFlags(a.flags), deviceOpts(a.flags));
      }
      case 'feature-extraction': case 'transfer': case 'fine-tune': {
        const a = parseArgs(rest, TRAIN_FLAGS, command, 0);
        return await approachCommand(command, trainSettings(command, a.flags), deviceOpts(a.flags));
      }
      case 'evaluate': {
        const a = parseArgs(rest, EVALUATE_FLAGS, 'evaluate', 0);
        return await evaluateCommand(a.flags.model as string, a.flags.data as string,
          (a.flags['batch-size'] as number) ?? 20, a.flags.steps as number | undefined, deviceOpts(a.flags));
      }
      case 'predict': {
        const a = parseArgs(rest, { ...DEVICE_FLAGS, model: 'string' }, 'predict');
        return await predictCommand(a.flags.model as string, a.positional, deviceOpts(a.flags));
      }
      case 'chapter': {
        const a = parseArgs(rest, CHAPTER_FLAGS, 'chapter', 0);
        return await chapter(a.flags, deviceOpts(a.flags));
      }
      case 'tune': {
        const a = parseArgs(rest, TUNE_FLAGS, 'tune');
        return await tuneCommand(a.flags, deviceOpts(a.flags));
      }
      case 'scratch': {
        const a = parseArgs(rest, SCRATCH_FLAGS, 'scratch', 0);
        return await scratch(a.flags, deviceOpts(a.flags));
      }
      case 'augment-preview': {
        const a = parseArgs(rest, PREVIEW_FLAGS, 'augment-preview', 0);
        return await augmentPreviewCommand(a.flags, deviceOpts(a.flags));
      }
      case 'profile': {
        const a = parseArgs(rest, PROFILE_FLAGS, 'profile');
        if (a.positional.length > 1) throw new UsageError(`profile takes one workload, got ${a.positional.join(' ')}`);
        return await profileCommand(a.positional[0], a.flags, deviceOpts(a.flags));
      }
      case 'weights': {
        const a = parseArgs(rest, {}, 'weights', 2);
        return await weightsCommand(a.positional);
      }
      case 'fetch':
        return await fetchCommand(rest);
      case 'help': case '--help': case '-h':
        console.log(HELP);
        return 0;
      case 'version': case '--version':
        console.log(version());
        return 0;
      default:
        throw new UsageError(`unknown command '${command}'; run 'dawnflow help' for the list`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`dawnflow: ${e.message}`);
      return 2;
    }
    const msg = (e as Error).message ?? String(e);
    console.error(msg.startsWith('dawnflow:') ? msg : `dawnflow: ${msg}`);
    if (setting('DAWNFLOW_DEBUG')) console.error(debugText(e));
    return 1;
  }
}

/** DAWNFLOW_DEBUG=1: the stack and the chain of causes (loaders keep the original error there). */
function debugText(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e; c !== undefined && parts.length < 8; c = (c as { cause?: unknown }).cause) {
    parts.push(c instanceof Error ? (c.stack ?? c.message) : String(c));
  }
  return parts.join('\ncaused by: ');
}

function deviceOpts(flags: Record<string, unknown>): { adapter?: string; backend?: string } {
  return { adapter: flags.adapter as string | undefined, backend: flags.backend as string | undefined };
}
