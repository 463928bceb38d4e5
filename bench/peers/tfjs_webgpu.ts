// Peer: TensorFlow.js 4.22 with its WebGPU backend, on the `webgpu` package's Dawn (the same
// adapter dawnflow picks by default). Run as a child process by bench/peers/run.ts:
//   node dist/bench/peers/tfjs_webgpu.js '{"model":"vgg16","batch":4,"size":150,"repeat":3,"train":true,"seed":1}'
// Forward is `tf.tidy(() => model.apply(x))` then a readback (model.predict measured 2x slower
// on lavapipe, see docs/benchmarks.md); the train step is `model.trainOnBatch` with Adam, the
// last conv block and a Dense 256 relu -> Dense 1 sigmoid head trainable. Random weights.
import { create, globals } from 'webgpu';
import {
  blocksOf,
  convKernelHwio,
  outputDigest,
  peerMain,
  sharedInput,
  timeSeconds,
  type PeerJob,
  type PeerOutcome,
} from './spec.js';

// Specifiers in variables: the peers are devDependencies, typed loosely here on purpose (their
// bundled @webgpu/types differ from ours) and only loaded when this child runs.
const TFJS = '@tensorflow/tfjs';
const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';

async function run(job: PeerJob): Promise<PeerOutcome> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  // The backend registers itself at import time only when navigator.gpu exists.
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  // biome-ignore lint/suspicious/noExplicitAny: TF.js is imported by a computed name (a devDependency), untyped
  const tf: any = await import(TFJS);
  await import(TFJS_WEBGPU);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  const notes: string[] = [];
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter?.info;

  const { model, batch, size, repeat, seed } = job;
  const blocks = blocksOf(model);
  // biome-ignore lint/suspicious/noExplicitAny: TF.js layer objects from the untyped import above
  const layers: any[] = [];
  let ci = 3;
  let k = 0;
  blocks.forEach((block, b) => {
    block.forEach((co, i) => {
      const conv = tf.layers.conv2d({
        filters: co,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: `block${b + 1}_conv${i + 1}`,
        ...(layers.length === 0 ? { inputShape: [size, size, 3] } : {}),
        weights: [tf.tensor4d(convKernelHwio(seed, k++, ci, co), [3, 3, ci, co]), tf.zeros([co])],
      });
      layers.push(conv);
      ci = co;
    });
    layers.push(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }));
  });
  const base = tf.sequential({ layers, name: 'vgg16' });
  const x = tf.tensor4d(sharedInput(batch, size, seed), [batch, size, size, 3]);

  let digest: PeerOutcome['digest'];
  const forward = await timeSeconds(repeat, async () => {
    const y = tf.tidy(() => base.apply(x, { training: false }));
    const data = await y.data();
    digest = outputDigest(data, y.shape);
    y.dispose();
  });

  let train: PeerOutcome['train'];
  if (job.train) {
    const last = blocks.length;
    for (const l of base.layers) l.trainable = l.name.startsWith(`block${last}_`);
    const full = tf.sequential({ name: 'chapter' });
    full.add(base);
    full.add(tf.layers.flatten());
    full.add(tf.layers.dense({ units: 256, activation: 'relu' }));
    full.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    full.compile({ optimizer: tf.train.adam(1e-5), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const y = tf.tensor2d(
      Float32Array.from({ length: batch }, (_, i) => i % 2),
      [batch, 1],
    );
    let loss = NaN;
    const t = await timeSeconds(repeat, async () => {
      const r = await full.trainOnBatch(x, y);
      loss = Array.isArray(r) ? r[0] : r;
    });
    train = { ...t, loss };
    const trainable = full.trainableWeights.reduce(
      (n: number, w: { shape: number[] }) => n + w.shape.reduce((a: number, b: number) => a * b, 1),
      0,
    );
    notes.push(`train step: ${trainable} trainable parameters`);
  }
  return {
    peer: 'tfjs-webgpu',
    version: String(tf.version?.tfjs ?? tf.version_core ?? '?'),
    backend: tf.getBackend(),
    adapter: info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : undefined,
    forward,
    train,
    digest,
    notes: ['forward: tf.tidy(() => model.apply(x)) + readback', ...notes],
  };
}

void peerMain(run);
