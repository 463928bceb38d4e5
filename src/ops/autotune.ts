// The autotuner: times every variant the kernel planner (src/kernels/plan.ts) could pick for each
// conv op of a workload's shapes, forcing each in turn, and saves the fastest per adapter under
// the planner's key for that request (tuning.ts), so the planner finds it. An RGB layer's forward
// and weight gradient also get their default route timed, the patch product (plan.ts
// patchColumns), saved beside: the planner runs a variant there only where it was faster. Timing
// waits for the GPU after each call (one warm-up call first, which also compiles the pipeline),
// median of `reps`.
import { dispatcher } from '../gpu/engine.js';
import { noGrad } from '../autograd/tape.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { ConvGeometry, ConvOp, ConvVariant } from '../kernels/conv_types.js';
import { tuningCandidates } from '../kernels/plan.js';
import { adapterFacts, convPatchColumnsUntuned, convPlan, setConvVariant } from '../kernels/plan_context.js';
import { patchesRaw } from '../kernels/conv_patches.js';
import { saveTuning, type TuningEntry } from '../kernels/tuning.js';
import { conv2dBackwardInput, conv2dBackwardWeight } from '../kernels/conv.js';
import { conv2d, conv2dGeometry } from './conv2d.js';
import { conv2dPatches, patchParamGrads } from './conv_patches.js';
import { vgg16Convs } from './vgg16_convs.js';

export interface ConvShape {
  name: string;
  batch: number;
  hw: number;
  ci: number;
  co: number;
}

/** VGG16's thirteen 3x3 'same' convolutions for a square input of `size` pixels. */
export function vgg16ConvShapes(size: number, batch: number): ConvShape[] {
  return vgg16Convs(size).map(({ name, hw, ci, co }) => ({ name, batch, hw, ci, co }));
}

function random(shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromArray(
    Float32Array.from({ length: n }, () => rng.next() - 0.5),
    shape,
  );
}

async function timeMs(fn: () => Tensor, reps: number): Promise<number> {
  fn().dispose();
  await dispatcher().sync();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn().dispose();
    await dispatcher().sync();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

export interface TuneRow {
  layer: string;
  op: ConvOp;
  key: string;
  ms: Partial<Record<ConvVariant, number>>;
  choice: ConvVariant;
  /** An RGB layer's forward or weight gradient as its patch product, the default (TuningEntry.patches). */
  patches?: number;
}

/** Times each op of one conv shape on each legal variant. */
async function tuneShape(s: ConvShape, reps: number, ops: readonly ConvOp[]): Promise<TuneRow[]> {
  const rng = new Rng(7);
  const xs = [s.batch, s.hw, s.hw, s.ci];
  const ws = [3, 3, s.ci, s.co];
  const g: ConvGeometry = conv2dGeometry(xs, ws, { padding: 'same' });
  const x = random(xs, rng);
  const w = random(ws, rng);
  const dz = random([s.batch, g.OH, g.OW, s.co], rng);
  const run: Record<ConvOp, () => Tensor> = {
    forward: () => noGrad(() => conv2d(x, w, null, { padding: 'same' })),
    backward_input: () => conv2dBackwardInput(dz, w, g),
    backward_weight: () => conv2dBackwardWeight(x, dz, g),
  };
  // An RGB layer's default route, the patch product, for the ops it changes (plan.ts patchColumns).
  const PW = tuningPatchColumns(g);
  const patches = PW === null ? null : patchesRaw(x, g, PW);
  const patchRoute: Partial<Record<ConvOp, () => Tensor>> = patches
    ? {
        forward: () => noGrad(() => conv2dPatches(x, w, null, g, 'linear', PW!)),
        backward_weight: () => {
          const { dw, db } = patchParamGrads(patches, dz, g, PW!);
          db.dispose();
          return dw;
        },
      }
    : {};
  const rows: TuneRow[] = [];
  try {
    for (const op of ops) {
      // The planner's candidates (an RGB input's on its padded channels) and its key for them.
      const { key, variants } = tuningCandidates({ kind: 'conv', op, g }, adapterFacts());
      const ms: Partial<Record<ConvVariant, number>> = {};
      for (const v of variants) {
        setConvVariant(v);
        if (convPlan(op, g).variant !== v) throw new Error(`dawnflow: tune: the ${op} plan does not run ${v}`);
        ms[v] = await timeMs(run[op], reps);
      }
      setConvVariant(null);
      const choice = variants.reduce((a, b) => (ms[b]! < ms[a]! ? b : a));
      const route = patchRoute[op];
      rows.push({ layer: s.name, op, key, ms, choice, ...(route && { patches: await timeMs(route, reps) }) });
    }
  } finally {
    setConvVariant(null);
    for (const t of [x, w, dz, patches]) t?.dispose();
  }
  return rows;
}

/** The patch width an RGB layer runs on by default (no forced variant, no tuned entry), or null. */
function tuningPatchColumns(g: ConvGeometry): number | null {
  setConvVariant(null);
  return convPatchColumnsUntuned(g);
}

/** Tunes every shape, saves the winners for this adapter, returns the rows and the file. */
export async function tuneConvs(
  shapes: ConvShape[],
  reps: number,
  ops: readonly ConvOp[],
  onRow: (r: TuneRow) => void = () => {},
): Promise<{ rows: TuneRow[]; path: string }> {
  const rows: TuneRow[] = [];
  for (const s of shapes) {
    for (const r of await tuneShape(s, reps, ops)) {
      rows.push(r);
      onRow(r);
    }
  }
  const entries: Record<string, TuningEntry> = {};
  for (const r of rows)
    entries[r.key] = { choice: r.choice, ms: r.ms, ...(r.patches !== undefined && { patches: r.patches }) };
  return { rows, path: saveTuning(entries) };
}
