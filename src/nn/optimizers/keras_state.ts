// Optimizer state in Keras 2.3's `optimizer_weights` layout, out and back in. Keras saves
// `optimizer.weights` in order: `iterations` (an int64 scalar made in the optimizer's own name
// scope, 'Adam/iterations:0'), then each slot kind for every trained variable in compile order
// ('training/Adam/m_0_1:0' ... then v, then Adam's vhat: one-element zeros per variable when
// amsgrad is off). It loads them back by position. Names vary with the backend (TF1 adds `_1`
// to slot names, TF2 does not) and the version (Keras 2.2 slots are 'Variable_N', its RMSprop
// saves no iterations; older dawnflow files have 'training/Adam/iterations:0' as float32 and no
// vhat), so reading goes by Keras's names when they are all there and by position otherwise.
import { fmt, sameShape } from '../../tensor/shape.js';

/** One optimizer weight as Keras saves it under optimizer_weights (an H5Weight, structurally). */
export interface SlotWeight {
  name: string;
  shape: number[];
  data: Float32Array;
  /** 'int64' for iterations; float32 when absent. */
  dtype?: string;
  /** Exact integer values (iterations past 2^24 do not fit a float32). */
  integers?: Float64Array;
}

/** How one optimizer class lays out its state. */
export interface StateLayout {
  className: string;
  /** Slot kinds the update uses, in Keras's order: ['m', 'v'], ['accumulator']. */
  slots: string[];
  /** Kinds Keras saves but the update never reads: Adam's vhat (1 element) without amsgrad. */
  placeholders: string[];
  /** Appended to slot names: '_1' as TF1 uniquifies Adam's (see the reference layout dump). */
  suffix: string;
}

/** The state read back: the step count and each slot kind's values per variable. */
export interface RestoredState {
  iterations: number;
  slots: Float32Array[][];
}

/** Keras's optimizer_weights for `iterations` and slot values [kind][variable]. */
export function kerasState(
  l: StateLayout,
  iterations: number,
  values: Float32Array[][],
  shapes: number[][],
): SlotWeight[] {
  const out: SlotWeight[] = [
    {
      name: `${l.className}/iterations:0`,
      shape: [],
      dtype: 'int64',
      data: Float32Array.of(iterations),
      integers: Float64Array.of(iterations),
    },
  ];
  const name = (kind: string, i: number) => `training/${l.className}/${kind}_${i}${l.suffix}:0`;
  l.slots.forEach((kind, k) =>
    shapes.forEach((shape, i) => {
      out.push({ name: name(kind, i), shape: [...shape], data: values[k][i] });
    }),
  );
  for (const kind of l.placeholders) {
    shapes.forEach((_, i) => out.push({ name: name(kind, i), shape: [1], data: new Float32Array(1) }));
  }
  return out;
}

/** The state in `weights` for variables of `shapes`; throws `dawnflow: <source>: ...` when it does not fit. */
export function restoreState(l: StateLayout, weights: SlotWeight[], shapes: number[][], source: string): RestoredState {
  const fail = (what: string): never => {
    throw new Error(`dawnflow: ${source}: ${what}`);
  };
  const parts = byNames(l, weights, shapes.length, fail) ?? byPosition(l, weights, shapes.length, fail);
  parts.slots.forEach((kind) =>
    kind.forEach((w, i) => {
      if (!sameShape(w.shape, shapes[i])) {
        fail(`optimizer weight ${w.name} is ${fmt(w.shape)}, variable ${i} is ${fmt(shapes[i])}`);
      }
    }),
  );
  return { iterations: stepCount(parts.iterations, fail), slots: parts.slots.map((k) => k.map((w) => w.data)) };
}

interface Parts {
  iterations: SlotWeight | null;
  /** [kind][variable], placeholders left out. */
  slots: SlotWeight[][];
}

type Fail = (what: string) => never;

