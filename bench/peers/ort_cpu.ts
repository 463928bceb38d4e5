// Peer: onnxruntime-node 1.30 with its CPU execution provider (MLAS kernels), a native CPU
// baseline on the same cores lavapipe runs on: as many intra-op threads as the machine has
// cores, one inter-op thread. Run as a child by bench/peers/run.ts:
//   node dist/bench/peers/ort_cpu.js '{"model":"vgg16","batch":4,"size":150,"repeat":3,"train":false,"seed":1,"threads":2}'
import { cpus } from 'node:os';
import { runOrt } from './ort_common.js';
import { peerMain } from './spec.js';

void peerMain((job) => {
  const threads = job.threads ?? cpus().length;
  return runOrt(job, {
    peer: 'ort-cpu',
    ep: 'cpu',
    options: () => ({ intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' }),
    note: `${threads} intra-op threads`,
  });
});
