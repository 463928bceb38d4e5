// Interleaved rounds of `dawnflow bench --peers --rounds N`. On the shared 2-core VM the machine's
// speed drifts between minutes: five full peers runs of one day timed PyTorch's VGG16 forward at
// 0.25-0.42 s/batch and its block5 step at 0.30-0.71, while dawnflow's moved less, so a ratio of
// two systems timed minutes apart said as much about the drift as about the systems (0.43x to
// 0.74x for the same tree). With N rounds every system runs its workloads once per round,
// dawnflow first and then each peer, so each round's ratio compares neighbours in time; a
// system's figure is the median of all its rounds' samples, and the rounds' own medians and
// ratios are kept so the report shows their spread.
import { row, type PeerRow, type Workload } from './rows.js';

export interface RoundsJob {
  batch: number;
  flops: Record<Workload, number>;
  fma?: number;
}

const keyOf = (r: PeerRow) => `${r.system}\u0000${r.workload}`;

/**
 * One system and workload over every round: where no round ran it, the first round's row (a
 * skipped peer stays skipped for its reason); where only some did, the first failure, named by
 * its round; else a row over all the rounds' samples (the first round's warm-up: the compiles
 * happen there) with each round's median.
 */
function mergeOne(rows: PeerRow[], job: RoundsJob): PeerRow {
  if (rows.every((r) => r.status !== 'ran')) return rows[0];
  const bad = rows.findIndex((r) => r.status !== 'ran');
  if (bad >= 0) {
    const r = rows[bad];
    return { ...r, reason: `round ${bad + 1} of ${rows.length}: ${r.reason ?? r.status}` };
  }
  const first = rows[0];
  const samplesS = rows.flatMap((r) => r.samplesS ?? []);
  const merged = row(
    first.system,
    first.workload,
    { warmupS: first.warmupS!, samplesS },
    job.batch,
    job.flops[first.workload],
    job.fma,
  );
  return {
    ...merged,
    version: first.version,
    notes: first.notes,
    validation: first.validation,
    ...(rows.length > 1 && { roundMediansS: rows.map((r) => r.medianS!) }),
  };
}

/**
 * The rows of every round merged per system and workload (first round's order), each peer's
 * ratio to dawnflow recomputed on the merged medians and, over several rounds, per round
 * (dawnflow's images/s over the peer's, both measured in that round).
 */
export function mergeRounds(rounds: PeerRow[][], job: RoundsJob): PeerRow[] {
  if (rounds.length === 0) return [];
  const byKey = new Map<string, PeerRow[]>();
  for (const round of rounds)
    for (const r of round) {
      const list = byKey.get(keyOf(r)) ?? [];
      list.push(r);
      byKey.set(keyOf(r), list);
    }
  const merged = rounds[0].map((r) => mergeOne(byKey.get(keyOf(r))!, job));
  const ours = (w: Workload) => merged.find((r) => r.system === 'dawnflow' && r.workload === w);
  for (const r of merged) {
    const mine = ours(r.workload);
    if (r.system === 'dawnflow' || r.status !== 'ran' || mine?.status !== 'ran') continue;
    r.oursOverPeer = mine.imagesPerSec! / r.imagesPerSec!;
    if (r.roundMediansS && mine.roundMediansS)
      r.roundRatios = r.roundMediansS.map((p, k) => p / mine.roundMediansS![k]);
  }
  return merged;
}

/** A ratio's range over the rounds, " (0.41-0.47)", or nothing with one round. */
export function ratioRange(r: PeerRow): string {
  const rs = r.roundRatios;
  if (!rs || rs.length < 2) return '';
  return ` (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
}
