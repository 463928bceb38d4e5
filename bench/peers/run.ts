// `dawnflow bench --peers`: dawnflow's own conv-base forward and train step (last block + dense
// head, Adam), then the same workload in TensorFlow.js's WebGPU backend and onnxruntime-node's
// WebGPU EP, each in its own child process (they open their own device on the same adapter), with
// a timeout each. A peer that fails or times out is reported as such, with its one-line reason.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { currentGpu } from '../../src/gpu/engine.js';
import { Model, type Container } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { InputLayer } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import type { Layer } from '../../src/nn/layer.js';
import { chapterModel, unfreezeFrom } from '../../src/apps/chapter.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { trainOnBatch } from '../../src/nn/training.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { median } from '../harness.js';
import {
  blocksOf,
  forwardFlops,
  RESULT_TAG,
  seeded,
  timeSeconds,
  trainFlops,
  type PeerJob,
  type PeerModel,
  type PeerOutcome,
} from './spec.js';

export interface PeersOptions {
  model: PeerModel;
  batch: number;
  size: number;
  repeat: number;
  /** Seconds per peer child before it is killed and reported 'timed out'. */
  timeoutS: number;
  /** Which peers (default both). */
  only?: string[];
  /** dawnflow's own figures from the e2e suite of this run, when it measured the same job. */
  ours?: { forward: { warmupS: number; samplesS: number[] }; train: { warmupS: number; samplesS: number[] } };
}

export interface PeerRow {
  system: string;
  version?: string;
  status: 'ran' | 'failed' | 'timed out';
  reason?: string;
  workload: 'forward' | 'train';
  warmupS?: number;
  samplesS?: number[];
  medianS?: number;
  imagesPerSec?: number;
  gflops?: number;
  /** dawnflow's images/s over the peer's (above 1: dawnflow is faster). */
  oursOverPeer?: number;
  notes?: string[];
}

export interface PeersReport {
  job: PeerJob;
  adapter: string;
  flopsPerImage: { forward: number; train: number };
  timeoutS: number;
  rows: PeerRow[];
  wallS: number;
}

const PEERS: Record<string, { script: string; train: boolean }> = {
  'tfjs-webgpu': { script: 'tfjs_webgpu.js', train: true },
  'ort-webgpu': { script: 'ort_webgpu.js', train: false },
};

/** The conv base of a peer model as a dawnflow Model (VGG16's layer names, random weights). */
function convBase(model: PeerModel, size: number): Model {
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
  return new Model({ name: 'vgg16', layers });
}

/** dawnflow on the job: forward (inference, readback) and the train step, as the peers run them. */
export async function ourFigures(
  job: PeerJob,
): Promise<{ forward: { warmupS: number; samplesS: number[] }; train: { warmupS: number; samplesS: number[] } }> {
  const { model, batch, size, repeat, seed } = job;
  const base: Container = convBase(model, size);
  const full = chapterModel(base);
  const x = Tensor.fromArray(
    seeded(batch * size * size * 3, seed).map((v) => (v + 1) / 2),
    [batch, size, size, 3],
  );
  const y = Tensor.fromArray(
    Float32Array.from({ length: batch }, (_, i) => i % 2),
    [batch, 1],
  );
  try {
    const forward = await timeSeconds(repeat, async () => {
      const f = noGrad(() => base.apply(x, { training: false }));
      await f.data();
      f.dispose();
    });
    unfreezeFrom(base, `block${blocksOf(model).length}_conv1`);
    full.compile({ optimizer: new Adam({ lr: 1e-5 }), loss: 'binary_crossentropy', metrics: ['acc'] });
    const train = await timeSeconds(repeat, async () => {
      await trainOnBatch(full, { x, y, size: batch });
    });
    return { forward, train };
  } finally {
    full.dispose();
    x.dispose();
    y.dispose();
  }
}

interface ChildResult {
  outcome?: PeerOutcome;
  error?: string;
  timedOut: boolean;
  seconds: number;
}

