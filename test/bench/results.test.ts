// RESULTS.md's new columns, rendered from a hand-made report (no device): every kernel, e2e,
// scaling and peer figure as a share of the FMA ceiling, the ceilings paragraph, the load
// average, the peers' forward check and a skipped peer's reason.
import { describe, expect, test } from 'vitest';
import type { Ceilings } from '../../bench/ceilings.js';
import type { BenchResult } from '../../bench/harness.js';
import type { E2eReport } from '../../bench/e2e.js';
import type { PeersReport } from '../../bench/peers/run.js';
import { renderSections, type BenchReport } from '../../bench/results.js';
import type { KernelReport } from '../../bench/run.js';
import { timeSeconds } from '../../bench/peers/spec.js';

const result = (name: string, gflops: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  name,
  group: 'conv',
  shape: 's',
  validated: 'ok',
  timing: 'wall',
  medianMs: 10,
  minMs: 9,
  gflops,
  gbps: 5,
  inner: 1,
  samples: [9, 10, 11],
  wallSamples: [9, 10, 11],
  flops: gflops * 1e7,
  bytes: 5e7,
  ...extra,
});

const ceilings: Ceilings = {
  fmaGflops: 80,
  fma: result('fma/ceiling', 75, {
    shape: '16384 invocations x 1024 rounds x 16 vec4 x 4 fma',
    validated: 'max relative |d| 0',
  }),
  copyGBs: 20,
  matmulGflops: 24,
  matmul: result('matmul_1024/ceiling', 24),
};

function report(): BenchReport {
  const kernels = {
    batch: 4,
    size: 150,
    timing: { warmup: 1, repeat: 1, quick: true, targetMs: 300, timestamps: true, method: 'gpu-timestamps' },
    filter: null,
    ceilings,
    pipelines: 3,
    results: [result('block3_conv2/forward', 40, { ofFmaPeak: 0.5, ofCopyBandwidth: 0.25 })],
    wallS: 12,
  } satisfies KernelReport;
  const timed = { warmupS: 2, samplesS: [1] };
  const e2e = {
    batch: 4,
    size: 150,
    repeat: 1,
    convBaseForwardImagesPerSec: 2,
    approach2StepImagesPerSec: 1,
    approach3StepImagesPerSec: 1.5,
    approach1HeadEpochSeconds: 3,
    gflops: { forward: 20, approach2: 10, approach3: 16 },
    timings: { forward: timed, approach2: timed, approach3: timed },
    chapterEpochEstimateSeconds: {},
  } as unknown as E2eReport;
  const peers: PeersReport = {
    job: { model: 'vgg16', batch: 4, size: 150, repeat: 1, train: true, scratch: true, seed: 1, threads: 2 },
    adapter: 'llvmpipe (software)',
    flopsPerImage: { forward: 14e9, train: 20e9, scratch: 1e9 },
    timeoutS: 900,
    fmaGflops: 80,
    threads: 2,
    rows: [
      {
        system: 'dawnflow',
        version: 'this tree',
        status: 'ran',
        workload: 'forward',
        medianS: 2,
        imagesPerSec: 2,
        gflops: 28,
        ofFmaPeak: 0.35,
        warmupS: 3,
      },
      {
        system: 'ort-cpu',
        version: '1.30.0',
        status: 'ran',
        workload: 'forward',
        medianS: 1,
        imagesPerSec: 4,
        gflops: 56,
        ofFmaPeak: 0.7,
        warmupS: 1,
        oursOverPeer: 0.5,
        validation: 'matches dawnflow: max |d| 1e-6',
      },
      {
        system: 'torch-cpu',
        status: 'skipped',
        workload: 'scratch',
        reason: 'no PyTorch: python3 cannot import torch',
      },
    ],
    wallS: 100,
  };
  const scaling = {
    repeat: 1,
    wallS: 30,
    points: [
      {
        sweep: 'batch' as const,
        batch: 2,
        size: 150,
        imagesPerSec: 2,
        gflops: 40,
        medianS: 1,
        warmupS: 2,
        peakBytes: 300 * 2 ** 20,
      },
      {
        sweep: 'batch' as const,
        batch: 40,
        size: 150,
        imagesPerSec: 8,
        gflops: 100,
        medianS: 5,
        warmupS: 6,
        peakBytes: 1000 * 2 ** 20,
        microBatch: 23,
      },
    ],
  };
  return {
    tool: 'dawnflow bench',
    date: '2025-01-01T00:00:00Z',
    command: 'dawnflow bench',
    node: 'v20',
    adapter: { info: { description: 'llvmpipe', software: true }, features: ['timestamp-query'], limits: {} },
    load: { cores: 2, start: [3.5, 2, 1], end: [4, 2.5, 1.25] },
    ceilings,
    kernels,
    e2e,
    peers,
    scaling,
  };
}

