// RMSprop and Adam steps on the GPU against the Keras 2.3 formulas evaluated in float64 on the
// same random values: one step, and five steps with fresh gradients (Adam's bias correction);
// the flags an update sets for a non-finite gradient.
import { describe, expect, test } from 'vitest';
import { Variable } from '../../src/nn/layer.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64 } from '../helpers/tensors.js';

useGpu();

// Both element types of the update kernels: floats (1037, not a multiple of 4) and vec4s (1036:
// 259 of them, so the last run of the kernel's invocations is partial).
const N = 1037;
const SIZES = [1037, 1036];

function setup(N: number): { v: Variable; p: Float64Array; seed: number } {
  const p = randomPair([N], -1, 1);
  return { v: new Variable('w/kernel:0', p.t), p: p.host, seed: p.seed };
}

function giveGrad(v: Variable): Float64Array {
  const g = randomPair([v.value.size], -0.1, 0.1);
  v.value.grad = g.t;
  return g.host;
}

describe('RMSprop (Keras 2.3: eps outside the sqrt, accumulators from zero)', () => {
  test.each(SIZES)('five steps match the float64 formula (%i weights)', async (N) => {
    const { v, p, seed } = setup(N);
    const [lr, rho, eps] = [2e-5, 0.9, 1e-7];
    const opt = new RMSprop({ lr });
    const a = new Float64Array(N);
    for (let step = 1; step <= 5; step++) {
      const g = giveGrad(v);
      opt.step([v]);
      for (let i = 0; i < N; i++) {
        a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
        p[i] -= (lr * g[i]) / (Math.sqrt(a[i]) + eps);
      }
      expectClose(await read64(v.value), p, { atol: 1e-7, rtol: 1e-6, label: `seed ${seed} step ${step}` });
    }
    expect(opt.iterations).toBe(5);
  });

  test('the first step moves each weight by about 3.16 * lr * sign(g)', async () => {
    const { v, p } = setup(N);
    const g = giveGrad(v);
    new RMSprop({ lr: 1e-3 }).step([v]);
    const after = await read64(v.value);
    // Exact ratio lr / (sqrt(0.1) + eps/|g|); with |g| >= 1e-2 eps shifts it < 1e-4 relative,
    // and the f32 weights (|p| <= 1, ulp 1.2e-7) bound the measured step to ~1e-4 as well.
    for (let i = 0; i < N; i++) {
      if (Math.abs(g[i]) < 1e-2) continue;
      const step = (p[i] - after[i]) / Math.sign(g[i]);
      expect(Math.abs(step / (1e-3 / Math.sqrt(0.1)) - 1)).toBeLessThan(2e-4);
    }
  });
});

describe('Adam (Keras 2.3: bias-corrected lr_t, eps-hat 1e-7)', () => {
  test.each(SIZES)('five steps match the float64 formula (%i weights)', async (N) => {
    const { v, p, seed } = setup(N);
    const [lr, b1, b2, eps] = [2e-4, 0.9, 0.999, 1e-7];
    const opt = new Adam({ lr });
    const m = new Float64Array(N);
    const s = new Float64Array(N);
    for (let t = 1; t <= 5; t++) {
      const g = giveGrad(v);
      opt.step([v]);
      const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < N; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (lrT * m[i]) / (Math.sqrt(s[i]) + eps);
      }
      expectClose(await read64(v.value), p, { atol: 1e-7, rtol: 1e-6, label: `seed ${seed} t=${t}` });
    }
  });

  test('slots survive getWeights / setWeights, and a missing gradient is an error', async () => {
    const { v } = setup(N);
    const opt = new Adam({ lr: 1e-3 });
    giveGrad(v);
    opt.step([v]);
    const saved = await opt.getWeights([v]);
    // Keras 2.3.1's names and order (keras231-model-save/chapter_model_adam_layout.txt).
    expect(saved.map((w) => w.name)).toEqual([
      'Adam/iterations:0',
      'training/Adam/m_0_1:0',
      'training/Adam/v_0_1:0',
      'training/Adam/vhat_0_1:0',
    ]);
    expect(saved.map((w) => [w.dtype ?? 'float32', w.shape])).toEqual([
      ['int64', []],
      ['float32', [N]],
      ['float32', [N]],
      ['float32', [1]],
    ]);
    const other = new Adam({ lr: 1e-3 });
    other.setWeights([v], saved, 'test');
    expect(other.iterations).toBe(1);
    expect(Array.from((await other.getWeights([v]))[2].data)).toEqual(Array.from(saved[2].data));
    v.value.grad = null;
    expect(() => opt.step([v])).toThrow(/w\/kernel:0 has no gradient/);
    expect(() => other.setWeights([v], saved.slice(1), 'file.h5')).toThrow(
      /file.h5: optimizer_weights has no Adam\/iterations:0/,
    );
    const unnamed = saved.map((w, i) => ({ ...w, name: `param_${i}` }));
    expect(() => other.setWeights([v], [...unnamed, unnamed[1]], 'file.h5')).toThrow(
      /file.h5: 5 optimizer weights, Adam over 1 variables needs 4, 3 or 2/,
    );
  });
});

