// Which binary_crossentropy branch a model takes (src/nn/loss.ts), as Keras 2.3.1 on TF 1.15 / 2.0
// decides it, and what that means for saturated outputs: a model ending in a sigmoid is charged
// from the logits (loss and gradient as the float64 reference, even at z = +-20, +-40, +-110),
// any other last layer from the clipped probabilities (a saturated output gets no gradient).
import { describe, expect, test } from 'vitest';
import * as ref from '../../src/cpu/reference.js';
import { backward } from '../../src/autograd/tape.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Activation, Dense, Dropout, Flatten } from '../../src/nn/layers/core.js';
import type { Layer } from '../../src/nn/layer.js';
import { endsInSigmoid, lossAndAccuracy } from '../../src/nn/loss.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { testOnBatch, trainOnBatch } from '../../src/nn/training.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { read64 } from '../helpers/tensors.js';

useGpu();

const dense = (activation: string, inputShape?: number[]) => new Dense({ units: 1, activation, inputShape });

test('the output op is a sigmoid when the last layer (inside nested models too) ends in one', () => {
  const seq = (...layers: Layer[]) => new Sequential({ layers });
  expect(endsInSigmoid(seq(dense('relu', [3]), dense('sigmoid')))).toBe(true);
  expect(endsInSigmoid(seq(dense('linear', [3]), new Activation({ activation: 'sigmoid' })))).toBe(true);
  expect(endsInSigmoid(seq(seq(dense('relu', [3]), dense('sigmoid'))))).toBe(true);
  const conv = new Conv2D({ filters: 1, kernelSize: 1, activation: 'sigmoid', inputShape: [2, 2, 1] });
  expect(endsInSigmoid(seq(conv))).toBe(true);
  // Keras: Identity (a linear Activation), Dropout's switch, Flatten's Reshape: not a Sigmoid op.
  expect(endsInSigmoid(seq(dense('sigmoid', [3]), new Activation({ activation: 'linear' })))).toBe(false);
  expect(endsInSigmoid(seq(dense('sigmoid', [3]), new Dropout({ rate: 0.5 })))).toBe(false);
  const convFlat = new Conv2D({ filters: 1, kernelSize: 1, activation: 'sigmoid', inputShape: [2, 2, 1] });
  expect(endsInSigmoid(seq(convFlat, new Flatten()))).toBe(false);
  expect(endsInSigmoid(seq(dense('relu', [3])))).toBe(false);
});

// z = 20 x with both labels: 20, -20, 40, -40, 110, -110 and two moderate values.
const X = Float64Array.of(1, 1, -1, -1, 2, -2, 5.5, -5.5, 0.05, -0.1);
const Y = Float64Array.of(0, 1, 1, 0, 0, 1, 1, 0, 1, 0);
const Z = X.map((v) => 20 * v);

/** Dense(1, sigmoid) with kernel 20 and bias 0, optionally followed by Activation('linear'). */
function head(extra: boolean): Sequential {
  const m = new Sequential({ layers: [dense('sigmoid', [1])] });
  if (extra) m.add(new Activation({ activation: 'linear' }));
  m.weights[0].assign(Tensor.fromArray([20], [1, 1]));
  m.weights[1].assign(Tensor.fromArray([0], [1]));
  m.compile({ optimizer: new RMSprop({ lr: 1e-3 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  return m;
}

const column = (v: Float64Array | number[]) => Tensor.fromArray(Float32Array.from(v), [v.length, 1]);
const batch = () => ({ x: column(X), y: column(Y), size: X.length });
/** Every output saturated: z = 20, -40, 110. */
const saturated = () => ({ x: column([1, -2, 5.5]), y: column([0, 1, 1]), size: 3 });

/** Loss, accuracy and the kernel and bias gradients of one forward and backward pass. */
async function pass(m: Sequential): Promise<{ loss: number; acc: number; dw: number; db: number }> {
  const b = batch();
  const [loss, acc] = lossAndAccuracy(m, b.x, b.y, true);
  backward(loss);
  const [w, bias] = m.weights.map((v) => v.value);
  const [dw, db] = [(await read64(w.grad!))[0], (await read64(bias.grad!))[0]];
  const out = { loss: await loss.item(), acc: await acc.item(), dw, db };
  for (const v of [w, bias]) {
    v.grad!.dispose();
    v.grad = null;
  }
  return out;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('a sigmoid head is charged from its logits', () => {
  test('loss, accuracy and gradients at saturated outputs match the float64 logits reference', async () => {
    const m = head(false);
    const got = await pass(m);
    const dz = ref.bceFromLogitsGradExact(Z, Y);
    expectClose([got.loss], [ref.bceFromLogits(Z, Y)], { atol: 0, rtol: 1e-6, label: 'loss' });
    const want = [dot(X, dz), dz.reduce((s, v) => s + v, 0)];
    expectClose([got.dw, got.db], want, { atol: 1e-7, rtol: 1e-5, label: 'dW db' });
    // round(sigmoid(z)): 1, 1, 0, 0, 1, 0, 1, 0, 1, 0 against the labels.
    expect(got.acc).toBeCloseTo(0.6, 6);
    const evaluated = await testOnBatch(m, batch());
    expectClose(evaluated, [got.loss, got.acc], { atol: 0, rtol: 1e-6, label: 'testOnBatch' });
    m.dispose();
  });

  test('with every output saturated, training still moves the weights', async () => {
    const m = head(false);
    const before = await read64(m.weights[0].value);
    const [loss] = await trainOnBatch(m, saturated());
    const want = ref.bceFromLogits(Float64Array.of(20, -40, 110), Float64Array.of(0, 1, 1));
    expectClose([loss], [want], { atol: 0, rtol: 1e-6, label: 'saturated loss' });
    expect((await read64(m.weights[0].value))[0]).not.toBe(before[0]);
    m.dispose();
  });
});

describe('any other last layer is charged from clipped probabilities', () => {
  test('loss and gradients through the sigmoid match the float64 probability reference', async () => {
    const m = head(true);
    const got = await pass(m);
    const p = Z.map((z) => Math.fround(ref.activate(z, 'sigmoid')));
    const dz = ref.activationBackward(p, ref.bceTfProbsGrad(p, Y), 'sigmoid');
    expectClose([got.loss], [ref.bceTfProbs(p, Y)], { atol: 1e-7, rtol: 1e-6, label: 'loss' });
    // Only the two moderate samples pass a gradient; the eight saturated ones are clipped.
    const want = [dot(X, dz), dz.reduce((s, v) => s + v, 0)];
    expectClose([got.dw, got.db], want, { atol: 1e-7, rtol: 1e-4, label: 'dW db' });
    expect(got.acc).toBeCloseTo(0.6, 6);
    m.dispose();
  });

  test('with every output saturated the weights do not move (the clip passes no gradient)', async () => {
    const m = head(true);
    const before = await read64(m.weights[0].value);
    await trainOnBatch(m, saturated());
    expect(await read64(m.weights[0].value)).toEqual(before);
    m.dispose();
  });
});