/** Runs one peer child; its last RESULT_TAG line is the outcome (or its error). */
function runChild(script: string, job: PeerJob, timeoutS: number): Promise<ChildResult> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    const finish = (code: number | null, signal: string | null, spawnError?: Error) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      const tagged = `${out}\n${err}`
        .split('\n')
        .filter((l) => l.startsWith(RESULT_TAG))
        .pop();
      let parsed: (PeerOutcome & { error?: string }) | undefined;
      try {
        parsed = tagged ? JSON.parse(tagged.slice(RESULT_TAG.length)) : undefined;
      } catch {
        parsed = undefined;
      }
      if (timedOut) return resolve({ timedOut, seconds, error: `killed after ${timeoutS} s` });
      if (spawnError) return resolve({ timedOut, seconds, error: spawnError.message });
      if (parsed && !parsed.error && code === 0) return resolve({ timedOut, seconds, outcome: parsed });
      // One line: the child's own error, else the last line of its stderr, else the exit status.
      const lastErr = err
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('Warning:') && !l.startsWith('at '))
        .pop();
      const reason = parsed?.error ?? lastErr ?? `exited with ${signal ?? code}`;
      resolve({ timedOut, seconds, error: reason.slice(0, 300) });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function row(
  system: string,
  workload: 'forward' | 'train',
  t: { warmupS: number; samplesS: number[] },
  batch: number,
  flops: number,
): PeerRow {
  const med = median(t.samplesS);
  return {
    system,
    status: 'ran',
    workload,
    warmupS: t.warmupS,
    samplesS: t.samplesS,
    medianS: med,
    imagesPerSec: batch / med,
    gflops: (flops * batch) / med / 1e9,
  };
}

export async function runPeers(o: PeersOptions, log: (s: string) => void = console.log): Promise<PeersReport> {
  const started = performance.now();
  const job: PeerJob = { model: o.model, batch: o.batch, size: o.size, repeat: o.repeat, train: true, seed: 1 };
  const flops = { forward: forwardFlops(o.model, o.size), train: trainFlops(o.model, o.size) };
  const info = currentGpu().info;
  const adapter = `${info.description || info.device} (${info.software ? 'software' : 'hardware'})`;
  log(
    `peers: ${o.model === 'vgg16' ? 'VGG16 conv base' : 'tiny (VGG16 block1 only)'} at ${o.size}x${o.size}, batch ${o.batch}, ` +
      `${o.repeat} timed repeat(s) after one warm-up, random weights; each peer in its own process on the same adapter, ${o.timeoutS} s timeout`,
  );
  log(
    `  ${(flops.forward / 1e9).toFixed(3)} GFLOP/image forward, ${(flops.train / 1e9).toFixed(3)} GFLOP/image train step (last block + head)`,
  );

  const ours = o.ours ?? (await ourFigures(job));
  const rows: PeerRow[] = [
    { ...row('dawnflow', 'forward', ours.forward, o.batch, flops.forward), version: 'this tree' },
    { ...row('dawnflow', 'train', ours.train, o.batch, flops.train), version: 'this tree' },
  ];
  log(fmtRow(rows[0]));
  log(fmtRow(rows[1]));
  for (const [name, p] of Object.entries(PEERS)) {
    if (o.only && !o.only.includes(name)) continue;
    const r = await runChild(p.script, { ...job, train: p.train }, o.timeoutS);
    const workloads: ('forward' | 'train')[] = p.train ? ['forward', 'train'] : ['forward'];
    for (const w of workloads) {
      let pr: PeerRow;
      const t = r.outcome?.[w];
      if (r.outcome && t) {
        pr = { ...row(name, w, t, o.batch, flops[w]), version: r.outcome.version, notes: r.outcome.notes };
        const mine = rows.find((x) => x.system === 'dawnflow' && x.workload === w)!;
        pr.oursOverPeer = mine.imagesPerSec! / pr.imagesPerSec!;
      } else {
        pr = {
          system: name,
          workload: w,
          status: r.timedOut ? 'timed out' : 'failed',
          reason: r.error ?? (r.outcome ? `no ${w} figure reported` : 'no result'),
        };
      }
      rows.push(pr);
      log(fmtRow(pr));
    }
  }
  return {
    job,
    adapter,
    flopsPerImage: flops,
    timeoutS: o.timeoutS,
    rows,
    wallS: (performance.now() - started) / 1000,
  };
}

export function fmtRow(r: PeerRow): string {
  const head = `  ${r.system.padEnd(12)} ${r.workload.padEnd(8)}`;
  if (r.status !== 'ran') return `${head} ${r.status.toUpperCase()}: ${r.reason}`;
  const ratio = r.oursOverPeer === undefined ? '' : `  dawnflow/peer ${r.oursOverPeer.toFixed(2)}x`;
  return (
    `${head} ${r.medianS!.toFixed(3).padStart(9)} s/batch  ${r.imagesPerSec!.toFixed(3).padStart(9)} images/s  ` +
    `${r.gflops!.toFixed(2).padStart(7)} GFLOP/s  warm-up ${r.warmupS!.toFixed(1)} s${ratio}`
  );
}
