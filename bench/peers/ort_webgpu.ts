// Peer: onnxruntime-node 1.30 with its WebGPU execution provider (ORT bundles its own Dawn,
// which finds the same Vulkan adapter). CPU fallback is disabled, so every node runs on WebGPU
// or the session fails. Run as a child by bench/peers/run.ts:
//   node dist/bench/peers/ort_webgpu.js '{"model":"vgg16","batch":4,"size":150,"repeat":3,"train":false,"seed":1}'
import { runOrt } from './ort_common.js';
import { peerMain } from './spec.js';

void peerMain((job) =>
  runOrt(job, {
    peer: 'ort-webgpu',
    ep: 'webgpu',
    options: () => ({ extra: { session: { disable_cpu_ep_fallback: '1' } } }),
    note: 'no CPU fallback',
  }),
);
