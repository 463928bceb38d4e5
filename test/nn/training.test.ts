// Training: a tiny conv net trained for a few steps on the GPU matches the same steps done with
// the float64 reference ops and the float64 Adam formula; Keras freezing (frozen weights stay
// bit-identical, frozen layers dispatch no gradient kernels, compile() snapshots); fit/evaluate.
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { dispatcher } from '../../src/gpu/engine.js';
import { Model, Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten, InputLayer } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { trainOnBatch } from '../../src/nn/training.js';
import { EarlyStopping, ModelCheckpoint } from '../../src/nn/callbacks.js';
import { Dropout } from '../../src/nn/layers/core.js';
import { loadModel, saveModel } from '../../src/io/keras_weights.js';
import { setSeed } from '../../src/tensor/random.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../../src/tensor/tensor.js';
import { toTensors } from '../../src/nn/batches.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { nextSeed, read64 } from '../helpers/tensors.js';
import { f32, uniform } from '../helpers/random.js';

useGpu();

function tinyNet(): Sequential {
  const m = new Sequential();
  m.add(new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 2] }));
  m.add(new MaxPooling2D({ poolSize: 2 }));
  m.add(new Flatten());
  m.add(new Dense({ units: 3, activation: 'relu' }));
  m.add(new Dense({ units: 1, activation: 'sigmoid' }));
  return m;
}

/** One training step of tinyNet in float64: returns the loss; updates w in place (Adam). */
function refStep(
  w: Float64Array[],
  x: Float64Array,
  y: Float64Array,
  n: number,
  adam: { m: Float64Array[]; v: Float64Array[]; t: number; lr: number },
): number {
  const c = ref.conv2dForward(x, [n, 6, 6, 2], w[0], [3, 3, 2, 4], w[1], [1, 1], 'same', 'relu');
  const pool = ref.maxPool2dForward(c.y, c.shape, [2, 2], [2, 2], 'valid');
  const h = ref.denseForward(pool.y, w[2], w[3], n, 36, 3, 'relu');
  // The head ends in a sigmoid, so Keras 2.3.1 charges the loss from its logits (src/nn/loss.ts).
  const z = ref.denseForward(h, w[4], w[5], n, 3, 1, 'linear');
  const loss = ref.bceFromLogits(z, y);
  const d2 = ref.denseBackward(h, w[4], ref.bceFromLogitsGradExact(z, y), n, 3, 1);
  const d1 = ref.denseBackward(pool.y, w[2], ref.activationBackward(h, d2.dx, 'relu'), n, 36, 3);
  const dPool = ref.maxPool2dBackward(c.y, c.shape, d1.dx, [2, 2], [2, 2], 'valid');
  const d0 = ref.conv2dBackward(
    x,
    [n, 6, 6, 2],
    w[0],
    [3, 3, 2, 4],
    ref.activationBackward(c.y, dPool, 'relu'),
    [1, 1],
    'same',
  );
  const grads = [d0.dw, d0.db, d1.dw, d1.db, d2.dw, d2.db];
  adam.t++;
  const lrT = (adam.lr * Math.sqrt(1 - 0.999 ** adam.t)) / (1 - 0.9 ** adam.t);
  grads.forEach((g, k) =>
    g.forEach((gi, i) => {
      adam.m[k][i] = 0.9 * adam.m[k][i] + 0.1 * gi;
      adam.v[k][i] = 0.999 * adam.v[k][i] + 0.001 * gi * gi;
      w[k][i] -= (lrT * adam.m[k][i]) / (Math.sqrt(adam.v[k][i]) + 1e-7);
    }),
  );
  return loss;
}

