// `dawnflow tune`: the autotuner. Times each legal conv kernel variant on VGG16's layer shapes
// (forward, backward-input, backward-weight) at the chapter's input size and this adapter's
// batch, and caches the fastest per shape for this adapter (src/kernels/tuning.ts); later runs on
// the same adapter use it. --layers filters layers by a regular expression.
import { writeFileSync } from 'node:fs';
import type { DeviceOptions } from '../gpu/device.js';
import { currentGpu, withEngine } from '../gpu/engine.js';
import { tuneConvs, vgg16ConvShapes, type TuneRow } from '../ops/autotune.js';
import type { ConvOp } from '../kernels/conv_types.js';
import { variantRouteWins } from '../kernels/plan.js';
import { UsageError, type FlagSpec } from './args.js';
import { WORKLOAD_SIZE, workloadBatch } from '../apps/workload.js';
import { DEVICE_FLAGS } from './common_flags.js';

const OPS: readonly ConvOp[] = ['forward', 'backward_input', 'backward_weight'];
/** Timings per kernel variant and shape; the median counts. */
const REPS = 3;
/** --layers when not given: every layer. */
const ALL_LAYERS = '.';

export const TUNE_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  size: { kind: 'size', help: "square image side of VGG16's layer shapes (at least 32)", default: WORKLOAD_SIZE },
  batch: {
    kind: 'count',
    help: 'images per batch',
    default: `${workloadBatch(false)} (${workloadBatch(true)} on a software adapter)`,
  },
  reps: { kind: 'count', help: 'timings per variant and shape (the median counts)', default: REPS },
  layers: {
    kind: 'string',
    value: 'REGEX',
    help: 'only the VGG16 conv layers whose name matches',
    default: `${ALL_LAYERS} (every layer)`,
  },
  ops: { kind: 'string', value: OPS.join(','), help: 'which passes to tune (comma-separated)', default: OPS.join(',') },
  json: { kind: 'string', value: 'FILE', help: 'also write every timing and choice to FILE' },
};

function positiveInt(v: unknown, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  throw new UsageError(`${flag} must be a positive integer, got ${String(v)}`);
}

function parseOps(v: unknown): ConvOp[] {
  if (v === undefined) return [...OPS];
  const ops = String(v).split(',');
  const bad = ops.find((o) => !OPS.includes(o as ConvOp));
  if (bad) throw new UsageError(`--ops takes ${OPS.join(',')} (comma-separated), got '${bad}'`);
  return ops as ConvOp[];
}

function layerFilter(v: unknown): RegExp {
  try {
    return new RegExp(String(v ?? ALL_LAYERS));
  } catch {
    throw new UsageError(`--layers must be a regular expression, got '${String(v)}'`);
  }
}

function line(r: TuneRow): string {
  const times = Object.entries(r.ms).map(([v, t]) => `${v} ${t!.toFixed(1)} ms`);
  if (r.patches !== undefined) times.push(`patch product ${r.patches.toFixed(1)} ms`);
  return `  ${r.layer.padEnd(13)} ${r.op.padEnd(16)} ${r.choice.padEnd(5)} (${times.join(', ')})`;
}

/**
 * For each RGB layer whose patch product was timed: which route its training runs (plan.ts
 * variantRouteWins, on the forward and weight gradient) and what each took.
 */
function routeLines(rows: TuneRow[]): string[] {
  const lines: string[] = [];
  for (const layer of new Set(rows.filter((r) => r.patches !== undefined).map((r) => r.layer))) {
    const fwd = rows.find((r) => r.layer === layer && r.op === 'forward' && r.patches !== undefined);
    if (!fwd) continue;
    const bw = rows.find((r) => r.layer === layer && r.op === 'backward_weight' && r.patches !== undefined);
    const timed = bw ? [fwd, bw] : [fwd];
    const variant = timed.reduce((t, r) => t + r.ms[r.choice]!, 0);
    const patches = timed.reduce((t, r) => t + r.patches!, 0);
    const route = variantRouteWins(fwd, bw) ? 'the variants above' : 'its patch product';
    const what = bw ? 'forward + weight gradient' : 'forward';
    lines.push(
      `  ${layer}: trains on ${route} (${what}: patch product ${patches.toFixed(1)} ms, variants ${variant.toFixed(1)} ms)`,
    );
  }
  return lines;
}

export async function tuneCommand(flags: Record<string, unknown>, device: DeviceOptions): Promise<number> {
  const size = positiveInt(flags.size, '--size', WORKLOAD_SIZE);
  if (size < 32) throw new UsageError('--size must be at least 32 (VGG16 halves it five times)');
  const reps = positiveInt(flags.reps, '--reps', REPS);
  const ops = parseOps(flags.ops);
  const filter = layerFilter(flags.layers);
  return withEngine(device, async (gpu) => {
    const batch = positiveInt(flags.batch, '--batch', workloadBatch(gpu.info.software));
    const shapes = vgg16ConvShapes(size, batch).filter((s) => filter.test(s.name));
    if (!shapes.length)
      throw new UsageError(
        `--layers ${String(flags.layers)} matches no VGG16 conv layer (block1_conv1 .. block5_conv3)`,
      );
    console.log(
      `dawnflow tune: ${shapes.length} VGG16 conv layers at ${size}x${size}, batch ${batch}, ` +
        `median of ${reps} on ${currentGpu().info.description || currentGpu().info.device}`,
    );
    const { rows, path } = await tuneConvs(shapes, reps, ops, (r) => console.log(line(r)));
    for (const l of routeLines(rows)) console.log(l);
    console.log(`saved ${rows.length} choices to ${path}`);
    if (flags.json) writeFileSync(String(flags.json), `${JSON.stringify({ size, batch, reps, rows }, null, 2)}\n`);
    return 0;
  });
}
