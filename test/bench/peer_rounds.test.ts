// The peers' interleaved rounds (bench/peers/rounds.ts), on made-up timings: medians over every
// round's samples, each round's ratio from that round's two medians, failures kept with their round.
import { describe, expect, test } from 'vitest';
import { mergeRounds, ratioRange } from '../../bench/peers/rounds.js';
import { row, type PeerRow, type Workload } from '../../bench/peers/rows.js';

const FLOPS: Record<Workload, number> = { forward: 1e9, train: 2e9, scratch: 3e8 };
const JOB = { batch: 4, flops: FLOPS, fma: 80 };

const ran = (system: string, workload: Workload, samplesS: number[]): PeerRow => ({
  ...row(system, workload, { warmupS: samplesS[0] * 2, samplesS }, 4, FLOPS[workload], 80),
  version: system === 'dawnflow' ? 'this tree' : '1.0',
});

describe('mergeRounds', () => {
  test('one round: the rows as they were, the ratio on their medians, no per-round figures', () => {
    const [ours, peer] = mergeRounds(
      [[ran('dawnflow', 'forward', [0.6, 0.5, 0.7]), ran('torch', 'forward', [0.3, 0.2, 0.25])]],
      JOB,
    );
    expect(ours.medianS).toBe(0.6);
    expect(peer.medianS).toBe(0.25);
    expect(peer.oursOverPeer).toBeCloseTo(0.25 / 0.6, 12);
    expect(peer.roundRatios).toBeUndefined();
    expect(ratioRange(peer)).toBe('');
  });

  test('rounds: the median of all samples, each round its own ratio, the first warm-up', () => {
    // The machine slows by 2x in round 2 for both systems: each round's ratio stays 0.5.
    const r1 = [ran('dawnflow', 'forward', [0.4, 0.4, 0.4]), ran('torch', 'forward', [0.2, 0.2, 0.2])];
    const r2 = [ran('dawnflow', 'forward', [0.8, 0.8, 0.8]), ran('torch', 'forward', [0.4, 0.4, 0.4])];
    const r3 = [ran('dawnflow', 'forward', [0.5, 0.5, 0.5]), ran('torch', 'forward', [0.2, 0.2, 0.2])];
    const [ours, peer] = mergeRounds([r1, r2, r3], JOB);
    expect(ours.samplesS).toHaveLength(9);
    expect(ours.medianS).toBe(0.5);
    expect(ours.warmupS).toBe(0.8);
    expect(ours.roundMediansS).toEqual([0.4, 0.8, 0.5]);
    expect(ours.imagesPerSec).toBeCloseTo(8, 12);
    expect(ours.gflops).toBeCloseTo(8, 12);
    expect(peer.medianS).toBe(0.2);
    expect(peer.roundRatios).toEqual([0.5, 0.5, 0.4]);
    expect(peer.oursOverPeer).toBeCloseTo(0.4, 12);
    expect(ratioRange(peer)).toBe(' (0.40-0.50)');
    expect(peer.version).toBe('1.0');
  });

  test('a round that failed: the row is that failure, naming its round; the others still merge', () => {
    const r1 = [ran('dawnflow', 'train', [1]), ran('torch', 'train', [0.5]), ran('torch', 'scratch', [0.1])];
    const timedOut: PeerRow = { system: 'torch', workload: 'train', status: 'timed out', reason: 'killed after 900 s' };
    const r2 = [ran('dawnflow', 'train', [1]), timedOut, ran('torch', 'scratch', [0.1])];
    const merged = mergeRounds([r1, r2], JOB);
    expect(merged.map((r) => r.status)).toEqual(['ran', 'timed out', 'ran']);
    expect(merged[1].reason).toBe('round 2 of 2: killed after 900 s');
    expect(merged[1].oursOverPeer).toBeUndefined();
    // No dawnflow scratch row: the peer's scratch has nothing to be compared with.
    expect(merged[2].oursOverPeer).toBeUndefined();
  });

  test('a peer skipped in every round: skipped for its reason, no round named', () => {
    const skipped: PeerRow = { system: 'torch', workload: 'scratch', status: 'skipped', reason: 'no PyTorch' };
    const merged = mergeRounds(
      [
        [ran('dawnflow', 'scratch', [1]), skipped],
        [ran('dawnflow', 'scratch', [1]), skipped],
      ],
      JOB,
    );
    expect(merged[1]).toEqual(skipped);
  });

  test('no rounds: no rows', () => {
    expect(mergeRounds([], JOB)).toEqual([]);
  });
});
