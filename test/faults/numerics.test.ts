// Numerics: a non-finite gradient stops training at once, naming the step and the first layer
// (in model order) whose gradient is not finite, with the fix; the chapter run stops the same
// way and leaves its last good checkpoint and state.json byte for byte as they were.
import { toTensors } from '../../src/nn/batches.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Sequential } from '../../src/nn/container.js';
import { Dense } from '../../src/nn/layers/core.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { NonFiniteError, trainOnBatch } from '../../src/nn/training.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { useGpu } from '../helpers/gpu.js';
import { memory } from '../../src/gpu/engine.js';
import { chapterArgs, killChildren, lastLine, makeChapterData, readState, runCli } from './chapter_cli.js';

useGpu();

/**
 * hidden (Dense 4 relu) -> out (Dense 1 sigmoid), every weight 0.5. A sample with an Inf
 * feature drives the output to exactly 1, which the loss clips (finite loss, zero gradient at
 * the output), so Inf * 0 makes both kernels' gradients NaN while the loss stays finite.
 */
function net(freezeHidden: boolean): Sequential {
  const m = new Sequential();
  m.add(new Dense({ units: 4, activation: 'relu', inputShape: [3], name: 'hidden' }));
  m.add(new Dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  for (const v of m.weights) {
    v.assign(Tensor.fromArray(new Float32Array(v.value.size).fill(0.5), [...v.shape]));
  }
  if (freezeHidden) m.getLayer('hidden').trainable = false;
  m.compile({ optimizer: new RMSprop({ lr: 1e-3 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  return m;
}

const finite = {
  x: Float32Array.of(0.1, 0.2, 0.3, 0.3, 0.2, 0.1),
  xShape: [2, 3],
  y: Float32Array.of(1, 0),
};
const poisoned = {
  ...finite,
  x: Float32Array.of(Infinity, 0.2, 0.3, 0.3, 0.2, 0.1),
  y: Float32Array.of(1, 1),
};

describe('non-finite gradients in fit', () => {
  test('finite data trains on without a false alarm, and the flags free what they use', async () => {
    const m = net(false);
    const [x, y] = toTensors(finite);
    await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
    const inUse = memory().bytesInUse;
    const h = await m.fit(x, y, { epochs: 3, batchSize: 1, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(memory().bytesInUse).toBe(inUse);
    for (const t of [x, y]) t.dispose();
  });

  // The sigmoid head's loss comes from its logits (as Keras 2.3.1 on TF computes it), so an Inf
  // logit makes the loss NaN too; the message says so before naming the layer.
  test('an Inf input names the first layer, the step and the fix', async () => {
    const run = net(false).fit(...toTensors(poisoned), { epochs: 2, batchSize: 2, verbose: 0 });
    await expect(run).rejects.toThrow(NonFiniteError);
    await expect(run).rejects.toThrow(
      new RegExp(
        "^dawnflow: (the loss became NaN and )?the gradient of layer 'hidden' \\(hidden/kernel:0\\) is not finite " +
          'at epoch 1, step 1; lower the learning rate',
      ),
    );
  });

  test('with the first layer frozen the next one is named; micro-batches add up the same', async () => {
    await expect(
      net(true).fit(...toTensors(poisoned), { epochs: 1, batchSize: 2, verbose: 0, microBatch: 1 }),
    ).rejects.toThrow(/the gradient of layer 'out' \(out\/kernel:0\) is not finite at epoch 1, step 1/);
  });

  test('trainOnBatch stops the same way', async () => {
    const b = { x: Tensor.fromArray(poisoned.x, [2, 3]), y: Tensor.fromArray(poisoned.y, [2, 1]), size: 2 };
    const run = trainOnBatch(net(false), b);
    await expect(run).rejects.toThrow(/gradient of layer 'hidden'.* at this batch/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-numerics-'));
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

test('chapter: an Inf feature stops approach 1 naming the layer; the last checkpoint is untouched', async () => {
  const data = makeChapterData(join(dir, 'data'));
  const out = join(dir, 'run');
  const args = chapterArgs(data, out);
  // Stop after epoch 1 is committed (two steps per epoch: hit 3 is epoch 2, step 1).
  const first = await runCli(args, { DAWNFLOW_FAULT_PAUSE_IN: 'train-step@3' }, (text, kill) => {
    if (text.includes('dawnflow-fault: paused in train-step #3')) kill();
  });
  expect(first.signal, first.out).toBe('SIGKILL');
  const features = readNpy(join(out, 'features', 'train.npy'));
  const poisonedFeatures = Float32Array.from(features.data as Float32Array);
  poisonedFeatures[0] = Infinity;
  writeNpy(join(out, 'features', 'train.npy'), poisonedFeatures, features.shape);
  const ckpt = join(out, 'checkpoints', 'feature-extraction.h5');
  const snapshot = () => ({
    ckpt: readFileSync(ckpt),
    state: readFileSync(join(out, 'state.json')),
    files: readdirSync(join(out, 'checkpoints')),
  });
  const before = snapshot();
  const r = await runCli(args);
  expect(r.code, r.out).toBe(1);
  expect(lastLine(r.out)).toMatch(
    new RegExp(
      "^dawnflow: (the loss became NaN and )?the gradient of layer 'dense_1' \\(dense_1/kernel:0\\) " +
        'is not finite at feature-extraction epoch 2, step [12]; lower --fe-lr \\(with a new --out\\) ' +
        'or check the data for NaN/Inf; the last good checkpoint .*feature-extraction\\.h5 \\(epoch 1\\) ' +
        'is kept$',
    ),
  );
  const after = snapshot();
  expect(after.ckpt.equals(before.ckpt), 'checkpoint bytes').toBe(true);
  expect(after.state.equals(before.state), 'state.json bytes').toBe(true);
  expect(after.files).toEqual(before.files);
  expect(readState(out)!.phases['feature-extraction'].epochsDone).toBe(1);
}, 120_000);
