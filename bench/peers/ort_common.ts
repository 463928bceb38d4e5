// The onnxruntime-node peers: the VGG16 conv base written by onnx_vgg16.ts (the shared seeded
// weights, NCHW) run by InferenceSession on one execution provider. Forward only: ORT's Node
// package does not train. The input is the shared NHWC batch transposed to NCHW; the output's
// digest is taken back in NHWC, so the parent can compare it with dawnflow's.
import { createRequire } from 'node:module';
import { vgg16Onnx } from './onnx_vgg16.js';
import {
  nchwToNhwc,
  nhwcToNchw,
  outputDigest,
  sharedInput,
  timeSeconds,
  type PeerJob,
  type PeerOutcome,
} from './spec.js';

export interface OrtProvider {
  peer: string;
  /** ORT's execution-provider name ('webgpu', 'cpu'). */
  ep: string;
  /** Session options of this provider (threads, fallback). */
  options: (job: PeerJob) => Record<string, unknown>;
  note: string;
}

export async function runOrt(job: PeerJob, p: OrtProvider): Promise<PeerOutcome> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  // A CommonJS package and a devDependency: loaded here only, typed loosely.
  // biome-ignore lint/suspicious/noExplicitAny: an untyped CommonJS load of a peer under test
  const ort: any = createRequire(import.meta.url)('onnxruntime-node');
  const backends = (ort.listSupportedBackends?.() ?? []).map((b: { name: string }) => b.name);
  if (!backends.includes(p.ep))
    throw new Error(`onnxruntime-node offers no ${p.ep} backend here (has: ${backends.join(', ') || 'none'})`);
  const { batch, size, repeat, seed, model } = job;
  const onnx = vgg16Onnx(model, size, seed);
  const session = await ort.InferenceSession.create(onnx.bytes, {
    executionProviders: [p.ep],
    graphOptimizationLevel: 'all',
    ...p.options(job),
  });
  const data = nhwcToNchw(sharedInput(batch, size, seed), [batch, size, size, 3]);
  const input = new ort.Tensor('float32', data, [batch, 3, size, size]);
  const want = [batch, ...onnx.outputShape];
  let digest: PeerOutcome['digest'];
  const forward = await timeSeconds(repeat, async () => {
    const out = await session.run({ [onnx.input]: input });
    const y = out[onnx.output];
    if (y.dims.join('x') !== want.join('x')) throw new Error(`output ${y.dims.join('x')}, expected ${want.join('x')}`);
    const [n, c, h, w] = want;
    digest = outputDigest(nchwToNhwc(y.data, want), [n, h, w, c]);
    y.dispose?.();
  });
  await session.release();
  return {
    peer: p.peer,
    version: String(ort.env?.versions?.node ?? ort.env?.versions?.common ?? '?'),
    backend: `${p.ep} EP`,
    forward,
    digest,
    notes: [
      `forward: InferenceSession.run on a ${(onnx.bytes.length / 2 ** 20).toFixed(1)} MiB ONNX model (${p.note}); no train step (inference-only runtime)`,
    ],
  };
}
