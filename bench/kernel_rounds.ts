// The kernel suite in rounds (`bench --rounds N`): every case is timed once per round, the rounds
// one after another over the whole suite, and a case's figures are of all its rounds' samples.
// On a shared machine a busy spell lasts seconds to minutes and slows every sample of the cases
// it falls on; spread over rounds minutes apart, a case's median and minimum are far less often
// all from one spell. Figures computed from several cases (the conv+pool pair table) gain most.
import { median, type BenchResult } from './harness.js';

/**
 * One case's results over the rounds, as one result: every sample, its median and minimum, and
 * the rates from the median. The first failed round's result where any failed (the suite reports
 * it like a one-round failure).
 */
export function mergeRounds(rounds: BenchResult[]): BenchResult {
  const failed = rounds.find((r) => r.error);
  if (failed || rounds.length === 1) return failed ?? rounds[0];
  const first = rounds[0];
  const wallSamples = rounds.flatMap((r) => r.wallSamples);
  // A round that fell back to wall time makes the samples incomparable: wall time throughout.
  const mixed = rounds.some((r) => r.timing !== first.timing);
  const timed = mixed ? wallSamples : rounds.flatMap((r) => r.samples);
  const m = median(timed);
  return {
    ...first,
    timing: mixed ? rounds.find((r) => r.timing.startsWith('wall'))!.timing : first.timing,
    medianMs: m,
    minMs: Math.min(...timed),
    gflops: first.flops / (m * 1e6),
    gbps: first.bytes / (m * 1e6),
    samples: timed,
    wallSamples,
  };
}