// [training/]Class/iterations[_k]:0 or [training/]Class/kind_i[_k]:0
const KERAS_NAME = /^(?:training\/)?([A-Za-z]\w*)\/(?:(iterations)|([a-z]+)_(\d+))(?:_\d+)?:\d+$/;

/** Keras 2.3's (and dawnflow's) names, each slot at its variable index; null when any name differs. */
function byNames(l: StateLayout, weights: SlotWeight[], n: number, fail: Fail): Parts | null {
  const parsed = weights.map((w) => KERAS_NAME.exec(w.name));
  if (parsed.some((m) => m === null)) return null;
  const kinds = new Map<string, (SlotWeight | undefined)[]>();
  let iterations: SlotWeight | null = null;
  for (const [j, m] of (parsed as RegExpExecArray[]).entries()) {
    const w = weights[j];
    if (m[1] !== l.className) fail(`optimizer weight ${w.name} is ${m[1]} state, the optimizer is ${l.className}`);
    if (m[2]) {
      if (iterations) fail(`optimizer_weights holds iterations twice (${iterations.name}, ${w.name})`);
      iterations = w;
      continue;
    }
    if (!l.slots.includes(m[3]) && !l.placeholders.includes(m[3])) {
      fail(`optimizer weight ${w.name} is not a ${l.className} slot (${[...l.slots, ...l.placeholders].join(', ')})`);
    }
    const list = kinds.get(m[3]) ?? [];
    kinds.set(m[3], list);
    const i = Number(m[4]);
    if (i >= n || list[i]) fail(`optimizer weight ${w.name} does not fit ${n} trained variables`);
    list[i] = w;
  }
  // Every layout that names its weights this way (Keras 2.3, dawnflow) saves iterations first.
  if (!iterations) fail(`optimizer_weights has no ${l.className}/iterations:0`);
  const slots = l.slots.map((kind) => complete(kinds.get(kind) ?? [], kind, n, fail));
  for (const kind of l.placeholders) if (kinds.has(kind)) complete(kinds.get(kind)!, kind, n, fail);
  return { iterations, slots };
}

function complete(list: (SlotWeight | undefined)[], kind: string, n: number, fail: Fail): SlotWeight[] {
  const have = list.filter((w) => w).length;
  if (have !== n) fail(`optimizer_weights holds ${kind} for ${have} variables, the model trains ${n}`);
  return list as SlotWeight[];
}

/**
 * By position, the layouts Keras's own set_weights accepts: iterations then every kind Keras
 * saves (Keras 2.3), iterations then the used slots only (dawnflow's older files), or the slots
 * without iterations (Keras 2.2's RMSprop, which Keras 2.3 restores with iterations 0).
 */
function byPosition(l: StateLayout, weights: SlotWeight[], n: number, fail: Fail): Parts {
  const used = l.slots.length * n;
  const all = (l.slots.length + l.placeholders.length) * n;
  const counts = [...new Set([1 + all, 1 + used, used])];
  if (!counts.includes(weights.length)) {
    fail(
      `${weights.length} optimizer weights, ${l.className} over ${n} variables needs ` +
        `${counts.slice(0, -1).join(', ')} or ${counts[counts.length - 1]}`,
    );
  }
  const first = weights.length === used ? 0 : 1;
  const slots = l.slots.map((_, k) => weights.slice(first + k * n, first + (k + 1) * n));
  return { iterations: first ? weights[0] : null, slots };
}

/** Keras's `iterations`: a whole number of steps, stored as int64 (Keras) or float32 (old dawnflow). */
function stepCount(w: SlotWeight | null, fail: Fail): number {
  if (!w) return 0;
  const v = w.integers?.[0] ?? w.data[0];
  if (w.data.length !== 1 || !(Number.isSafeInteger(v) && v >= 0)) {
    fail(`optimizer weight ${w.name} should be one whole step count, holds ${w.data.length} values (${v})`);
  }
  return v;
}
