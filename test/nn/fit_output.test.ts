// What fit() prints, byte for byte against the text Keras 2.3.1 writes for the same fit: on a pipe
// (a new line per progress draw, the first after an empty line) and on a TTY (backspaces and \r),
// with and without validation data. The model is a fixed sigmoid unit (z = x) trained with a
// negligible learning rate, so every batch's loss is known in float64:
//   batch losses 0.61164964, 0.92454492, 1.33774513 (4, 4 and 2 samples), epoch mean 0.88202685,
//   running accuracy 3/4, 6/8, 6/10; validation loss 0.24474695, accuracy 1.
// The progress clock is scripted per epoch: start, then 8 s, 9 s and 10.5 s later. So the first
// draw shows ETA 12s, the second ETA 2s (one character shorter: padded with one space, as Keras
// pads), and the last 10.5 s, which Python's '%.0f' rounds to the even 10 (toFixed would say 11).
import { toTensors } from '../../src/nn/batches.js';
import { expect, test } from 'vitest';
import { Sequential } from '../../src/nn/container.js';
import { Dense } from '../../src/nn/layers/core.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

const TRAIN = {
  x: Float32Array.of(-2, -1, 0, 1, 2, 3, -3, 0.5, -0.5, 1.5),
  xShape: [10, 1],
  y: Float32Array.of(0, 1, 0, 1, 1, 0, 0, 1, 1, 0),
};
const VAL = { x: Float32Array.of(-1.5, 2.5, 0.25, -0.25, 4, -4), xShape: [6, 1], y: Float32Array.of(0, 1, 1, 0, 1, 0) };

function unit(): Sequential {
  const m = new Sequential({ layers: [new Dense({ units: 1, activation: 'sigmoid', inputShape: [1] })] });
  m.weights[0].assign(Tensor.fromArray([1], [1, 1]));
  m.weights[1].assign(Tensor.fromArray([0], [1]));
  // An update of about 3e-20 leaves the unit as it is in float32.
  m.compile({ optimizer: new RMSprop({ lr: 1e-20 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  return m;
}

/** A clock giving, per epoch, the Progbar's start and its three draws. */
function scriptedClock(): () => number {
  const times = [100, 108, 109, 110.5, 200, 208, 209, 210.5];
  let i = 0;
  return () => times[i++];
}

async function fitText(tty: boolean, validation: boolean): Promise<string> {
  const out: string[] = [];
  const model = unit();
  const [x, y] = toTensors(TRAIN);
  const val = validation ? toTensors(VAL) : undefined;
  await model.fit(x, y, {
    epochs: 2,
    batchSize: 4,
    shuffle: false,
    validationData: val,
    write: (s) => out.push(s),
    tty,
    now: scriptedClock(),
  });
  for (const t of [model, x, y, ...(val ?? [])]) t.dispose();
  return out.join('');
}

const B1 = ' 4/10 [===========>..................] - ETA: 12s - loss: 0.6116 - acc: 0.7500';
const B2 = ' 8/10 [=======================>......] - ETA: 2s - loss: 0.7681 - acc: 0.7500';
const END = '10/10 [==============================] - 10s 1s/step - loss: 0.8820 - acc: 0.6000';
const VAL_END = `${END} - val_loss: 0.2447 - val_acc: 1.0000`;

test('on a pipe, with validation: Train on, then one line per draw', async () => {
  const epoch = (i: number) => [`Epoch ${i}/2`, '', B1, `${B2} `, VAL_END];
  const want = ['Train on 10 samples, validate on 6 samples', ...epoch(1), ...epoch(2), ''].join('\n');
  expect(await fitText(false, true)).toBe(want);
});

test('on a pipe, without validation: no Train on line', async () => {
  const epoch = (i: number) => [`Epoch ${i}/2`, '', B1, `${B2} `, END];
  expect(await fitText(false, false)).toBe([...epoch(1), ...epoch(2), ''].join('\n'));
});

test('on a TTY: each draw backspaces over the last one and returns', async () => {
  const back = (line: string) => '\b'.repeat(line.length);
  const epoch = (i: number, end: string) => `Epoch ${i}/2\n\r${B1}${back(B1)}\r${B2} ${back(B2)}\r${end}\n`;
  const trainOn = 'Train on 10 samples, validate on 6 samples\n';
  expect(await fitText(true, true)).toBe(`${trainOn}${epoch(1, VAL_END)}${epoch(2, VAL_END)}`);
  expect(await fitText(true, false)).toBe(`${epoch(1, END)}${epoch(2, END)}`);
});