describe('RESULTS.md with the ceilings', () => {
  const s = renderSections(report());

  test('kernels: of FMA peak replaces of matmul; the ceilings paragraph and the load average', () => {
    expect(s.kernels).toContain('| case | shape | median ms | min ms | GFLOP/s | of FMA peak | GB/s | of copy |');
    expect(s.kernels).not.toContain('of matmul');
    expect(s.kernels).toContain('| block3_conv2/forward | s | 10.00 | 9.00 | 40.00 | 50.0% | 5.00 | 25.0% |');
    expect(s.kernels).toMatch(/\*\*FMA 80\.0 GFLOP\/s\*\*.*validated against the CPU: max relative/);
    expect(s.kernels).toContain('**device copy 20.0 GB/s**');
    expect(s.kernels).toContain("direct convolution's FLOPs whatever variant ran (Winograd included)");
    expect(s.kernels).toContain(
      'Load average (1/5/15 min) on 2 cores: 3.50 / 2.00 / 1.00 at the start, 4.00 / 2.50 / 1.25 at the end',
    );
  });

  test('kernels: pooling where it runs, the pair beside its conv and pool apart', () => {
    const r = report();
    r.kernels!.results = [
      result('block1_conv2/forward', 90, { minMs: 75 }),
      result('block1_pool/forward', 1, { group: 'pool', minMs: 4 }),
      result('block1_pool/forward_nograd', 1, { group: 'pool', minMs: 3 }),
      result('block1_conv2+block1_pool/forward_nograd', 90, { group: 'conv_pool', minMs: 74 }),
      result('block1_conv2+block1_pool/forward', 90, { group: 'conv_pool', minMs: 76 }),
      // A pair whose pool did not run gets no row.
      result('block2_conv2+block2_pool/forward', 90, { group: 'conv_pool', minMs: 50 }),
    ];
    const k = renderSections(r).kernels!;
    expect(k).toContain('| pair | pass | conv | pool | apart | pair | saved |');
    expect(k).toContain('| block1_conv2 + block1_pool | no gradient | 75.00 | 3.00 | 78.00 | 74.00 | 4.00 (5%) |');
    expect(k).toContain('| block1_conv2 + block1_pool | winners kept | 75.00 | 4.00 | 79.00 | 76.00 | 3.00 (4%) |');
    expect(k).not.toContain('| block2_conv2 + block2_pool |');
    // The pairs are not counted again in the conv sum.
    expect(k).toContain('Conv cases together: 10 ms');
    expect(s.kernels).not.toContain('Pooling where it runs');
    expect(s.kernels).not.toContain('rounds over the whole suite');
    r.kernels!.rounds = 3;
    expect(renderSections(r).kernels).toContain(
      "1 timed rep(s) in each of 3 rounds over the whole suite (a case's median and min are of every round's samples)",
    );
  });

  test('e2e and scaling: shares of the FMA ceiling', () => {
    expect(s.e2e).toContain('| conv-base forward | 2.000 | 20.00 | 25.0% |');
    expect(s.scaling).toContain('| batch | 2 | 150 | 2.000 | 40.00 | 50.0% | 1.000 | 300 |');
    expect(s.scaling).toContain('| batch | 40 (micro-batches of 23) | 150 | 8.000 | 100.00 | 125.0% | 5.000 | 1000 |');
    // A report from before scaling took two warm-ups says one; a new one says how many.
    expect(s.scaling).toContain('1 timed repeat(s) after one warm-up per point');
    const r = report();
    r.scaling!.warmups = 2;
    expect(renderSections(r).scaling).toContain('1 timed repeat(s) after 2 warm-ups per point');
  });

  test('timeSeconds: the warm-ups run untimed, the first one timed as warmupS', async () => {
    let calls = 0;
    const t = await timeSeconds(3, async () => void calls++, 2);
    expect(calls).toBe(5);
    expect(t.samplesS).toHaveLength(3);
    expect(t.warmupS).toBeGreaterThanOrEqual(0);
  });

  test('peers in rounds: the rounds in the preamble, each ratio with its range over the rounds', () => {
    const r = report();
    r.peers!.rounds = 3;
    r.peers!.rows[1].roundRatios = [0.41, 0.55, 0.5];
    const p = renderSections(r).peers!;
    expect(p).toContain('in 3 interleaved rounds (dawnflow, then each peer, then again)');
    expect(p).toContain('| 1.0 | 0.50x (0.41-0.55) | matches dawnflow');
    expect(s.peers).not.toContain('interleaved');
  });

  test('peers: images/s, GFLOP/s, share, ratio, the forward check; a skipped peer with its reason', () => {
    expect(s.peers).toContain(
      '| system | workload | status | median s/batch | images/s | GFLOP/s | of FMA peak | warm-up s | dawnflow / peer | forward check |',
    );
    expect(s.peers).toContain(
      '| dawnflow this tree | forward | ran | 2.000 | 2.000 | 28.00 | 35.0% | 3.0 | - | the reference |',
    );
    expect(s.peers).toContain(
      '| ort-cpu 1.30.0 | forward | ran | 1.000 | 4.000 | 56.00 | 70.0% | 1.0 | 0.50x | matches dawnflow: max \\|d\\| 1e-6 |',
    );
    expect(s.peers).toContain(
      '| torch-cpu | small convnet step | **skipped**: no PyTorch: python3 cannot import torch |',
    );
  });

  test('an older report (ceilings inside the kernel suite, no FMA ceiling) still renders', () => {
    const old = report();
    delete old.ceilings;
    old.kernels!.ceilings = { copyGBs: 20, matmulGflops: 24 } as Ceilings;
    const o = renderSections(old);
    expect(o.kernels).toContain('**FMA - GFLOP/s**');
    expect(o.e2e).toContain('| conv-base forward | 2.000 | 20.00 | - |');
  });
});
