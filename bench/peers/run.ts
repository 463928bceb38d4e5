// `dawnflow bench --peers`: dawnflow's own conv-base forward, train step (last block + dense head,
// Adam) and the from-scratch convnet's step (RMSprop), then the same workloads in other systems,
// each in its own child process with a timeout: TensorFlow.js's WebGPU backend and
// onnxruntime-node's WebGPU EP on the same adapter, and two native CPU baselines on the cores
// lavapipe runs on (onnxruntime-node's CPU EP; PyTorch through python3, skipped with the reason
// when it cannot import torch). Every system loads the same seeded weights and input; each
// forward's output digest is checked against dawnflow's before its timings are reported.
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { currentGpu } from '../../src/gpu/engine.js';
import { Model, type Container } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { InputLayer } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import type { Layer } from '../../src/nn/layer.js';
import { chapterModel, unfreezeFrom } from '../../src/apps/chapter.js';
import { smallConvnet } from '../../src/apps/small_convnet.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { RMSprop } from '../../src/nn/optimizers/rmsprop.js';
import { trainOnBatch } from '../../src/nn/training.js';
import { noGrad } from '../../src/autograd/tape.js';
import { tidy } from '../../src/tensor/scope.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { mergeRounds, ratioRange } from './rounds.js';
import { row, type PeerRow, type Timing, type Workload } from './rows.js';
import { smallConvnetFlops } from '../flops.js';
import { runChild, torchAvailability } from './child.js';
import {
  blocksOf,
  compareDigests,
  convKernelHwio,
  forwardFlops,
  outputDigest,
  sharedInput,
  timeSeconds,
  trainFlops,
  type OutputDigest,
  type PeerJob,
  type PeerModel,
} from './spec.js';

export interface PeersOptions {
  model: PeerModel;
  batch: number;
  size: number;
  repeat: number;
  /** Seconds per peer child before it is killed and reported 'timed out'. */
  timeoutS: number;
  /** Which peers (default all). */
  only?: string[];
  /** The run's FMA ceiling (bench/ceilings.ts), GFLOP/s: each row's share of it. */
  fmaGflops?: number;
  /** The Python that runs the PyTorch peer (default /usr/bin/python3). */
  python?: string;
  /** Interleaved rounds of every system (rounds.ts); default 1. */
  rounds?: number;
}

export type { PeerRow, Workload } from './rows.js';

export interface PeersReport {
  job: PeerJob;
  adapter: string;
  flopsPerImage: Record<Workload, number>;
  timeoutS: number;
  fmaGflops?: number;
  /** CPU threads given to the CPU peers (the machine's cores). */
  threads: number;
  /** Interleaved rounds each system ran (rounds.ts); absent in reports from before them: 1. */
  rounds?: number;
  rows: PeerRow[];
  wallS: number;
}

interface Peer {
  /** A Node script beside this module, or a Python script run by `python`. */
  script: string;
  python?: boolean;
  workloads: Workload[];
}

export const PEERS: Record<string, Peer> = {
  'tfjs-webgpu': { script: 'tfjs_webgpu.js', workloads: ['forward', 'train'] },
  'ort-webgpu': { script: 'ort_webgpu.js', workloads: ['forward'] },
  'ort-cpu': { script: 'ort_cpu.js', workloads: ['forward'] },
  'torch-cpu': { script: 'torch_cpu.py', python: true, workloads: ['forward', 'train', 'scratch'] },
};

/** The conv base of a peer model as a dawnflow Model, with the shared seeded weights. */
function convBase(model: PeerModel, size: number, seed: number): Model {
  const layers: Layer[] = [new InputLayer({ inputShape: [size, size, 3] })];
  blocksOf(model).forEach((filters, b) => {
    filters.forEach((f, c) =>
      layers.push(
        new Conv2D({
          filters: f,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          name: `block${b + 1}_conv${c + 1}`,
        }),
      ),
    );
    layers.push(new MaxPooling2D({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }));
  });
  const m = new Model({ name: 'vgg16', layers });
  // Built by its InputLayer: load the kernels every peer loads, zero biases.
  const convs = m.layers.filter((l): l is Conv2D => l instanceof Conv2D);
  let ci = 3;
  convs.forEach((l, k) => {
    const [kernel, bias] = l.weights;
    const co = kernel.shape[3];
    kernel.assign(Tensor.fromArray(convKernelHwio(seed, k, ci, co), [3, 3, ci, co]));
    bias.assign(Tensor.fromArray(new Float32Array(co), [co]));
    ci = co;
  });
  return m;
}

