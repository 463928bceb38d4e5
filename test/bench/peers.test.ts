// The peers' plumbing, without timing anything: the PyTorch peer is skipped with its reason when
// python3 cannot import torch (a fake python stands in), every system gets the same weights and
// input in its own layout, and output digests compare as the peers table says.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { torchAvailability } from '../../bench/peers/child.js';
import { PEERS, peerRows } from '../../bench/peers/run.js';
import {
  compareDigests,
  convKernelHwio,
  hwioToOihw,
  nchwToNhwc,
  nhwcToNchw,
  outputDigest,
  type PeerJob,
} from '../../bench/peers/spec.js';

/** A python3 that fails to import torch, as one without PyTorch does. */
function fakePython(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dawnflow-fake-python-'));
  const path = join(dir, 'python3');
  writeFileSync(path, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n');
  chmodSync(path, 0o755);
  return path;
}

const JOB: PeerJob = { model: 'tiny', batch: 1, size: 48, repeat: 1, train: true, scratch: true, seed: 1, threads: 2 };
const FLOPS = { forward: 1, train: 1, scratch: 1 };

describe('the PyTorch peer', () => {
  test('a python without torch: skipped, with the import error as the reason', () => {
    const t = torchAvailability(fakePython());
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.reason).toMatch(/cannot import torch.*No module named 'torch'/);
  });

  test('a python that does not exist: skipped, saying so', () => {
    const t = torchAvailability('/nonexistent/python3');
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.reason).toMatch(/\/nonexistent\/python3 cannot run/);
  });

  test('its rows: every workload skipped with the reason, no child started', async () => {
    const digest = outputDigest([1, 2], [1, 1, 1, 2]);
    const rows = await peerRows(
      'torch-cpu',
      PEERS['torch-cpu'],
      JOB,
      { ...JOB, timeoutS: 5, python: fakePython() },
      FLOPS,
      [],
      digest,
    );
    expect(rows.map((r) => [r.workload, r.status])).toEqual([
      ['forward', 'skipped'],
      ['train', 'skipped'],
      ['scratch', 'skipped'],
    ]);
    expect(rows[0].reason).toMatch(/no PyTorch/);
  });

  test('the peers: the CPU ones beside the WebGPU ones, torch the only one with the scratch step', () => {
    expect(Object.keys(PEERS)).toEqual(['tfjs-webgpu', 'ort-webgpu', 'ort-cpu', 'torch-cpu']);
    expect(PEERS['ort-cpu'].workloads).toEqual(['forward']);
    expect(PEERS['torch-cpu'].workloads).toEqual(['forward', 'train', 'scratch']);
  });
});

describe('shared weights, layouts and digests', () => {
  test('HWIO to OIHW and NHWC to NCHW and back', () => {
    const w = convKernelHwio(1, 0, 3, 4);
    const o = hwioToOihw(w, 3, 4);
    // w[kh=1][kw=2][i=2][o=3] is o[3][2][1][2].
    expect(o[((3 * 3 + 2) * 3 + 1) * 3 + 2]).toBe(w[((1 * 3 + 2) * 3 + 2) * 4 + 3]);
    const x = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i);
    expect([...nchwToNhwc(nhwcToNchw(x, [2, 3, 4, 5]), [2, 5, 3, 4])]).toEqual([...x]);
  });

  test('digests: equal outputs match, a transposed one differs, a wrong shape fails', () => {
    const y = Float32Array.from({ length: 4 * 8 * 8 * 16 }, (_, i) => Math.sin(i));
    const ours = outputDigest(y, [4, 8, 8, 16]);
    expect(ours.samples).toHaveLength(64);
    const near = outputDigest(
      y.map((v) => v * (1 + 1e-6)),
      [4, 8, 8, 16],
    );
    expect(compareDigests(ours, near)).toMatchObject({ ok: true, summary: expect.stringMatching(/^matches/) });
    const swapped = outputDigest(nhwcToNchw(y, [4, 8, 8, 16]), [4, 8, 8, 16]);
    expect(compareDigests(ours, swapped).summary).toMatch(/^DIFFERS/);
    expect(compareDigests(ours, outputDigest(y, [4, 16, 8, 8])).ok).toBe(false);
    const bad = Float32Array.from(y);
    bad[5] = NaN;
    expect(compareDigests(ours, outputDigest(bad, [4, 8, 8, 16]))).toEqual({
      ok: false,
      summary: 'non-finite outputs',
    });
  });
});
