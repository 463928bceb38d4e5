// GPU memory: a 100-step training loop of a small CNN (conv2d -> maxPool2d -> flatten -> dense ->
// dropout -> dense -> binary cross-entropy) must hold a flat bytesInUse and stop allocating once
// the pool is warm; tidy() frees intermediates but keeps what it returns; dispose is idempotent;
// a Winograd conv's transform kept for its weight gradient is freed whether or not it is used.
import { describe, expect, test } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { dropout } from '../../src/ops/dropout.js';
import { add, mulScalar, ones } from '../../src/ops/elementwise.js';
import { binaryCrossentropy } from '../../src/ops/losses.js';
import { dense } from '../../src/ops/matmul.js';
import { maxPool2d } from '../../src/ops/maxpool2d.js';
import { flatten } from '../../src/ops/reshape.js';
import { sum } from '../../src/ops/reduce.js';
import { keep, tidy } from '../../src/tensor/scope.js';
import { liveTensors, type Tensor } from '../../src/tensor/tensor.js';
import { setConvVariant } from '../../src/kernels/plan_context.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64, upload } from '../helpers/tensors.js';

useGpu();

const inUse = (): number => dispatcher().pool.snapshot().bytesInUse;
const allocated = (): number => dispatcher().pool.snapshot().bytesAllocated;

describe("a Winograd conv keeps x's transform for its weight gradient, and frees it", () => {
  test('after backward, after a forward with no backward, and with the weight frozen', async () => {
    setConvVariant('wino4');
    try {
      const x = randomPair([2, 9, 9, 8]);
      const w = randomPair([3, 3, 8, 8], -0.3, 0.3).t;
      const b = randomPair([8], -0.1, 0.1).t;
      for (const p of [w, b]) p.requiresGrad = true;
      const run = (withBackward: boolean) =>
        tidy(() => {
          const y = conv2d(x.t, w, b, { padding: 'same', activation: 'relu' });
          if (withBackward) backward(sum(y));
        });
      const clear = () => {
        for (const p of [w, b]) {
          p.grad?.dispose();
          p.grad = null;
        }
      };
      // Twice first: the second call keeps the weight's transform (unchanged weights: derived.ts).
      for (let i = 0; i < 2; i++) {
        run(true);
        clear();
      }
      const handles = liveTensors();
      const bytes = inUse();
      dispatcher().resetCounts();
      run(true);
      // The forward's transform of x served the weight gradient (x needs no gradient: no dz one).
      expect(dispatcher().counts.get('conv2d_winograd_input')).toBe(1);
      expect(dispatcher().counts.get('conv2d_winograd_grad')).toBe(1);
      clear();
      expect(liveTensors(), 'after forward and backward').toBe(handles);
      run(false);
      expect(liveTensors(), 'after a forward alone').toBe(handles);
      w.requiresGrad = false;
      run(true);
      clear();
      await dispatcher().sync();
      expect(liveTensors()).toBe(handles);
      expect(inUse()).toBe(bytes);
      for (const t of [x.t, w, b]) t.dispose();
    } finally {
      setConvVariant(null);
    }
  });
});

describe('training loop leak test', () => {
  test('100 steps of forward + backward inside tidy(): flat bytesInUse, no new allocations', async () => {
    const x = randomPair([2, 9, 9, 3]);
    const target = upload(Float64Array.of(0, 1), [2, 1]);
    const w1 = randomPair([3, 3, 3, 4], -0.3, 0.3).t;
    const b1 = randomPair([4], -0.1, 0.1).t;
    const w2 = randomPair([64, 8], -0.3, 0.3).t;
    const b2 = randomPair([8], -0.1, 0.1).t;
    const w3 = randomPair([8, 1], -0.3, 0.3).t;
    const b3 = randomPair([1], -0.1, 0.1).t;
    const params = [w1, b1, w2, b2, w3, b3];
    for (const p of params) p.requiresGrad = true;

    const step = (): void => {
      tidy(() => {
        const c = conv2d(x.t, w1, b1, { padding: 'same', activation: 'relu' });
        const h = dense(flatten(maxPool2d(c, { poolSize: 2 })), w2, b2, 'relu');
        const out = dense(dropout(h, 0.5, { training: true }), w3, b3, 'sigmoid');
        backward(binaryCrossentropy(target, out));
      });
      for (const p of params) {
        expect(p.grad?.shape, `grad of ${p.describe()}`).toEqual(p.shape);
        p.grad!.dispose();
        p.grad = null;
      }
    };

    step();
    const afterFirst = inUse();
    const handles = liveTensors();
    const trace: number[] = [];
    let allocatedAfter5 = 0;
    for (let i = 2; i <= 100; i++) {
      step();
      trace.push(inUse());
      if (i === 5) allocatedAfter5 = allocated();
    }
    await dispatcher().sync();
    // Only the inputs, target and parameters stay alive between steps.
    expect(
      trace.every((b) => b === afterFirst),
      `bytesInUse per step: ${trace.join(',')}`,
    ).toBe(true);
    expect(inUse()).toBe(afterFirst);
    expect(liveTensors()).toBe(handles);
    expect(allocated()).toBe(allocatedAfter5);
    for (const t of [x.t, target, ...params]) t.dispose();
  });
});

describe('tidy and dispose', () => {
  test('tidy disposes intermediates and keeps returned tensors (arrays and objects)', async () => {
    const before = inUse();
    let a!: Tensor;
    let b!: Tensor;
    const out = tidy(() => {
      a = ones([3]);
      b = add(a, a);
      const c = mulScalar(b, 2);
      const d = mulScalar(b, 3);
      return { c, list: [d] };
    });
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(true);
    expect(out.c.disposed).toBe(false);
    expect(out.list[0].disposed).toBe(false);
    expect(Array.from(await read64(out.c))).toEqual([4, 4, 4]);
    expect(Array.from(await read64(out.list[0]))).toEqual([6, 6, 6]);
    out.c.dispose();
    out.list[0].dispose();
    expect(inUse()).toBe(before);
  });

  test('nested tidy hands its result to the outer scope; keep() survives both; throws still clean up', () => {
    const before = inUse();
    let inner!: Tensor;
    let kept!: Tensor;
    const outer = tidy(() => {
      inner = tidy(() => mulScalar(ones([2]), 5));
      expect(inner.disposed).toBe(false);
      kept = keep(ones([4]));
      return add(inner, inner);
    });
    expect(inner.disposed).toBe(true);
    expect(kept.disposed).toBe(false);
    expect(outer.disposed).toBe(false);
    let leaked!: Tensor;
    expect(() =>
      tidy(() => {
        leaked = ones([8]);
        throw new Error('step failed');
      }),
    ).toThrow('step failed');
    expect(leaked.disposed).toBe(true);
    kept.dispose();
    outer.dispose();
    expect(inUse()).toBe(before);
  });

  test('dispose() twice is harmless; views keep the storage until the last handle goes', async () => {
    const before = inUse();
    const t = ones([5]);
    const v = t.view([5, 1]);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.buffer).toThrow(/was disposed/);
    // The view still holds the storage.
    expect(inUse()).toBeGreaterThan(before);
    expect(Array.from(await read64(v))).toEqual([1, 1, 1, 1, 1]);
    v.dispose();
    v.dispose();
    expect(inUse()).toBe(before);
  });
});
