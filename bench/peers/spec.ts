// What a peer run measures, shared by the parent (bench/peers/run.ts) and the peer child
// processes. Imports nothing from the engine but VGG16's table (a module that imports nothing),
// so a child never opens dawnflow's device.
import { VGG16_BLOCKS, vgg16Convs } from '../../src/ops/vgg16_convs.js';
import { directConvFlops } from '../flops.js';

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
  /** Also time a training step of the book's from-scratch convnet (RMSprop), where the peer can. */
  scratch?: boolean;
  seed: number;
  /** CPU threads a CPU peer may use (the machine's cores). */
  threads?: number;
}

/** A fingerprint of a forward's output, in NHWC order, that processes can compare. */
export interface OutputDigest {
  /** [batch, h, w, c]. */
  shape: number[];
  finite: boolean;
  meanAbs: number;
  /** DIGEST_SAMPLES values at evenly spaced flat indices (floor(i * length / DIGEST_SAMPLES)). */
  samples: number[];
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
  /** The from-scratch convnet's training step. */
  scratch?: { warmupS: number; samplesS: number[]; loss: number };
  /** The forward's output on the shared seeded weights and input (for the parent's check). */
  digest?: OutputDigest;
  notes?: string[];
}

export const DIGEST_SAMPLES = 64;

/** The digest of an NHWC output (bench/peers/torch_cpu.py computes the same in numpy). */
export function outputDigest(nhwc: ArrayLike<number>, shape: number[]): OutputDigest {
  let finite = true;
  let abs = 0;
  for (let i = 0; i < nhwc.length; i++) {
    const v = nhwc[i];
    if (!Number.isFinite(v)) finite = false;
    abs += Math.abs(v);
  }
  const n = nhwc.length;
  const samples = Array.from(
    { length: Math.min(DIGEST_SAMPLES, n) },
    (_, i) => nhwc[Math.floor((i * n) / DIGEST_SAMPLES)],
  );
  return { shape, finite, meanAbs: abs / Math.max(1, n), samples };
}

/** NCHW (ONNX, PyTorch) to NHWC, the order digests are taken in. */
export function nchwToNhwc(x: ArrayLike<number>, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let p = 0; p < h * w; p++) out[(b * h * w + p) * c + k] = x[(b * c + k) * h * w + p];
  return out;
}

/** NHWC to NCHW (the shared input, for the NCHW peers). */
export function nhwcToNchw(x: ArrayLike<number>, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++)
      for (let k = 0; k < c; k++) out[(b * c + k) * h * w + p] = x[(b * h * w + p) * c + k];
  return out;
}

/**
 * A peer's digest against dawnflow's: the shapes must agree and the outputs be finite (else an
 * error string); the sampled values agree within 1% of the largest one (float32 sums in another
 * order through 13 layers differ by far less; another layout or weight order by far more).
 */
export function compareDigests(ours: OutputDigest, peer: OutputDigest): { ok: boolean; summary: string } {
  if (ours.shape.join('x') !== peer.shape.join('x'))
    return { ok: false, summary: `output ${peer.shape.join('x')}, dawnflow's ${ours.shape.join('x')}` };
  if (!peer.finite) return { ok: false, summary: 'non-finite outputs' };
  const scale = Math.max(...ours.samples.map(Math.abs), ours.meanAbs, 1e-30);
  const worst = Math.max(0, ...ours.samples.map((v, i) => Math.abs(v - (peer.samples[i] ?? NaN))));
  const rel = worst / scale;
  const same = rel <= 1e-2;
  return {
    ok: true,
    summary: `${same ? 'matches' : 'DIFFERS from'} dawnflow: max abs diff ${rel.toExponential(1)} of the largest of ${ours.samples.length} sampled outputs`,
  };
}

/**
 * The shared random weights of conv k (0-based, in network order), HWIO as Keras stores them:
 * every system loads this stream (NCHW ones transpose it), so their outputs can be compared.
 */
export function convKernelHwio(seed: number, k: number, ci: number, co: number): Float32Array {
  return seeded(9 * ci * co, seed + 10 + k, glorotLimit(ci, co));
}

/** HWIO [3, 3, ci, co] to OIHW [co, ci, 3, 3] (ONNX, PyTorch). */
export function hwioToOihw(w: ArrayLike<number>, ci: number, co: number): Float32Array {
  const out = new Float32Array(9 * ci * co);
  for (let p = 0; p < 9; p++)
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[(o * ci + i) * 9 + p] = w[(p * ci + i) * co + o];
  return out;
}

/** The shared input batch in NHWC: the seeded stream mapped to [0, 1). */
export function sharedInput(batch: number, size: number, seed: number): Float32Array {
  return seeded(batch * size * size * 3, seed).map((v) => (v + 1) / 2);
}

export const RESULT_TAG = 'DAWNFLOW_PEER_RESULT ';

/** The conv blocks of a peer model: VGG16's five, or 'tiny' (block1 only, for quick checks). */
export function blocksOf(model: PeerModel): readonly (readonly number[])[] {
  return model === 'tiny' ? VGG16_BLOCKS.slice(0, 1) : VGG16_BLOCKS;
}

/** Multiply-adds (counted 2) of each conv's forward on one image. */
function convFlops(model: PeerModel, size: number): { block: number; conv: number; flops: number }[] {
  return vgg16Convs(size, blocksOf(model)).map((c) => ({
    ...c,
    flops: directConvFlops({ batch: 1, oh: c.hw, ow: c.hw, ci: c.ci, co: c.co, k: 3 }),
  }));
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

/** Runs fn `warmups` times untimed (the first one's seconds are warmupS), then `repeat` times; seconds each. */
export async function timeSeconds(
  repeat: number,
  fn: () => Promise<void>,
  warmups = 1,
): Promise<{ warmupS: number; samplesS: number[] }> {
  let t0 = performance.now();
  await fn();
  const warmupS = (performance.now() - t0) / 1000;
  for (let i = 1; i < warmups; i++) await fn();
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
