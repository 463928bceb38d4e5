// Seeded initialisers: same seed -> same values, Keras's glorot_uniform limits and fans,
// and the statistics of the draws.
import { expect, test } from 'vitest';
import { fans, glorotUniform, randomNormal, randomUniform } from '../../src/tensor/init.js';
import { Rng } from '../../src/tensor/random.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

test('fans follow Keras for dense and HWIO conv kernels', () => {
  expect(fans([8192, 256])).toEqual({ fanIn: 8192, fanOut: 256 });
  expect(fans([3, 3, 64, 128])).toEqual({ fanIn: 576, fanOut: 1152 });
});

test('glorot_uniform stays inside sqrt(6 / (fan_in + fan_out)) and is seeded', async () => {
  const a = await glorotUniform([3, 3, 16, 32], new Rng(42)).data();
  const b = await glorotUniform([3, 3, 16, 32], new Rng(42)).data();
  const c = await glorotUniform([3, 3, 16, 32], new Rng(43)).data();
  const limit = Math.sqrt(6 / (144 + 288));
  expect(Array.from(a)).toEqual(Array.from(b));
  expect(Array.from(a)).not.toEqual(Array.from(c));
  expect(Math.max(...Array.from(a, Math.abs))).toBeLessThanOrEqual(limit);
  // A uniform on [-l, l] has variance l^2 / 3; 4608 draws put the estimate within ~5%.
  const variance = Array.from(a).reduce((s, v) => s + v * v, 0) / a.length;
  expect(variance / ((limit * limit) / 3)).toBeGreaterThan(0.9);
  expect(variance / ((limit * limit) / 3)).toBeLessThan(1.1);
});

test('uniform and normal draws have the requested moments', async () => {
  const u = Array.from(await randomUniform([20000], 2, 4, new Rng(1)).data());
  const n = Array.from(await randomNormal([20000], 1, 0.5, new Rng(2)).data());
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
  expect(Math.max(...u)).toBeLessThan(4);
  expect(mean(u)).toBeCloseTo(3, 1);
  expect(mean(n)).toBeCloseTo(1, 1);
  const sd = Math.sqrt(mean(n.map((x) => (x - 1) ** 2)));
  expect(sd).toBeGreaterThan(0.48);
  expect(sd).toBeLessThan(0.52);
});

test('he_uniform stays inside sqrt(6 / fan_in), has its variance, and Conv2D serialises it as Keras', async () => {
  const { heUniform } = await import('../../src/tensor/init.js');
  const { Conv2D } = await import('../../src/nn/layers/convolutional.js');
  const a = Array.from(await heUniform([3, 3, 16, 32], new Rng(5)).data());
  const limit = Math.sqrt(6 / 144);
  expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(limit);
  const variance = a.reduce((s, v) => s + v * v, 0) / a.length;
  expect(variance / ((limit * limit) / 3)).toBeGreaterThan(0.9);
  expect(variance / ((limit * limit) / 3)).toBeLessThan(1.1);
  const he = new Conv2D({ filters: 4, kernelSize: 3, kernelInitializer: 'he_uniform' });
  expect(he.getConfig().kernel_initializer).toEqual({
    class_name: 'VarianceScaling',
    config: { scale: 2.0, mode: 'fan_in', distribution: 'uniform', seed: null },
  });
  expect(new Conv2D({ filters: 4, kernelSize: 3 }).getConfig().kernel_initializer).toMatchObject({
    config: { scale: 1.0, mode: 'fan_avg' },
  });
  expect(() => new Conv2D({ filters: 4, kernelSize: 3, kernelInitializer: 'ones' as never })).toThrow(
    /kernelInitializer/,
  );
});
