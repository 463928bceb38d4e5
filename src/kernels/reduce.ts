// The reduction kernel, shaders/reduce_sum.wgsl, and its raw launchers (no gradient recorded):
// it reduces the middle axis of an [outer, R, inner] view; runs of adjacent reduced axes are
// merged into one R, and long R is reduced in chunked passes. sumTo is the gradient of
// broadcasting; sum and mean with their gradients are in src/ops/reduce.ts.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec } from '../gpu/program.js';
import { reshapeOwned, Tensor } from '../tensor/tensor.js';
import { fmt, sizeOf, type Shape } from '../tensor/shape.js';

const WG = 256;
/** Rows one invocation sums per pass: bounds the f32 rounding of a single serial sum. */
const CHUNK = 256;

interface ReduceParams {
  outer: number;
  R: number;
  inner: number;
  chunk: number;
  S: number;
  scale: number;
}

export const reduceKernel: KernelSpec<ReduceParams> = {
  name: 'reduce_sum',
  shader: 'reduce_sum',
  bindings: ['read', 'read_write'],
  uniforms: [
    ['outer', 'u32'],
    ['R', 'u32'],
    ['inner', 'u32'],
    ['chunk', 'u32'],
    ['S', 'u32'],
    ['n', 'u32'],
    ['scale', 'f32'],
  ],
  workgroup: [WG, 1, 1],
  values: (p) => ({ ...p, n: p.outer * p.S * p.inner }),
  dispatch: (p) => grid1d(p.outer * p.S * p.inner, WG),
  flops: (p) => p.outer * p.R * p.inner,
};

/** Sums the middle axis of x viewed as [outer, R, inner]; returns a new [outer, inner] tensor. */
export function reduceMiddle(x: Tensor, outer: number, R: number, inner: number, scale = 1): Tensor {
  let cur = x;
  let rows = R;
  for (;;) {
    const S = rows > CHUNK ? Math.ceil(rows / CHUNK) : 1;
    const chunk = S === 1 ? Math.max(rows, 1) : CHUNK;
    const out = Tensor.empty([outer, S, inner], 'float32', 'reduce');
    const p = { outer, R: rows, inner, chunk, S, scale: S === 1 ? scale : 1 };
    dispatcher().launch(reduceKernel, p, [cur.buffer, out.buffer]);
    if (cur !== x) cur.dispose();
    if (S === 1) {
      const flat = out.view([outer, inner]);
      out.dispose();
      return flat;
    }
    cur = out;
    rows = S;
  }
}

/** Sum over `axes` (all by default) without recording a gradient; result keeps dims as 1. */
export function sumKeep(x: Tensor, axes: number[], scale: number): Tensor {
  let cur = x;
  const shape = [...x.shape];
  // Reduce runs of adjacent axes from the last run to the first, each as one middle axis.
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else runs.push([a, a + 1]);
  }
  runs.reverse().forEach(([from, to], k) => {
    const outer = sizeOf(shape.slice(0, from));
    const R = sizeOf(shape.slice(from, to));
    const inner = sizeOf(shape.slice(to));
    const next = reduceMiddle(cur, outer, R, inner, k === runs.length - 1 ? scale : 1);
    if (cur !== x) cur.dispose();
    for (let i = from; i < to; i++) shape[i] = 1;
    cur = next;
  });
  // No axis to reduce: still a copy; reshapeOwned frees the intermediate handle.
  if (cur === x) return reshapeOwned(reduceMiddle(x, 1, 1, x.size, scale), shape);
  const out = cur.view(shape);
  cur.dispose();
  return out;
}

/** Sums g (of a broadcast shape) down to `shape`; no gradient recorded (used in backward). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`dawnflow: cannot sum ${fmt(g.shape)} to ${fmt(shape)}`);
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const kept = sumKeep(g, axes, 1);
  const out = kept.view(shape);
  kept.dispose();
  return out;
}
