// Inference frees what it makes: under noGrad no backward pass frees the layers' intermediate
// outputs, so predict/features/test must scope them (they leaked ~0.4 GB a batch at 150x150).
import { expect, test } from 'vitest';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten } from '../../src/nn/layers/core.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { memory } from '../../src/gpu/engine.js';
import { noGrad } from '../../src/autograd/tape.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

test('predict leaves no intermediate tensors behind', async () => {
  const m = new Sequential();
  m.add(new Conv2D({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 3] }));
  m.add(new Conv2D({ filters: 8, kernelSize: 3, activation: 'relu' }));
  m.add(new Flatten());
  m.add(new Dense({ units: 1, activation: 'sigmoid' }));
  const x = Tensor.fromArray(
    new Float32Array(6 * 12 * 12 * 3).map((_, i) => (i % 17) / 17),
    [6, 12, 12, 3],
  );
  const before = memory().bytesInUse;
  for (let i = 0; i < 3; i++) {
    const y = m.predict(x, { batchSize: 2 });
    await y.data();
    y.dispose();
    expect(memory().bytesInUse).toBe(before);
  }
  x.dispose();
  m.dispose();
});

test('apply under noGrad keeps only the output, as in Keras inference', async () => {
  const m = new Sequential();
  m.add(new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 3] }));
  m.add(new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }));
  m.add(new Flatten());
  const x = Tensor.fromArray(
    new Float32Array(2 * 8 * 8 * 3).map((_, i) => (i % 5) / 5),
    [2, 8, 8, 3],
  );
  m.apply(x).dispose(); // builds the layers: their weights are not intermediates
  const before = memory().bytesInUse;
  const y = noGrad(() => m.apply(x, { training: false }));
  expect(memory().bytesInUse - before).toBe(y.size * 4);
  const withTape = m.apply(x, { training: false });
  expect(await withTape.data()).toEqual(await y.data());
  for (const t of [x, y, withTape]) t.dispose();
  m.dispose();
});
