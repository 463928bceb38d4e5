// End-to-end figures with random weights and data, one warm-up then timed repeats, the models,
// optimizers and rates those of the chapter (src/apps/chapter.ts, PRESETS.full):
//  - conv-base forward images/s (VGG16 without top, inference);
//  - approach 2's step: a uint8 batch uploaded, warped by the chapter's augmentation on the GPU,
//    then trainOnBatch with the base frozen — images/s;
//  - approach 3's step: block5 + head trainable, no augmentation — images/s;
//  - approach 1: one epoch of the dense head on as many feature rows as the book's train split.
// Also extrapolates the chapter's epoch times from them.
import { currentGpu } from '../src/gpu/engine.js';
import { vgg16Architecture } from '../src/apps/vgg16.js';
import { chapterModel, compileApproach, featureClassifier, freezeBase, unfreezeFrom } from '../src/apps/chapter.js';
import { PRESETS } from '../src/apps/chapter_presets.js';
import type { PhaseSettings } from '../src/apps/chapter_presets.js';
import { BOOK_COUNTS } from '../src/data/cats_vs_dogs.js';
import { trainOnBatch } from '../src/nn/training.js';
import { noGrad } from '../src/autograd/tape.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { augmentBatch, uploadPixels } from '../src/kernels/augment.js';
import { CHAPTER_AUGMENTATION, randomTransform, transformMatrix } from '../src/data/augment.js';
import { median } from './harness.js';
import { featureSize, forwardFlops, timeSeconds, trainFlops } from './peers/spec.js';

export interface E2eOptions {
  batch: number;
  size: number;
  repeat: number;
  skipHead?: boolean;
}

export interface Timed {
  warmupS: number;
  samplesS: number[];
}

const BOOK = PRESETS.full;
/** Images per class and split in the book (train, validation, test); two classes. */
const IMAGES = {
  train: 2 * BOOK_COUNTS.train,
  all: 2 * (BOOK_COUNTS.train + BOOK_COUNTS.validation + BOOK_COUNTS.test),
};

export interface E2eReport {
  adapter: ReturnType<typeof currentGpu>['info'];
  batch: number;
  size: number;
  repeat: number;
  convBaseForwardImagesPerSec: number;
  approach2StepImagesPerSec: number;
  approach3StepImagesPerSec: number;
  approach1HeadEpochSeconds: number | null;
  gflops: { forward: number; approach2: number; approach3: number };
  timings: { forward: Timed; approach2: Timed; approach3: Timed };
  chapterEpochEstimateSeconds: Record<string, number | null>;
}

function images(n: number, size: number, seed: number): Tensor {
  const r = new Rng(seed);
  return Tensor.fromArray(
    Float32Array.from({ length: n * size * size * 3 }, () => r.next()),
    [n, size, size, 3],
  );
}

