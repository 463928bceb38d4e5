// End-to-end figures: conv-base forward images/s, the approach-2 and approach-3 training steps
// (images/s), and one epoch of approach 1's head on 2000 feature rows. Random weights and data;
// one warm-up, then timed repeats. Also extrapolates the chapter's epoch times from them.
import { currentGpu } from '../src/gpu/engine.js';
import { vgg16Architecture } from '../src/apps/vgg16.js';
import { chapterModel, freezeBase, unfreezeFrom } from '../src/apps/chapter.js';
import { Sequential } from '../src/nn/container.js';
import { Dense, Dropout } from '../src/nn/layers/core.js';
import { Adam } from '../src/nn/optimizers/adam.js';
import { RMSprop } from '../src/nn/optimizers/rmsprop.js';
import { trainOnBatch } from '../src/nn/training.js';
import { noGrad } from '../src/autograd/engine.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median } from './harness.js';

export interface E2eOptions { batch: number; size: number; repeat: number }

function images(n: number, size: number, seed: number): Tensor {
  const r = new Rng(seed);
  return Tensor.fromArray(Float32Array.from({ length: n * size * size * 3 }, () => r.next()), [n, size, size, 3]);
}

async function timeIt(repeat: number, fn: () => Promise<void>): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

export async function runE2e(o: E2eOptions): Promise<Record<string, unknown>> {
  const { batch, size, repeat } = o;
  const base = vgg16Architecture({ inputShape: [size, size, 3] });
  const model = chapterModel(base);
  const x = images(batch, size, 1);
  const y = Tensor.fromArray(Float32Array.from({ length: batch }, (_, i) => i % 2), [batch, 1]);
  const step = () => trainOnBatch(model, { x, y, size: batch }).then(() => {});
  const forward = await timeIt(repeat, async () => {
    const f = noGrad(() => base.apply(x, { training: false }));
    await f.data();
    f.dispose();
  });
  freezeBase(base);
  model.compile({ optimizer: new Adam({ lr: 2e-4 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const frozen = await timeIt(repeat, step);
  unfreezeFrom(base, 'block5_conv1');
  model.compile({ optimizer: new Adam({ lr: 1e-6 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const fine = await timeIt(repeat, step);
  model.dispose();
  x.dispose();
  y.dispose();
  const headEpoch = await approach1Epoch();
  const perImage = (s: number[]) => batch / median(s);
  const result = {
    adapter: currentGpu().info, batch, size, repeat,
    convBaseForwardImagesPerSec: perImage(forward),
    approach2StepImagesPerSec: perImage(frozen),
    approach3StepImagesPerSec: perImage(fine),
    approach1HeadEpochSeconds: headEpoch,
    samples: { forward, frozen, fine },
  };
  return { ...result, chapterEpochEstimateSeconds: estimates(result) };
}

/** One epoch of the head (Dense 256 relu, Dropout 0.5, Dense 1) on 2000 rows of 8192, batch 20. */
async function approach1Epoch(): Promise<number> {
  const r = new Rng(2);
  const n = 2000;
  const data = { x: Float32Array.from({ length: n * 8192 }, () => r.next()), xShape: [n, 8192], y: Float32Array.from({ length: n }, (_, i) => i % 2) };
  const head = new Sequential();
  head.add(new Dense({ units: 256, activation: 'relu', inputShape: [8192] }));
  head.add(new Dropout({ rate: 0.5 }));
  head.add(new Dense({ units: 1, activation: 'sigmoid' }));
  head.compile({ optimizer: new RMSprop({ lr: 2e-5 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  const h = await head.fit(data, { epochs: 1, batchSize: 20, verbose: 0 });
  head.dispose();
  return h.epochSeconds[0];
}

/** The chapter's epochs from the measured rates (at the measured image size). */
function estimates(r: { convBaseForwardImagesPerSec: number; approach2StepImagesPerSec: number; approach3StepImagesPerSec: number; approach1HeadEpochSeconds: number }) {
  const validation = 1000 / r.convBaseForwardImagesPerSec;
  return {
    approach1Features: 3000 / r.convBaseForwardImagesPerSec,
    approach1Epoch: r.approach1HeadEpochSeconds,
    approach2Epoch: (50 * 40) / r.approach2StepImagesPerSec + validation,
    approach3Epoch: (100 * 20) / r.approach3StepImagesPerSec + validation,
  };
}
