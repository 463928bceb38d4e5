// Our ops against outputs written by real Keras 2.1 (TensorFlow backend): the keras-js per-layer
// JSON fixtures in test/fixtures/keras-reference/keras-js (schema, case tables and provenance in
// its PROVENANCE.md).
// Each fixture is one sample without a batch axis; we add a batch of 1. The files round inputs,
// weights and outputs to 6 decimals, so outputs are compared with atol 1e-5.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { conv2d } from '../../src/ops/conv2d.js';
import { dropout } from '../../src/ops/dropout.js';
import { relu, sigmoid } from '../../src/ops/elementwise.js';
import { dense } from '../../src/ops/matmul.js';
import type { Activation } from '../../src/kernels/activation.js';
import { maxPool2d } from '../../src/ops/maxpool2d.js';
import { flatten } from '../../src/ops/reshape.js';
import type { Padding } from '../../src/tensor/shape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { tidy } from '../../src/tensor/scope.js';
import { expectClose } from '../helpers/allclose.js';
import { KERAS_JS } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';

const TOL = { atol: 1e-5, rtol: 0 };

interface Arr {
  data: number[];
  shape: number[];
}
interface Fixture {
  input: Arr;
  weights?: Arr[];
  expected: Arr;
}

// Each JSON file is parsed once, on first use.
const files = new Map<string, Record<string, Fixture>>();
function fixture(file: string, key: string): Fixture {
  if (!files.has(file)) files.set(file, JSON.parse(readFileSync(join(KERAS_JS, file), 'utf8')));
  const f = files.get(file)![key];
  if (!f) throw new Error(`${file} has no case ${key}`);
  return f;
}

/** A tensor of `a` with a leading batch axis of 1 when `batch` is set. */
const tensor = (a: Arr, batch = false): Tensor => Tensor.fromArray(a.data, batch ? [1, ...a.shape] : a.shape);

/** Runs `fn` on the case, checks shape [1, ...expected] and values, frees everything. */
async function check(file: string, key: string, fn: (c: Fixture) => Tensor): Promise<void> {
  const c = fixture(file, key);
  const y = tidy(() => fn(c));
  expect(y.shape).toEqual([1, ...c.expected.shape]);
  expectClose(await y.data(), c.expected.data, { ...TOL, label: `${key} input [${c.input.shape}]` });
  y.dispose();
}

describe('Keras reference outputs (keras-js fixtures)', () => {
  useGpu();

  describe('Conv2D', () => {
    // PROVENANCE.md's table for cases 0-6. Cases 7-11 use dilation 2-4, which our Conv2D does not
    // support, so they are left out.
    const CASES: { s: [number, number]; pad: Padding; act: Activation; bias: boolean }[] = [
      { s: [1, 1], pad: 'valid', act: 'linear', bias: true },
      { s: [1, 1], pad: 'valid', act: 'linear', bias: false },
      { s: [2, 2], pad: 'valid', act: 'relu', bias: true },
      { s: [2, 1], pad: 'valid', act: 'relu', bias: true },
      { s: [1, 1], pad: 'same', act: 'relu', bias: true },
      { s: [2, 2], pad: 'same', act: 'relu', bias: true },
      { s: [3, 2], pad: 'same', act: 'relu', bias: true },
    ];
    CASES.forEach((p, i) => {
      const key = `convolutional.Conv2D.${i}`;
      test(key, () =>
        check('layers/convolutional/Conv2D.json', key, (c) => {
          const w = c.weights!;
          expect(w.length).toBe(p.bias ? 2 : 1);
          return conv2d(tensor(c.input, true), tensor(w[0]), p.bias ? tensor(w[1]) : null, {
            strides: p.s,
            padding: p.pad,
            activation: p.act,
          });
        }),
      );
    });
  });

  describe('MaxPooling2D', () => {
    // Cases 0-9 are channels_last. Cases 10-12 are channels_first, a layout our NHWC op does not
    // take, so they are left out. strides null = Keras's default (the pool size).
    const CASES: { pool: [number, number]; s: [number, number] | null; pad: Padding }[] = [
      { pool: [2, 2], s: null, pad: 'valid' },
      { pool: [2, 2], s: [1, 1], pad: 'valid' },
      { pool: [2, 2], s: [2, 1], pad: 'valid' },
      { pool: [3, 3], s: null, pad: 'valid' },
      { pool: [3, 3], s: [3, 3], pad: 'valid' },
      { pool: [2, 2], s: null, pad: 'same' },
      { pool: [2, 2], s: [1, 1], pad: 'same' },
      { pool: [2, 2], s: [2, 1], pad: 'same' },
      { pool: [3, 3], s: null, pad: 'same' },
      { pool: [3, 3], s: [3, 3], pad: 'same' },
    ];
    CASES.forEach((p, i) => {
      const key = `pooling.MaxPooling2D.${i}`;
      test(key, () =>
        check('layers/pooling/MaxPooling2D.json', key, (c) =>
          maxPool2d(tensor(c.input, true), { poolSize: p.pool, strides: p.s, padding: p.pad }),
        ),
      );
    });
  });

  describe('Dense', () => {
    // 0/3 linear, 1/4 sigmoid, with bias (3-5 repeat 0-2). 2 and 5 are softplus: not supported.
    const CASES: [number, Activation][] = [
      [0, 'linear'],
      [1, 'sigmoid'],
      [3, 'linear'],
      [4, 'sigmoid'],
    ];
    for (const [i, act] of CASES) {
      const key = `core.Dense.${i}`;
      test(key, () =>
        check('layers/core/Dense.json', key, (c) =>
          dense(tensor(c.input, true), tensor(c.weights![0]), tensor(c.weights![1]), act),
        ),
      );
    }
  });

  describe('Flatten', () => {
    for (const i of [0, 1, 2]) {
      const key = `core.Flatten.${i}`;
      test(key, () => check('layers/core/Flatten.json', key, (c) => flatten(tensor(c.input, true))));
    }
  });

  test('core.Dropout.0 (Dense 6->2 then Dropout(0.5) at inference: identity)', () =>
    check('layers/core/Dropout.json', 'core.Dropout.0', (c) => {
      const h = dense(tensor(c.input, true), tensor(c.weights![0]), tensor(c.weights![1]), 'linear');
      const y = dropout(h, 0.5, { training: false });
      expect(y).toBe(h);
      return y;
    }));

  describe('Activation (after Dense 6->2, linear)', () => {
    // Indices from PROVENANCE.md's order: 5 relu, 7 sigmoid, 9 linear.
    const CASES: [number, string, (x: Tensor) => Tensor][] = [
      [5, 'relu', relu],
      [7, 'sigmoid', sigmoid],
      [9, 'linear', (x) => x],
    ];
    for (const [i, name, act] of CASES) {
      const key = `core.Activation.${i}`;
      test(`${key} (${name})`, () =>
        check('layers/core/Activation.json', key, (c) =>
          act(dense(tensor(c.input, true), tensor(c.weights![0]), tensor(c.weights![1]), 'linear')),
        ));
    }
  });

  describe('activations', () => {
    // relu.3 (max_value) and relu.4 (leaky alpha) set parameters our relu does not take.
    const CASES: [string, (x: Tensor) => Tensor][] = [
      ['relu.0', relu],
      ['relu.1', relu],
      ['relu.2', relu],
      ['sigmoid.0', sigmoid],
      ['sigmoid.1', sigmoid],
      ['sigmoid.2', sigmoid],
    ];
    for (const [name, fn] of CASES) {
      const key = `activations.${name}`;
      test(key, () => check('activations.json', key, (c) => fn(tensor(c.input, true))));
    }
  });
});
