// The kernel profiler: a tiny model's training step profiled with GPU timestamps and with the
// replay fallback (every dispatch charged to a layer and phase, shares summing to 1, the report
// JSON's shape), the timestamp sanity checks, the HTML escaping a hostile layer name, and the
// sleep-before-await model never changing results.
import { describe, expect, test } from 'vitest';
import { currentGpu, dispatcher } from '../../src/gpu/engine.js';
import { checkTimestamps, totals } from '../../src/gpu/profiler.js';
import { currentScope, inLayer, scopeTracking } from '../../src/gpu/profile_scope.js';
import { GpuWaiter } from '../../src/gpu/gpu_wait.js';
import { scopeOptimizer } from '../../src/apps/profile.js';
import { profileRun, profileSummary, type ProfileReport } from '../../src/gpu/profile_run.js';
import { renderTimelineHtml } from '../../src/report/timeline_html.js';
import { profileTrace, QUEUE_TID, STEPS_TID } from '../../src/report/trace_json.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten } from '../../src/nn/layers/core.js';
import { MaxPooling2D } from '../../src/nn/layers/pooling.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { trainOnBatch } from '../../src/nn/training.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { openGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';

await openGpu();
const TIMESTAMPS = currentGpu().features.includes('timestamp-query');

const EVIL = '<script>alert("x")</script>&\'';

function tinyStep(): { step: () => Promise<void>; model: Sequential; dispose: () => void } {
  const model = new Sequential();
  model.add(
    new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 3], name: EVIL }),
  );
  model.add(new MaxPooling2D({ poolSize: 2, name: 'pool' }));
  model.add(new Flatten({ name: 'flat' }));
  model.add(new Dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  const opt = new Adam({ lr: 1e-3 });
  model.compile({ optimizer: opt, loss: 'binary_crossentropy', metrics: ['acc'] });
  scopeOptimizer(opt, model);
  const x = Tensor.fromArray(
    Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => (i % 7) / 7),
    [2, 8, 8, 3],
  );
  const y = Tensor.fromArray([0, 1], [2, 1]);
  return {
    model,
    step: async () => {
      await trainOnBatch(model, { x, y, size: 2 });
    },
    dispose: () => {
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

function checkReport(r: ProfileReport, steps: number): void {
  expect(r.version).toBe(1);
  expect(r.steps).toHaveLength(steps);
  expect(r.dispatches.length).toBeGreaterThan(5);
  for (const d of r.dispatches) {
    expect(d.kernel).toMatch(/\w/);
    expect(d.layer.length).toBeGreaterThan(0);
    expect(['forward', 'backward', 'optimizer']).toContain(d.phase);
    expect(d.grid).toHaveLength(3);
    expect(d.workgroup).toHaveLength(3);
    expect(d.ms).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(d.startMs)).toBe(true);
    expect(d.hash).toMatch(/^[0-9a-f]{8}$/);
  }
  for (const s of r.steps) {
    const rows = r.dispatches.filter((d) => d.step === s.step);
    expect(rows).toHaveLength(s.dispatches);
    expect(rows.reduce((a, d) => a + d.share, 0)).toBeCloseTo(1, 6);
    expect(rows.reduce((a, d) => a + d.ms, 0)).toBeCloseTo(s.gpuMs, 6);
  }
  // Aggregates: sorted longest first, adding up to the rows.
  const total = r.dispatches.reduce((a, d) => a + d.ms, 0);
  expect(r.kernels.reduce((a, k) => a + k.ms, 0)).toBeCloseTo(total, 6);
  expect(r.layers.reduce((a, l) => a + l.ms, 0)).toBeCloseTo(total, 6);
  expect(r.kernels.reduce((a, k) => a + k.dispatches, 0)).toBe(r.dispatches.length);
  for (let i = 1; i < r.kernels.length; i++) expect(r.kernels[i].ms).toBeLessThanOrEqual(r.kernels[i - 1].ms);
  expect(r.topKernels).toEqual(r.kernels.slice(0, 10));
  // The conv layer's forward, backward and optimizer kernels are all charged to it: the first two
  // to its pair with the pool, one op in training too (src/ops/conv_pool.ts), named conv+pool.
  const conv = r.dispatches.filter((d) => d.layer === EVIL || d.layer === `${EVIL}+pool`);
  expect(new Set(conv.map((d) => d.phase))).toEqual(new Set(['forward', 'backward', 'optimizer']));
  // An RGB input's forward pads its channels (pad_axis) before the conv kernel on lavapipe.
  expect(conv.some((d) => d.phase === 'forward' && /^conv2d_forward/.test(d.kernel))).toBe(true);
  expect(conv.some((d) => d.phase === 'backward' && /^conv2d_backward_weight/.test(d.kernel))).toBe(true);
  expect(conv.filter((d) => d.phase === 'optimizer').every((d) => d.kernel === 'optim_adam')).toBe(true);
  expect(r.dispatches.find((d) => d.layer === 'out' && d.phase === 'forward')!.path).toBe(`${r.settings.model}/out`);
  expect(r.dispatches.some((d) => d.layer === '(outside layers)')).toBe(true);
  const row = r.layers.find((l) => l.layer === EVIL)!;
  expect(row.forwardMs + row.backwardMs + row.optimizerMs).toBeCloseTo(row.ms, 6);
  // The JSON round-trips.
  expect(JSON.parse(JSON.stringify(r))).toEqual(r);
}

describe('profiling a training step', () => {
  test('with GPU timestamps: layers, phases, shares, totals, and the summary', async () => {
    const t = tinyStep();
    const d = dispatcher();
    try {
      const r = await profileRun({ workload: 'tiny', step: t.step, steps: 1, settings: { model: t.model.name } });
      const method = TIMESTAMPS ? 'timestamp-query' : 'replay';
      // On an adapter whose timestamps fail the checks the step is replayed, and says why.
      expect([method, 'replay']).toContain(r.method);
      checkReport(r, 1);
      expect(d.profiler).toBeNull();
      expect(scopeTracking()).toBe(false);
      const lines = profileSummary(r);
      expect(lines.join('\n')).toMatch(/top \d kernels by GPU time/);
      expect(lines.filter((l) => /GFLOP\/s$/.test(l)).length).toBe(Math.min(5, r.kernels.length));
    } finally {
      t.dispose();
    }
  });

  test.skipIf(!TIMESTAMPS)(
    skipNote(
      'timestamps describe the step: within its wall time, in order',
      TIMESTAMPS,
      "this adapter has no 'timestamp-query' feature",
    ),
    async () => {
      const t = tinyStep();
      try {
        const r = await profileRun({
          workload: 'tiny',
          step: t.step,
          steps: 2,
          method: 'timestamp-query',
          settings: { model: t.model.name },
        });
        for (const s of r.steps) {
          expect(s.method).toBe('timestamp-query');
          expect(s.gpuMs).toBeGreaterThan(0);
          expect(s.gpuMs).toBeLessThanOrEqual(s.wallMs * 1.5 + 5);
          const rows = r.dispatches.filter((d) => d.step === s.step);
          for (let i = 1; i < rows.length; i++) expect(rows[i].startMs).toBeGreaterThanOrEqual(rows[i - 1].startMs);
        }
        checkReport(r, 2);
      } finally {
        t.dispose();
      }
    },
  );

  test('the replay fallback times every dispatch and leaves the launch counts alone', async () => {
    const t = tinyStep();
    const d = dispatcher();
    try {
      await t.step();
      d.resetCounts();
      const r = await profileRun({
        workload: 'tiny',
        step: t.step,
        steps: 1,
        warmup: 0,
        method: 'replay',
        settings: { model: t.model.name },
      });
      expect(r.method).toBe('replay');
      checkReport(r, 1);
      const counted = [...d.counts.values()].reduce((a, b) => a + b, 0);
      expect(counted).toBe(r.dispatches.length);
    } finally {
      t.dispose();
    }
  });

  test('a failing step still detaches the profiler', async () => {
    await expect(
      profileRun({
        workload: 'x',
        warmup: 0,
        steps: 1,
        step: async () => {
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(dispatcher().profiler).toBeNull();
    expect(scopeTracking()).toBe(false);
  });
});

describe('the HTML timeline', () => {
  test('escapes every name and is self-contained', async () => {
    const t = tinyStep();
    try {
      const r = await profileRun({
        workload: `w<b>${EVIL}`,
        step: t.step,
        steps: 1,
        settings: { model: t.model.name },
        notes: [EVIL],
      });
      const html = renderTimelineHtml(r);
      expect(html).not.toContain('<script');
      expect(html).not.toContain('<b>');
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
      expect(html).not.toMatch(/<(link|img|iframe|object)\b/);
      expect(html).not.toMatch(/(src|href)=/);
      expect(html).toContain('Content-Security-Policy');
      // One bar (and one phase strip) per dispatch, each with a title.
      expect(html.match(/<rect [^>]*><title>/g)!.length).toBe(2 * r.dispatches.length);
      // Settings and adapter as tables, not JSON dumps.
      expect(html).toContain('<h3>Settings</h3>');
      expect(html).toContain('<h3>Adapter</h3>');
      expect(html).not.toContain('{&quot;');
      // A kernel compiled per layer shape folds its long specialisation list behind a count.
      const many = { ...r, kernels: [{ ...r.kernels[0], variants: ['A=1 B=2', 'A=3 B=4', 'A=5 B=6'] }] };
      expect(renderTimelineHtml(many)).toContain('<details><summary>3 specialisations</summary>');
    } finally {
      t.dispose();
    }
  });
});

describe('the Chrome trace export', () => {
  test('trace events: a named track per timeline, an X event per dispatch, in order', async () => {
    const t = tinyStep();
    try {
      const r = await profileRun({ workload: 'tiny', step: t.step, steps: 2 });
      const trace = JSON.parse(JSON.stringify(profileTrace(r))) as ReturnType<typeof profileTrace>;
      expect(Array.isArray(trace.traceEvents)).toBe(true);
      const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
      expect(names.map((e) => e.tid).sort()).toEqual([QUEUE_TID, STEPS_TID]);
      for (const e of names) expect(typeof e.args?.name).toBe('string');
      const complete = trace.traceEvents.filter((e) => e.ph === 'X');
      for (const e of complete) {
        expect(Object.keys(e)).toEqual(expect.arrayContaining(['name', 'cat', 'ts', 'dur', 'pid', 'tid']));
        expect(e.ts).toBeGreaterThanOrEqual(0);
        expect(e.dur).toBeGreaterThanOrEqual(0);
      }
      const queue = complete.filter((e) => e.tid === QUEUE_TID);
      expect(queue).toHaveLength(r.dispatches.length);
      expect(complete.filter((e) => e.tid === STEPS_TID)).toHaveLength(2);
      for (const tid of [QUEUE_TID, STEPS_TID]) {
        const ts = complete.filter((e) => e.tid === tid).map((e) => e.ts!);
        expect(ts).toEqual([...ts].sort((a, b) => a - b));
      }
      // Named by layer and kernel.
      const d = r.dispatches[0];
      expect(queue.map((e) => e.name)).toContain(`${d.layer} · ${d.kernel}`);
    } finally {
      t.dispose();
    }
  });
});

describe('pieces', () => {
  test('timestamp sanity checks', () => {
    const q = (b: number, e: number) => [BigInt(b), BigInt(e)] as const;
    expect(checkTimestamps([q(0, 0), q(0, 0)], 10).ok).toBe(false);
    expect(checkTimestamps([q(100, 50)], 10).note).toMatch(/end before/);
    expect(checkTimestamps([q(5e6, 6e6), q(1e6, 2e6)], 10).note).toMatch(/order/);
    expect(checkTimestamps([q(0, 1e6), q(1e6, 100e6)], 10).note).toMatch(/span/);
    expect(checkTimestamps([[1n, undefined]], 10).ok).toBe(false);
    expect(checkTimestamps([q(1000, 2000), q(3000, 9000)], 10)).toEqual({ ok: true, note: null });
    const quantised = checkTimestamps([q(65536, 3 * 65536), q(4 * 65536, 4 * 65536)], 10);
    expect(quantised.ok).toBe(true);
    expect(quantised.note).toMatch(/quantis/);
  });

  test('totals group by kernel and layer path', () => {
    const row = (
      kernel: string,
      path: string,
      phase: 'forward' | 'backward' | 'optimizer',
      ms: number,
      flops: number | null,
    ) => ({
      index: 0,
      step: 1,
      kernel,
      variant: '',
      hash: '00000000',
      layer: path.split('/').pop()!,
      path,
      phase,
      grid: [1, 1, 1] as [number, number, number],
      workgroup: [1, 1, 1] as [number, number, number],
      flops,
      startMs: 0,
      ms,
      gflops: null,
      share: 0,
    });
    const t = totals([
      row('a', 'm/x', 'forward', 3, 3e6),
      row('b', 'm/x', 'backward', 1, null),
      row('a', 'm/y', 'optimizer', 6, 3e6),
    ]);
    expect(t.gpuMs).toBe(10);
    expect(t.kernels.map((k) => [k.kernel, k.dispatches, k.ms, k.share])).toEqual([
      ['a', 2, 9, 0.9],
      ['b', 1, 1, 0.1],
    ]);
    expect(t.kernels[0].gflops).toBeCloseTo(6e6 / 9e6, 9);
    expect(t.kernels[1].gflops).toBeNull();
    expect(t.layers.map((l) => [l.path, l.forwardMs, l.backwardMs, l.optimizerMs])).toEqual([
      ['m/y', 0, 0, 6],
      ['m/x', 3, 1, 0],
    ]);
  });

  test('scopes nest and are free when tracking is off', () => {
    expect(scopeTracking()).toBe(false);
    expect(inLayer('a', () => currentScope().path)).toEqual([]);
  });

  test('GPU awaits swap setImmediate for a timer while they wait, and always restore it', async () => {
    const w = new GpuWaiter();
    const original = globalThis.setImmediate;
    let inside: unknown = null;
    await w.wait(async () => {
      inside = globalThis.setImmediate;
      await w.wait(async () => expect(globalThis.setImmediate).toBe(inside)); // nested: still swapped
    });
    expect(globalThis.setImmediate).toBe(original);
    if (w.enabled) {
      expect(inside).not.toBe(original);
      // The swapped one still runs its callback (on a timer), with its arguments.
      const got = await new Promise((r) => (inside as (f: (a: string) => void, a: string) => void)(r, 'arg'));
      expect(got).toBe('arg');
    }
    await expect(
      w.wait(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(globalThis.setImmediate).toBe(original);
    expect(w.stats.awaits).toBe(3);
    // A real GPU round trip through the dispatcher completes with the polite polling.
    const t = Tensor.fromArray([1, 2, 3], [3]);
    expect(Array.from((await t.data()) as Float32Array)).toEqual([1, 2, 3]);
    t.dispose();
  });
});
