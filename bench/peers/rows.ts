// One system's figures on one peers workload (bench/peers/run.ts): the row a table shows and
// the JSON keeps, and how a timing becomes one. Its own module so that run.ts, which runs the
// systems, and rounds.ts, which merges their rounds, both build on it without importing each other.
import { median } from '../harness.js';

export type Workload = 'forward' | 'train' | 'scratch';

export interface PeerRow {
  system: string;
  version?: string;
  status: 'ran' | 'failed' | 'timed out' | 'skipped';
  reason?: string;
  workload: Workload;
  warmupS?: number;
  samplesS?: number[];
  medianS?: number;
  imagesPerSec?: number;
  gflops?: number;
  /** Share of the run's FMA ceiling. */
  ofFmaPeak?: number;
  /** dawnflow's images/s over the peer's (above 1: dawnflow is faster). */
  oursOverPeer?: number;
  /** The forward's output against dawnflow's (shape, finite, sampled values). */
  validation?: string;
  notes?: string[];
  /** With several rounds (rounds.ts): each round's median, s/batch. */
  roundMediansS?: number[];
  /** With several rounds: oursOverPeer within each round. */
  roundRatios?: number[];
}

export type Timing = { warmupS: number; samplesS: number[] };

/** One system's row for one workload from its timing: median, images/s, GFLOP/s, share of FMA. */
export function row(
  system: string,
  workload: Workload,
  t: Timing,
  batch: number,
  flops: number,
  fma?: number,
): PeerRow {
  const med = median(t.samplesS);
  const gflops = (flops * batch) / med / 1e9;
  return {
    system,
    status: 'ran',
    workload,
    warmupS: t.warmupS,
    samplesS: t.samplesS,
    medianS: med,
    imagesPerSec: batch / med,
    gflops,
    ofFmaPeak: fma && fma > 0 ? gflops / fma : undefined,
  };
}
