// Peer: onnxruntime-node 1.30 with its WebGPU execution provider (ORT bundles its own Dawn,
// which finds the same Vulkan adapter). The model is the VGG16 conv base written by
// bench/peers/onnx_vgg16.ts (random weights, NCHW). Forward only: ORT's Node package does not
// train. CPU fallback is disabled, so every node runs on WebGPU or the session fails.
//   node dist/bench/peers/ort_webgpu.js '{"model":"vgg16","batch":4,"size":150,"repeat":3,"train":false,"seed":1}'
import { createRequire } from 'node:module';
import { vgg16Onnx } from './onnx_vgg16.js';
import { peerMain, seeded, timeSeconds, type PeerJob, type PeerOutcome } from './spec.js';

async function run(job: PeerJob): Promise<PeerOutcome> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  // A CommonJS package and a devDependency: loaded here only, typed loosely.
  // biome-ignore lint/suspicious/noExplicitAny: an untyped CommonJS load of a peer under test
  const ort: any = createRequire(import.meta.url)('onnxruntime-node');
  const backends = (ort.listSupportedBackends?.() ?? []).map((b: { name: string }) => b.name);
  if (!backends.includes('webgpu'))
    throw new Error(`onnxruntime-node offers no webgpu backend here (has: ${backends.join(', ') || 'none'})`);
  const { batch, size, repeat, seed, model } = job;
  const onnx = vgg16Onnx(model, size, seed);
  const session = await ort.InferenceSession.create(onnx.bytes, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    extra: { session: { disable_cpu_ep_fallback: '1' } },
  });
  const data = seeded(batch * 3 * size * size, seed, 1).map((v) => (v + 1) / 2);
  const input = new ort.Tensor('float32', data, [batch, 3, size, size]);
  const want = [batch, ...onnx.outputShape].join('x');
  const forward = await timeSeconds(repeat, async () => {
    const out = await session.run({ [onnx.input]: input });
    const y = out[onnx.output];
    if (y.dims.join('x') !== want) throw new Error(`output ${y.dims.join('x')}, expected ${want}`);
    y.dispose?.();
  });
  await session.release();
  return {
    peer: 'ort-webgpu',
    version: String(ort.env?.versions?.node ?? ort.env?.versions?.common ?? '?'),
    backend: 'webgpu EP',
    forward,
    notes: [
      `forward: InferenceSession.run on a ${(onnx.bytes.length / 2 ** 20).toFixed(1)} MiB ONNX model (no CPU fallback); no train step (inference-only runtime)`,
    ],
  };
}

void peerMain(run);