describe('training matches the float64 reference', () => {
  test('three Adam steps of a conv net: losses and every weight to 1e-4 relative', async () => {
    const seed = nextSeed();
    const n = 5;
    const model = tinyNet();
    model.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const x = f32(uniform(n * 72, 0, 1, seed));
    const y = Float64Array.from([0, 1, 1, 0, 1]);
    const w: Float64Array[] = [];
    for (const v of model.weights) w.push(await read64(v.value));
    const adam = {
      m: w.map((a) => new Float64Array(a.length)),
      v: w.map((a) => new Float64Array(a.length)),
      t: 0,
      lr: 1e-2,
    };
    for (let step = 1; step <= 3; step++) {
      const batch = {
        x: Tensor.fromArray(Float32Array.from(x), [n, 6, 6, 2]),
        y: Tensor.fromArray(Float32Array.from(y), [n, 1]),
        size: n,
      };
      const [loss] = await trainOnBatch(model, batch);
      const want = refStep(w, x, y, n, adam);
      expect(Math.abs(loss - want) / want, `seed ${seed} step ${step} loss ${loss} vs ${want}`).toBeLessThan(1e-4);
      for (const [k, v] of model.weights.entries()) {
        expectClose(await read64(v.value), w[k], {
          atol: 1e-6,
          rtol: 1e-4,
          label: `seed ${seed} step ${step} ${v.name}`,
        });
      }
    }
  });
});

function frozenBaseModel(): { base: Model; model: Sequential } {
  const base = new Model({
    name: 'base',
    layers: [
      new InputLayer({ inputShape: [8, 8, 3] }),
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'b1' }),
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'b2' }),
      new MaxPooling2D({ poolSize: 2, name: 'pool' }),
    ],
  });
  const model = new Sequential();
  model.add(base);
  model.add(new Flatten());
  model.add(new Dense({ units: 1, activation: 'sigmoid' }));
  return { base, model };
}

function randomBatch(n: number, seed: number) {
  return {
    x: Tensor.fromArray(Float32Array.from(uniform(n * 192, 0, 1, seed)), [n, 8, 8, 3]),
    y: Tensor.fromArray(
      Float32Array.from({ length: n }, (_, i) => i % 2),
      [n, 1],
    ),
    size: n,
  };
}

async function bytesOf(vs: { value: Tensor }[]): Promise<string> {
  const parts: string[] = [];
  for (const v of vs) parts.push(Buffer.from(((await v.value.data()) as Float32Array).buffer).toString('base64'));
  return parts.join('|');
}