test('learning rates must be positive; lr overrides learningRate as in Keras 2.3', () => {
  expect(() => new RMSprop({ lr: 0 })).toThrow(/must be > 0/);
  expect(new Adam({ lr: 1e-6, learningRate: 1 }).lr).toBe(1e-6);
  // Keras 2.3's get_config reads float32 backend variables back: the values carry f32 rounding.
  expect(new RMSprop().getConfig()).toEqual({
    learning_rate: Math.fround(0.001),
    rho: Math.fround(0.9),
    decay: 0,
    epsilon: 1e-7,
  });
  expect(new Adam({ lr: 1e-5 }).getConfig()).toEqual({
    learning_rate: 9.999999747378752e-6,
    beta_1: 0.8999999761581421,
    beta_2: 0.9990000128746033,
    decay: 0,
    epsilon: 1e-7,
    amsgrad: false,
  });
  Tensor.fromArray([1], [1]).dispose();
});

describe('the gradient flags: each update marks a variable whose gradient holds an Inf or a NaN', () => {
  // Sizes on both element types (vec4 where the size allows, else scalar); the bad value sits
  // at the start, in the middle of a vec4, and at the last element.
  const cases: [string, number, number | null][] = [
    ['a NaN mid-vec4', 64, 37],
    ['finite', 1037, null],
    ['an Inf at the end', 1037, 1036],
    ['a -Inf first', 8, 0],
    ['the largest finite float', 12, null],
  ];
  for (const make of [() => new RMSprop({ lr: 1e-3 }), () => new Adam({ lr: 1e-3 })]) {
    test(`${make().className}: flags [1, 0, 1, 1, 0] for the gradients ${cases.map((c) => c[0]).join(', ')}`, async () => {
      const bad = [Number.NaN, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0];
      const vars = cases.map(([name, n, at], k) => {
        const v = new Variable(`${name}:0`, Tensor.fromArray(new Float32Array(n).fill(0.5), [n]));
        const g = new Float32Array(n).fill(k === 4 ? 3.4028234e38 : 0.01);
        if (at !== null) g[at] = bad[k];
        v.value.grad = Tensor.fromArray(g, [n]);
        return v;
      });
      const flags = Tensor.fromArray(new Float32Array(cases.length), [cases.length]);
      make().step(vars, flags);
      expect(Array.from(await flags.data())).toEqual([1, 0, 1, 1, 0]);
      // The flags count the variables.
      expect(() => make().step(vars, Tensor.fromArray([0], [1]))).toThrow(/5 variables, 1 gradient flags/);
      for (const v of vars) {
        v.value.grad?.dispose();
        v.value.dispose();
      }
      flags.dispose();
    });
  }
});
