// Kernel cases at VGG16 shapes (150x150 input): conv2d forward / backward-input /
// backward-weight, max-pool and dense 8192 -> 256. Each validates against the float64 reference
// on a slice small enough to compute in JS (one image, or a sample of outputs).
import * as ref from '../../src/cpu/reference.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dGeometry } from '../../src/ops/conv2d.js';
import { maxPool2d } from '../../src/ops/maxpool2d.js';
import { gemmRaw } from '../../src/ops/matmul.js';
import { noGrad } from '../../src/autograd/engine.js';
import type { BenchCase } from '../harness.js';

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 4294967296) * 2 - 1) * scale;
  });
}

function compare(got: Float32Array, want: Float64Array, idx: (i: number) => number, count: number): string {
  let worst = 0;
  for (let i = 0; i < count; i++) {
    const w = want[i];
    const d = Math.abs(got[idx(i)] - w);
    if (d > 1e-3 + 1e-3 * Math.abs(w)) throw new Error(`validation failed at ${i}: got ${got[idx(i)]} want ${w}`);
    worst = Math.max(worst, d);
  }
  return `max |d| ${worst.toExponential(2)} over ${count} values`;
}

export function convForwardCase(batch: number, hw: number, ci: number, co: number): BenchCase {
  const xs = [batch, hw, hw, ci];
  const ws = [3, 3, ci, co];
  const xh = random(batch * hw * hw * ci, 1);
  const wh = random(9 * ci * co, 2, 0.1);
  const x = Tensor.fromArray(xh, xs);
  const w = Tensor.fromArray(wh, ws);
  const g = conv2dGeometry(xs, ws, { padding: 'same' });
  const per = hw * hw * co;
  return {
    name: 'conv2d_forward', shape: `${batch}x${hw}x${hw}x${ci} * 3x3x${ci}x${co} same`,
    flops: 2 * batch * g.OH * g.OW * co * 9 * ci,
    bytes: 4 * (x.size + w.size + batch * per),
    run: () => noGrad(() => conv2d(x, w, null, { padding: 'same' }).dispose()),
    validate: async () => {
      const y = noGrad(() => conv2d(x, w, null, { padding: 'same' }));
      const got = (await y.data()) as Float32Array;
      y.dispose();
      const one = ref.conv2dForward(Float64Array.from(xh.subarray(0, hw * hw * ci)), [1, hw, hw, ci],
        Float64Array.from(wh), ws, null, [1, 1], 'same', 'linear');
      return compare(got, one.y, (i) => i, per);
    },
    dispose: () => { x.dispose(); w.dispose(); },
  };
}

export function convBackwardCases(batch: number, hw: number, ci: number, co: number): BenchCase[] {
  const xs = [batch, hw, hw, ci];
  const ws = [3, 3, ci, co];
  const g = conv2dGeometry(xs, ws, { padding: 'same' });
  const xh = random(batch * hw * hw * ci, 3);
  const wh = random(9 * ci * co, 4, 0.1);
  const dyh = random(batch * hw * hw * co, 5);
  const x = Tensor.fromArray(xh, xs);
  const w = Tensor.fromArray(wh, ws);
  const dy = Tensor.fromArray(dyh, [batch, hw, hw, co]);
  const flops = 2 * batch * hw * hw * co * 9 * ci;
  const shape = `${batch}x${hw}x${hw}x${ci} * 3x3x${ci}x${co} same`;
  let refGrads: ReturnType<typeof ref.conv2dBackward> | null = null;
  const oneImage = () => refGrads ??= ref.conv2dBackward(Float64Array.from(xh.subarray(0, hw * hw * ci)),
    [1, hw, hw, ci], Float64Array.from(wh), ws, Float64Array.from(dyh.subarray(0, hw * hw * co)), [1, 1], 'same');
  const dispose = () => { x.dispose(); w.dispose(); dy.dispose(); };
  return [{
    name: 'conv2d_backward_input', shape, flops, bytes: 4 * (dy.size + w.size + x.size),
    run: () => conv2dBackwardInput(dy, w, g).dispose(),
    validate: async () => {
      const dx = conv2dBackwardInput(dy, w, g);
      const got = (await dx.data()) as Float32Array;
      dx.dispose();
      return compare(got, oneImage().dx, (i) => i, hw * hw * ci);
    },
    dispose: () => {},
  }, {
    name: 'conv2d_backward_weight', shape, flops, bytes: 4 * (dy.size + w.size + x.size),
    run: () => conv2dBackwardWeight(x, dy, g).dispose(),
    validate: async () => {
      // Validate on batch 1 (the reference for the whole batch would be slow in JS).
      const x1 = Tensor.fromArray(xh.subarray(0, hw * hw * ci), [1, hw, hw, ci]);
      const dy1 = Tensor.fromArray(dyh.subarray(0, hw * hw * co), [1, hw, hw, co]);
      const dw = conv2dBackwardWeight(x1, dy1, { ...g, batch: 1 });
      const got = (await dw.data()) as Float32Array;
      for (const t of [x1, dy1, dw]) t.dispose();
      return compare(got, oneImage().dw, (i) => i, w.size);
    },
    dispose,
  }];
}

export function maxPoolCase(batch: number, hw: number, c: number): BenchCase {
  const xs = [batch, hw, hw, c];
  const xh = random(batch * hw * hw * c, 6);
  const x = Tensor.fromArray(xh, xs);
  const out = batch * (hw >> 1) * (hw >> 1) * c;
  return {
    name: 'maxpool2d_forward', shape: `${batch}x${hw}x${hw}x${c} pool 2 stride 2`,
    flops: out * 4, bytes: 4 * (x.size + out) + 4 * out,
    run: () => noGrad(() => maxPool2d(x).dispose()),
    validate: async () => {
      const y = noGrad(() => maxPool2d(x));
      const got = (await y.data()) as Float32Array;
      y.dispose();
      const want = ref.maxPool2dForward(Float64Array.from(xh), xs, [2, 2], [2, 2], 'valid');
      return compare(got, want.y, (i) => i, out);
    },
    dispose: () => x.dispose(),
  };
}

export function denseCase(batch: number, k: number, n: number): BenchCase {
  const xh = random(batch * k, 7);
  const wh = random(k * n, 8, 0.05);
  const x = Tensor.fromArray(xh, [batch, k]);
  const w = Tensor.fromArray(wh, [k, n]);
  return {
    name: 'dense_forward', shape: `${batch}x${k} . ${k}x${n}`,
    flops: 2 * batch * k * n, bytes: 4 * (x.size + w.size + batch * n),
    run: () => gemmRaw(x, w).dispose(),
    validate: async () => {
      const y = gemmRaw(x, w);
      const got = (await y.data()) as Float32Array;
      y.dispose();
      const want = ref.matmul(Float64Array.from(xh), Float64Array.from(wh), batch, k, n);
      return compare(got, want, (i) => i, batch * n);
    },
    dispose: () => { x.dispose(); w.dispose(); },
  };
}
