// What a peer run measures, shared by the parent (bench/peers/run.ts) and the peer child
// processes. Imports nothing from the engine but VGG16's table (a module that imports nothing),
// so a child never opens dawnflow's device.
import { VGG16_BLOCKS, vgg16Convs } from '../../src/ops/vgg16_convs.js';

export type PeerModel = 'vgg16' | 'tiny';

/** The job a parent hands a peer child as its one argv JSON argument. */
export interface PeerJob {
  model: PeerModel;
  batch: number;
  size: number;
  /** Timed repeats after one warm-up. */
  repeat: number;
  /** Also time a train step (last block + dense head trainable, Adam), where the peer can. */
  train: boolean;
  seed: number;
}

/** What a child prints as its last stdout line, after RESULT_TAG. */
export interface PeerOutcome {
  peer: string;
  version: string;
  backend: string;
  adapter?: string;
  /** Seconds: the first call (compiles shaders / pipelines), then each timed repeat. */
  forward?: { warmupS: number; samplesS: number[] };
  train?: { warmupS: number; samplesS: number[]; loss: number };
  notes?: string[];
}

export const RESULT_TAG = 'DAWNFLOW_PEER_RESULT ';

/** The conv blocks of a peer model: VGG16's five, or 'tiny' (block1 only, for quick checks). */
export function blocksOf(model: PeerModel): readonly (readonly number[])[] {
  return model === 'tiny' ? VGG16_BLOCKS.slice(0, 1) : VGG16_BLOCKS;
}

/** Multiply-adds (counted 2) of each conv's forward on one image. */
function convFlops(model: PeerModel, size: number): { block: number; conv: number; flops: number }[] {
  return vgg16Convs(size, blocksOf(model)).map((c) => ({ ...c, flops: 2 * c.hw * c.hw * c.co * 9 * c.ci }));
}

/** Forward GFLOP of one image (multiply-adds count 2; pools and relu not counted). */
export function forwardFlops(model: PeerModel, size: number): number {
  return convFlops(model, size).reduce((n, c) => n + c.flops, 0);
}

/** Flattened features of the conv base (the dense head's input). */
export function featureSize(model: PeerModel, size: number): number {
  const blocks = blocksOf(model);
  const hw = Math.floor(size / 2 ** blocks.length);
  return hw * hw * blocks[blocks.length - 1].at(-1)!;
}

/**
 * One train step of one image: the whole forward, then the last block's weight gradients and
 * its input gradients except at its first conv (nothing below it is trainable), and the head
 * (Dense 256 relu, Dense 1) forward and backward.
 */
export function trainFlops(model: PeerModel, size: number): number {
  const lastBlock = blocksOf(model).length;
  const last = convFlops(model, size)
    .filter((c) => c.block === lastBlock)
    .reduce((n, c) => n + c.flops + (c.conv > 1 ? c.flops : 0), 0);
  const head = 2 * featureSize(model, size) * 256 + 2 * 256;
  return forwardFlops(model, size) + last + 3 * head;
}

/** A seeded uniform [-scale, scale) stream (LCG), the same in every process. */
export function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Glorot-uniform limit of a 3x3 conv (fan_in 9*ci, fan_out 9*co). */
export function glorotLimit(ci: number, co: number): number {
  return Math.sqrt(6 / (9 * ci + 9 * co));
}

/** Runs fn once as warm-up, then `repeat` times; seconds each. */
export async function timeSeconds(
  repeat: number,
  fn: () => Promise<void>,
): Promise<{ warmupS: number; samplesS: number[] }> {
  let t0 = performance.now();
  await fn();
  const warmupS = (performance.now() - t0) / 1000;
  const samplesS: number[] = [];
  for (let i = 0; i < repeat; i++) {
    t0 = performance.now();
    await fn();
    samplesS.push((performance.now() - t0) / 1000);
  }
  return { warmupS, samplesS };
}

/** Child side: parse the job, run, print the outcome line; any failure exits 1 with one line. */
export async function peerMain(run: (job: PeerJob) => Promise<PeerOutcome>): Promise<void> {
  try {
    const job = JSON.parse(process.argv[2] ?? '') as PeerJob;
    const outcome = await run(job);
    process.stdout.write(`\n${RESULT_TAG}${JSON.stringify(outcome)}\n`);
    process.exit(0);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    process.stderr.write(`\n${RESULT_TAG}${JSON.stringify({ error: msg.slice(0, 400) })}\n`);
    process.exit(1);
  }
}