export interface OurFigures {
  forward: Timing;
  train: Timing;
  scratch?: Timing;
  digest: OutputDigest;
}

/** dawnflow on the job: forward (inference, readback), the train step, the from-scratch step. */
export async function ourFigures(job: PeerJob): Promise<OurFigures> {
  const { model, batch, size, repeat, seed } = job;
  const base: Container = convBase(model, size, seed);
  const full = chapterModel(base);
  const x = Tensor.fromArray(sharedInput(batch, size, seed), [batch, size, size, 3]);
  const y = Tensor.fromArray(
    Float32Array.from({ length: batch }, (_, i) => i % 2),
    [batch, 1],
  );
  try {
    let digest: OutputDigest | undefined;
    const forward = await timeSeconds(repeat, async () => {
      // tidy(): the layers' intermediate outputs are freed, as predict() frees them.
      const f = tidy(() => noGrad(() => base.apply(x, { training: false })));
      digest = outputDigest((await f.data()) as Float32Array, [...f.shape]);
      f.dispose();
    });
    unfreezeFrom(base, `block${blocksOf(model).length}_conv1`);
    full.compile({ optimizer: new Adam({ lr: 1e-5 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const train = await timeSeconds(repeat, async () => {
      await trainOnBatch(full, { x, y, size: batch });
    });
    const scratch = job.scratch ? await scratchStep(job, x, y) : undefined;
    return { forward, train, scratch, digest: digest! };
  } finally {
    full.dispose();
    x.dispose();
    y.dispose();
  }
}

/** The book's from-scratch convnet: one training step (RMSprop 1e-4, as the chapter's baseline). */
async function scratchStep(job: PeerJob, x: Tensor, y: Tensor): Promise<Timing> {
  const net = smallConvnet([job.size, job.size, 3]);
  net.compile({ optimizer: new RMSprop({ lr: 1e-4 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  try {
    return await timeSeconds(job.repeat, async () => {
      await trainOnBatch(net, { x, y, size: job.batch });
    });
  } finally {
    net.dispose();
  }
}

/** The script of a peer, in dist/ for Node ones; Python ones are not compiled, so from the tree. */
function scriptPath(p: Peer): string {
  const here = fileURLToPath(new URL(`./${p.script}`, import.meta.url));
  if (!p.python || existsSync(here)) return here;
  // dist/bench/peers/ -> bench/peers/ of the tree.
  return fileURLToPath(new URL(`../../../bench/peers/${p.script}`, import.meta.url));
}

/** The rows of one peer: its workloads from the child's outcome, or its failure on each. */
export async function peerRows(
  name: string,
  p: Peer,
  job: PeerJob,
  o: PeersOptions,
  flops: Record<Workload, number>,
  ours: PeerRow[],
  digest: OutputDigest,
): Promise<PeerRow[]> {
  const workloads = p.workloads.filter((w) => w !== 'scratch' || job.scratch);
  let command = process.execPath;
  let version: string | undefined;
  if (p.python) {
    const t = torchAvailability(o.python ?? DEFAULT_PYTHON);
    if (!t.ok) return workloads.map((w) => ({ system: name, workload: w, status: 'skipped', reason: t.reason }));
    command = o.python ?? DEFAULT_PYTHON;
    version = t.version;
  }
  const childJob = { ...job, train: workloads.includes('train'), scratch: workloads.includes('scratch') };
  const r = await runChild(command, scriptPath(p), childJob, o.timeoutS);
  const check = r.outcome?.digest ? compareDigests(digest, r.outcome.digest) : undefined;
  return workloads.map((w): PeerRow => {
    const t = r.outcome?.[w];
    if (!r.outcome || !t) {
      const reason = r.error ?? (r.outcome ? `no ${w} figure reported` : 'no result');
      return { system: name, workload: w, status: r.timedOut ? 'timed out' : 'failed', reason };
    }
    if (check && !check.ok)
      return { system: name, workload: w, status: 'failed', reason: `forward output: ${check.summary}` };
    const pr: PeerRow = {
      ...row(name, w, t, job.batch, flops[w], o.fmaGflops),
      version: r.outcome.version ?? version,
      notes: r.outcome.notes,
      validation: w === 'forward' ? (check?.summary ?? 'no output digest reported') : undefined,
    };
    const mine = ours.find((x) => x.workload === w);
    if (mine?.imagesPerSec) pr.oursOverPeer = mine.imagesPerSec / pr.imagesPerSec!;
    return pr;
  });
}

export const DEFAULT_PYTHON = '/usr/bin/python3';

export async function runPeers(o: PeersOptions, log: (s: string) => void = console.log): Promise<PeersReport> {
  const started = performance.now();
  const threads = cpus().length;
  // The from-scratch convnet needs 48+ pixels (four valid convs and pools).
  const scratch = o.size >= 48;
  const job: PeerJob = {
    model: o.model,
    batch: o.batch,
    size: o.size,
    repeat: o.repeat,
    train: true,
    scratch,
    seed: 1,
    threads,
  };
  const sc = smallConvnetFlops(o.size);
  const flops = { forward: forwardFlops(o.model, o.size), train: trainFlops(o.model, o.size), scratch: sc.train };
  const info = currentGpu().info;
  const adapter = `${info.description || info.device} (${info.software ? 'software' : 'hardware'})`;
  log(
    `peers: ${o.model === 'vgg16' ? 'VGG16 conv base' : 'tiny (VGG16 block1 only)'} at ${o.size}x${o.size}, batch ${o.batch}, ` +
      `${o.repeat} timed repeat(s) after one warm-up, shared seeded weights; each peer in its own process, ${o.timeoutS} s timeout, ` +
      `CPU peers on ${threads} threads`,
  );
  log(
    `  ${(flops.forward / 1e9).toFixed(3)} GFLOP/image forward, ${(flops.train / 1e9).toFixed(3)} GFLOP/image train step (last block + head), ` +
      `${(flops.scratch / 1e9).toFixed(3)} GFLOP/image from-scratch convnet step`,
  );

  const rounds = Math.max(1, o.rounds ?? 1);
  const perRound: PeerRow[][] = [];
  for (let k = 0; k < rounds; k++) {
    if (rounds > 1) log(`  round ${k + 1} of ${rounds}`);
    perRound.push(await oneRound(job, o, flops, log));
  }
  const rows = mergeRounds(perRound, { batch: o.batch, flops, fma: o.fmaGflops });
  if (rounds > 1) {
    log(`  all ${rounds} rounds (medians of every sample; the ratio's range over the rounds in brackets):`);
    for (const r of rows) log(fmtRow(r));
  }
  return {
    job,
    adapter,
    flopsPerImage: flops,
    timeoutS: o.timeoutS,
    fmaGflops: o.fmaGflops,
    threads,
    rounds,
    rows,
    wallS: (performance.now() - started) / 1000,
  };
}

/** dawnflow's workloads, then each peer's (each in its own process), every row logged. */
async function oneRound(
  job: PeerJob,
  o: PeersOptions,
  flops: Record<Workload, number>,
  log: (s: string) => void,
): Promise<PeerRow[]> {
  const ours = await ourFigures(job);
  const rows: PeerRow[] = (['forward', 'train', 'scratch'] as const)
    .filter((w) => ours[w])
    .map((w) => ({ ...row('dawnflow', w, ours[w]!, o.batch, flops[w], o.fmaGflops), version: 'this tree' }));
  for (const r of rows) log(fmtRow(r));
  for (const [name, p] of Object.entries(PEERS)) {
    if (o.only && !o.only.includes(name)) continue;
    for (const pr of await peerRows(name, p, job, o, flops, rows.slice(0, 3), ours.digest)) {
      rows.push(pr);
      log(fmtRow(pr));
    }
  }
  return rows;
}

export function fmtRow(r: PeerRow): string {
  const head = `  ${r.system.padEnd(12)} ${r.workload.padEnd(8)}`;
  if (r.status !== 'ran') return `${head} ${r.status.toUpperCase()}: ${r.reason}`;
  const ratio = r.oursOverPeer === undefined ? '' : `  dawnflow/peer ${r.oursOverPeer.toFixed(2)}x${ratioRange(r)}`;
  const share = r.ofFmaPeak === undefined ? '' : ` (${(100 * r.ofFmaPeak).toFixed(1)}% of FMA)`;
  return (
    `${head} ${r.medianS!.toFixed(3).padStart(9)} s/batch  ${r.imagesPerSec!.toFixed(3).padStart(9)} images/s  ` +
    `${r.gflops!.toFixed(2).padStart(7)} GFLOP/s${share}  warm-up ${r.warmupS!.toFixed(1)} s${ratio}` +
    (r.validation ? `  [${r.validation}]` : '')
  );
}