describe('freezing', () => {
  test('a frozen base stays bit-identical and dispatches no gradient kernel', async () => {
    const { base, model } = frozenBaseModel();
    base.trainable = false;
    model.compile({ optimizer: new RMSprop({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    expect(model.trainableWeights).toHaveLength(2);
    const before = await bytesOf(base.weights);
    const head = await bytesOf(model.layers[2].weights);
    dispatcher().resetCounts();
    for (let s = 0; s < 3; s++) await trainOnBatch(model, randomBatch(4, s));
    const counts = dispatcher().counts;
    expect(counts.get('conv2d_backward_weight') ?? 0).toBe(0);
    expect(counts.get('conv2d_backward_input') ?? 0).toBe(0);
    expect(counts.get('maxpool2d_backward') ?? 0).toBe(0);
    expect(counts.get('optim_rmsprop')).toBe(3 * 2);
    expect(await bytesOf(base.weights)).toBe(before);
    expect(await bytesOf(model.layers[2].weights)).not.toBe(head);
  });

  test('unfreezing the last conv: only it gets weight gradients; compile() takes the snapshot', async () => {
    const { base, model } = frozenBaseModel();
    base.trainable = false;
    model.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy' });
    base.trainable = true;
    for (const l of base.layers) l.trainable = l.name === 'b2';
    // Not recompiled yet: Keras keeps training the compile-time snapshot (the head only).
    const b2 = await bytesOf(base.getLayer('b2').weights);
    await trainOnBatch(model, randomBatch(4, 7));
    expect(await bytesOf(base.getLayer('b2').weights)).toBe(b2);
    model.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy' });
    expect(model.trainableWeights).toHaveLength(4);
    const b1 = await bytesOf(base.getLayer('b1').weights);
    dispatcher().resetCounts();
    await trainOnBatch(model, randomBatch(4, 8));
    // One weight gradient, on whichever kernel variant this adapter runs it.
    const launched = (prefix: string) =>
      [...dispatcher().counts].filter(([k]) => k.startsWith(prefix)).reduce((a, [, n]) => a + n, 0);
    expect(launched('conv2d_backward_weight')).toBe(1);
    // b2's input comes from frozen b1: no input gradient is needed anywhere in the base.
    expect(launched('conv2d_backward_input')).toBe(0);
    expect(await bytesOf(base.getLayer('b1').weights)).toBe(b1);
    expect(await bytesOf(base.getLayer('b2').weights)).not.toBe(b2);
  });
});

describe('fit and evaluate', () => {
  test('fit on arrays: Keras history keys, the last line of each epoch off a TTY, validation values', async () => {
    const { model } = frozenBaseModel();
    model.compile({ optimizer: new RMSprop({ lr: 1e-3 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const n = 10;
    const x = Float32Array.from(uniform(n * 192, 0, 1, 3));
    const y = Float32Array.from({ length: n }, (_, i) => i % 2);
    const [xt, yt] = [Tensor.fromArray(x, [n, 8, 8, 3]), Tensor.fromArray(y, [n, 1])];
    const out: string[] = [];
    const h = await model.fit(xt, yt, {
      epochs: 2,
      batchSize: 4,
      validationData: [xt, yt],
      write: (s) => out.push(s),
      tty: false,
    });
    expect(Object.keys(h.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(h.epoch).toEqual([0, 1]);
    const text = out.join('');
    expect(text).toMatch(/^Train on 10 samples, validate on 10 samples\nEpoch 1\/2\n/);
    expect(text).toMatch(
      /\n10\/10 \[==============================\] - \d+s \d+(us|ms|s)\/step - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: \d\.\d{4} - val_acc: \d\.\d{4}\n/,
    );
    const [loss, acc] = await model.evaluate(xt, yt, { batchSize: 3 });
    expect(loss).toBeCloseTo(h.history.val_loss[1], 5);
    expect(acc).toBeCloseTo(h.history.val_acc[1], 6);
    for (const t of [xt, yt]) t.dispose();
  });

  test('EarlyStopping ends fit when the monitored value stops improving', async () => {
    const stop = new EarlyStopping({ monitor: 'loss', patience: 1 });
    expect(stop.onEpochEnd(0, { loss: 1 })).toBe(false);
    expect(stop.onEpochEnd(1, { loss: 1.1 })).toBe(true);
    expect(() => new EarlyStopping().onEpochEnd(0, { loss: 1 })).toThrow(/monitors 'val_loss'/);
  });
});

describe('micro-batches', () => {
  test('a batch split into micro-batches gives the full batch update', async () => {
    const [a, b] = [tinyNet(), tinyNet()];
    for (const [i, v] of b.weights.entries())
      v.assign(Tensor.fromArray((await a.weights[i].value.data()) as Float32Array, v.shape));
    a.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    b.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const seed = nextSeed();
    const batch = () => ({
      x: Tensor.fromArray(Float32Array.from(uniform(7 * 72, 0, 1, seed)), [7, 6, 6, 2]),
      y: Tensor.fromArray([0, 1, 1, 0, 1, 0, 0], [7, 1]),
      size: 7,
    });
    for (let s = 0; s < 2; s++) {
      const whole = await trainOnBatch(a, batch());
      const split = await trainOnBatch(b, batch(), 3);
      expectClose(split, whole, { atol: 1e-6, rtol: 1e-5, label: `seed ${seed} step ${s} loss/acc` });
    }
    for (const [i, v] of b.weights.entries()) {
      expectClose(await read64(v.value), await read64(a.weights[i].value), {
        atol: 1e-6,
        rtol: 1e-4,
        label: `seed ${seed} ${v.name}`,
      });
    }
  });
});

describe('seeds and checkpoints', () => {
  async function seededRun(
    seed: number,
    checkpoint?: string,
  ): Promise<{ history: Record<string, number[]>; weights: string }> {
    setSeed(seed);
    const m = new Sequential();
    m.add(new Dense({ units: 8, activation: 'relu', inputShape: [5] }));
    m.add(new Dropout({ rate: 0.5 }));
    m.add(new Dense({ units: 1, activation: 'sigmoid' }));
    m.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const data = {
      x: Float32Array.from(uniform(40 * 5, -1, 1, 77)),
      xShape: [40, 5],
      y: Float32Array.from({ length: 40 }, (_, i) => i % 2),
    };
    const callbacks = checkpoint
      ? [new ModelCheckpoint({ filepath: checkpoint, save: (p, model) => saveModel(model, p) })]
      : [];
    const [x, y] = toTensors(data);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks });
    for (const t of [x, y]) t.dispose();
    const weights = await bytesOf(m.weights);
    m.dispose();
    return { history: h.history, weights };
  }

  test('the same seed repeats a run exactly (init, shuffles, dropout masks); another seed does not', async () => {
    const a = await seededRun(11);
    const b = await seededRun(11);
    const c = await seededRun(12);
    expect(b).toEqual(a);
    expect(c.weights).not.toBe(a.weights);
  });

  test('ModelCheckpoint writes a loadable model every epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dawnflow-ckpt-'));
    try {
      await seededRun(3, join(dir, 'ckpt-{epoch:02d}.h5'));
      expect(readdirSync(dir).sort()).toEqual(['ckpt-01.h5', 'ckpt-02.h5', 'ckpt-03.h5']);
      const { model } = await loadModel(join(dir, 'ckpt-03.h5'));
      expect(model.layers.map((l) => l.className)).toEqual(['Dense', 'Dropout', 'Dense']);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buffers of a training step', () => {
  // The optimizer's slots are made before the first step's forward (Optimizer.build): made in
  // its middle they took buffers the step had just freed, and the second step allocated more.
  test.each([
    ['RMSprop', () => new RMSprop({ lr: 1e-3 })],
    ['Adam', () => new Adam({ lr: 1e-3 })],
  ])('%s: from the second step on, every buffer comes from the pool, some bind groups are kept', async (_, make) => {
    const m = tinyNet();
    m.compile({ optimizer: make(), loss: 'binary_crossentropy', metrics: ['acc'] });
    const b = {
      x: Tensor.fromArray(Float32Array.from(uniform(4 * 72, -1, 1, nextSeed())), [4, 6, 6, 2]),
      y: Tensor.fromArray(Float32Array.from([0, 1, 1, 0]), [4, 1]),
      size: 4,
    };
    const made = () => dispatcher().pool.snapshot().buffersAllocated;
    try {
      await trainOnBatch(m, b);
      const afterFirst = made();
      await trainOnBatch(m, b);
      // Bind groups are kept by what they bind (bind_groups.ts): where the pool hands a step the
      // same buffers as the step before, its launches find theirs, so a steady step makes fewer
      // groups than it launches kernels (in this net the pool rotates most of its buffers).
      const groups = dispatcher().bindGroups;
      for (let i = 0; i < 2; i++) {
        const [hits, misses] = [groups.hits, groups.misses];
        await trainOnBatch(m, b);
        expect(groups.hits - hits).toBeGreaterThan(0);
        expect(groups.misses - misses).toBeLessThan(groups.hits + groups.misses - hits - misses);
      }
      expect(made() - afterFirst).toBe(0);
    } finally {
      b.x.dispose();
      b.y.dispose();
      m.dispose();
    }
  });
});