export async function runE2e(o: E2eOptions, log: (s: string) => void = console.log): Promise<E2eReport> {
  const { batch, size, repeat } = o;
  const base = vgg16Architecture({ inputShape: [size, size, 3] });
  const model = chapterModel(base);
  const x = images(batch, size, 1);
  const y = Tensor.fromArray(
    Float32Array.from({ length: batch }, (_, i) => i % 2),
    [batch, 1],
  );
  const perImage = (t: Timed) => batch / median(t.samplesS);
  const say = (what: string, t: Timed, flops: number) =>
    log(
      `${what.padEnd(40)} ${perImage(t).toFixed(3).padStart(9)} images/s  ${((flops * batch) / median(t.samplesS) / 1e9).toFixed(2).padStart(7)} GFLOP/s` +
        `  (median ${median(t.samplesS).toFixed(2)} s/batch of ${batch}, warm-up ${t.warmupS.toFixed(1)} s)`,
    );
  log(
    `e2e: VGG16 at ${size}x${size}, batch ${batch}, ${repeat} timed repeat(s) after one warm-up; random weights and data`,
  );

  const forward = await timeSeconds(repeat, async () => {
    const f = noGrad(() => base.apply(x, { training: false }));
    await f.data();
    f.dispose();
  });
  say('conv-base forward', forward, forwardFlops('vgg16', size));

  // Approach 2: augmentation on the GPU from a uint8 batch, frozen base, head trained.
  freezeBase(base);
  compileApproach(model, 'transfer', BOOK.tr.lr);
  const rng = new Rng(7);
  const shape: [number, number, number, number] = [batch, size, size, 3];
  const bytes = Uint8Array.from({ length: batch * size * size * 3 }, () => rng.nextU32() & 255);
  const augmentedStep = async () => {
    const pixels = uploadPixels(bytes, shape);
    const transforms = Array.from({ length: batch }, () => {
      const p = randomTransform(CHAPTER_AUGMENTATION, size, size, rng);
      return { matrix: transformMatrix(p, size, size), flipHorizontal: p.flipHorizontal, flipVertical: p.flipVertical };
    });
    const xa = augmentBatch(pixels, shape, transforms, { fillMode: 'nearest', cval: 0, rescale: 1 / 255 });
    pixels.dispose();
    await trainOnBatch(model, { x: xa, y, size: batch });
    xa.dispose();
  };
  const head = 2 * featureSize('vgg16', size) * 256 + 2 * 256;
  const approach2 = await timeSeconds(repeat, augmentedStep);
  say('approach 2 step (augmented, frozen base)', approach2, forwardFlops('vgg16', size) + 3 * head);

  // Approach 3: block5 + head trainable.
  unfreezeFrom(base);
  compileApproach(model, 'fine-tune', BOOK.ft.lr);
  const approach3 = await timeSeconds(repeat, () => trainOnBatch(model, { x, y, size: batch }).then(() => {}));
  say('approach 3 step (block5 + head)', approach3, trainFlops('vgg16', size));
  model.dispose();
  x.dispose();
  y.dispose();

  const headEpoch = o.skipHead ? null : await approach1Epoch(size);
  const headWhat = `approach 1 head epoch (${IMAGES.train} x ${featureSize('vgg16', size)}, b ${BOOK.fe.batchSize})`;
  if (headEpoch !== null) log(`${headWhat.padEnd(40)} ${headEpoch.toFixed(2).padStart(9)} s`);
  const result = {
    adapter: currentGpu().info,
    batch,
    size,
    repeat,
    convBaseForwardImagesPerSec: perImage(forward),
    approach2StepImagesPerSec: perImage(approach2),
    approach3StepImagesPerSec: perImage(approach3),
    approach1HeadEpochSeconds: headEpoch,
    gflops: {
      forward: (forwardFlops('vgg16', size) * perImage(forward)) / 1e9,
      approach2: ((forwardFlops('vgg16', size) + 3 * head) * perImage(approach2)) / 1e9,
      approach3: (trainFlops('vgg16', size) * perImage(approach3)) / 1e9,
    },
    timings: { forward, approach2, approach3 },
  };
  return { ...result, chapterEpochEstimateSeconds: estimates(result) };
}

/** One epoch of approach 1's head on the book's train split of random feature rows. */
async function approach1Epoch(size: number): Promise<number> {
  const r = new Rng(2);
  const n = IMAGES.train;
  const f = featureSize('vgg16', size);
  const data = {
    x: Float32Array.from({ length: n * f }, () => r.next()),
    xShape: [n, f],
    y: Float32Array.from({ length: n }, (_, i) => i % 2),
  };
  const head = featureClassifier(f, BOOK.fe.lr);
  const [x, y] = [Tensor.fromArray(data.x, data.xShape), Tensor.fromArray(data.y, [n, 1])];
  const h = await head.fit(x, y, { epochs: 1, batchSize: BOOK.fe.batchSize, verbose: 0 });
  for (const t of [x, y, head]) t.dispose();
  return h.epochSeconds[0];
}

/** The chapter's epochs from the measured rates (at the measured image size). */
function estimates(r: {
  convBaseForwardImagesPerSec: number;
  approach2StepImagesPerSec: number;
  approach3StepImagesPerSec: number;
  approach1HeadEpochSeconds: number | null;
}) {
  const forward = (images: number) => images / r.convBaseForwardImagesPerSec;
  // An epoch: its training steps, then its validation steps (inference, as the forward).
  const epoch = (p: PhaseSettings, rate: number) =>
    (p.stepsPerEpoch * p.batchSize) / rate + forward(p.validationSteps * p.validationBatchSize);
  return {
    // Approach 1 extracts the train, validation and test features, as `dawnflow chapter` does.
    approach1Features: forward(IMAGES.all),
    approach1Epoch: r.approach1HeadEpochSeconds,
    approach2Epoch: epoch(BOOK.tr, r.approach2StepImagesPerSec),
    approach3Epoch: epoch(BOOK.ft, r.approach3StepImagesPerSec),
  };
}
