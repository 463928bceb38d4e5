// Keras 2.3.1's callback protocol in fit: hook order and logs, stopTraining, EarlyStopping with
// restoreBestWeights, CSVLogger's text; and fit(x, y) against the same run fed by ArraySource.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ArraySource, toTensors } from '../../src/nn/batches.js';
import { EarlyStopping } from '../../src/nn/callbacks.js';
import { Sequential } from '../../src/nn/container.js';
import { CSVLogger } from '../../src/nn/csv_logger.js';
import type { Logs } from '../../src/nn/history.js';
import { Dense } from '../../src/nn/layers/core.js';
import { Adam } from '../../src/nn/optimizers/adam.js';
import { setSeed } from '../../src/tensor/random.js';
import { useGpu } from '../helpers/gpu.js';
import { uniform } from '../helpers/random.js';

useGpu();

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-callbacks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function net(seed: number): Sequential {
  setSeed(seed);
  const m = new Sequential();
  m.add(new Dense({ units: 4, activation: 'relu', inputShape: [3] }));
  m.add(new Dense({ units: 1, activation: 'sigmoid' }));
  m.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'binary_crossentropy', metrics: ['acc'] });
  return m;
}

const DATA = {
  x: Float32Array.from(uniform(10 * 3, -1, 1, 5)),
  xShape: [10, 3],
  y: Float32Array.from({ length: 10 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
};

async function bytes(m: Sequential): Promise<string> {
  const parts = await Promise.all(
    m.weights.map(async (v) => Buffer.from((await v.value.data()).buffer).toString('hex')),
  );
  return parts.join('|');
}

describe('callback hooks', () => {
  test('called in Keras order with Keras logs; stopTraining ends the epoch after that batch', async () => {
    const m = net(1);
    const [x, y] = toTensors(DATA);
    const calls: string[] = [];
    const batchLogs: Logs[] = [];
    const hooks = {
      onTrainBegin: (l: Logs) => void calls.push(`train-begin ${JSON.stringify(l)}`),
      onEpochBegin: (e: number) => void calls.push(`epoch-begin ${e}`),
      onBatchBegin: (b: number, l: Logs) => void calls.push(`batch-begin ${b} ${JSON.stringify(l)}`),
      onBatchEnd: (b: number, l: Logs, model: Sequential) => {
        calls.push(`batch-end ${b}`);
        batchLogs.push(l);
        if (l.batch === 1 && calls.includes('epoch-begin 1')) model.stopTraining = true;
      },
      onEpochEnd: (e: number, l: Logs) => void calls.push(`epoch-end ${e} ${Object.keys(l).sort().join(',')}`),
      onTrainEnd: () => void calls.push('train-end'),
    };
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      verbose: 0,
      shuffle: false,
      callbacks: [hooks],
      validationData: [x, y],
    });
    expect(calls).toEqual([
      'train-begin {}',
      'epoch-begin 0',
      'batch-begin 0 {"batch":0,"size":4}',
      'batch-end 0',
      'batch-begin 1 {"batch":1,"size":4}',
      'batch-end 1',
      'batch-begin 2 {"batch":2,"size":2}',
      'batch-end 2',
      'epoch-end 0 acc,loss,val_acc,val_loss',
      'epoch-begin 1',
      'batch-begin 0 {"batch":0,"size":4}',
      'batch-end 0',
      'batch-begin 1 {"batch":1,"size":4}',
      'batch-end 1',
      // Stopped before the last batch: no validation, as Keras's fit_loop.
      'epoch-end 1 acc,loss',
      'train-end',
    ]);
    expect(Object.keys(batchLogs[0]).sort()).toEqual(['acc', 'batch', 'loss', 'size']);
    // The epoch loss is the size-weighted mean of the batch losses; acc is a running mean.
    const [a, b, c] = batchLogs;
    expect(h.history.loss[0]).toBeCloseTo((4 * a.loss + 4 * b.loss + 2 * c.loss) / 10, 6);
    expect(h.history.acc[0]).toBeCloseTo(c.acc, 6);
    for (const t of [x, y, m]) t.dispose();
  });
});

describe('EarlyStopping', () => {
  test('Keras 2.3.1 rules: minDelta against the direction, baseline, patience, max mode for acc', () => {
    const s = new EarlyStopping({ monitor: 'loss', patience: 1, minDelta: 0.1 });
    s.onTrainBegin();
    expect(s.onEpochEnd(0, { loss: 1 })).toBe(false);
    expect(s.onEpochEnd(1, { loss: 0.95 })).toBe(true); // not 0.1 better
    expect(s.stoppedEpoch).toBe(1);
    const acc = new EarlyStopping({ monitor: 'val_acc', patience: 2, baseline: 0.8 });
    acc.onTrainBegin();
    expect(acc.onEpochEnd(0, { val_acc: 0.7 })).toBe(false);
    expect(acc.onEpochEnd(1, { val_acc: 0.79 })).toBe(true); // never beat the baseline
    expect(() => new EarlyStopping().onEpochEnd(0, { loss: 1 })).toThrow(/monitors 'val_loss'/);
  });

  test('restoreBestWeights puts back the best epoch weights exactly', async () => {
    const m = net(2);
    const [x, y] = toTensors(DATA);
    // The monitored value is scripted: best at epoch 1, then worse, so it stops after epoch 3.
    const script = [0.5, 0.3, 0.4, 0.45];
    const seen: string[] = [];
    const recorder = {
      onEpochEnd: async (e: number, logs: Logs) => {
        logs.score = script[e];
        seen.push(await bytes(m));
      },
    };
    const stop = new EarlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
    const h = await m.fit(x, y, { epochs: 10, batchSize: 4, verbose: 0, callbacks: [recorder, stop] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(stop.stoppedEpoch).toBe(3);
    expect(seen[1]).not.toBe(seen[3]);
    expect(await bytes(m)).toBe(seen[1]);
    for (const t of [x, y, m]) t.dispose();
  });
});

describe('CSVLogger', () => {
  test("writes Keras 2.3.1's text: sorted keys, epochs from 0, '\\r\\n', Python floats; append", async () => {
    const file = join(dir, 'log.csv');
    const logger = new CSVLogger(file);
    const model = { stopTraining: false } as Sequential;
    logger.onTrainBegin();
    logger.onEpochEnd(0, { loss: 0.5, acc: 1, val_loss: 1e-5 }, model);
    logger.onEpochEnd(1, { loss: 0.25, acc: 0.75, val_loss: 2 }, model);
    expect(readFileSync(file, 'utf8')).toBe('epoch,acc,loss,val_loss\r\n0,1.0,0.5,1e-05\r\n1,0.75,0.25,2.0\r\n');
    const more = new CSVLogger(file, { append: true, separator: ';' });
    more.onTrainBegin();
    model.stopTraining = true;
    more.onEpochEnd(2, { loss: 0.125, acc: 0.5 }, model);
    expect(readFileSync(file, 'utf8').split('\r\n')[3]).toBe('2;0.5;0.125');
    const fresh = join(dir, 'fresh.csv');
    writeFileSync(fresh, '');
    const f = new CSVLogger(fresh, { append: true });
    f.onTrainBegin();
    model.stopTraining = false;
    f.onEpochEnd(0, { loss: 1 }, model);
    expect(readFileSync(fresh, 'utf8')).toBe('epoch,loss\r\n0,1.0\r\n');
  });

  test('in fit, one row per epoch matching History', async () => {
    const m = net(3);
    const [x, y] = toTensors(DATA);
    const file = join(dir, 'fit.csv');
    const h = await m.fit(x, y, { epochs: 2, batchSize: 5, verbose: 0, callbacks: [new CSVLogger(file)] });
    const rows = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(rows[0]).toBe('epoch,acc,loss');
    expect(rows.slice(1).map((r) => Number(r.split(',')[2]))).toEqual(h.history.loss);
    for (const t of [x, y, m]) t.dispose();
  });
});

describe('fit(x, y)', () => {
  test('bit for bit the run fit(ArraySource) gives over the same host arrays', async () => {
    async function run(tensors: boolean): Promise<{ h: Record<string, number[]>; w: string }> {
      const m = net(9);
      setSeed(42);
      let h: Record<string, number[]>;
      if (tensors) {
        const [x, y] = toTensors(DATA);
        h = (await m.fit(x, y, { epochs: 3, batchSize: 3, verbose: 0 })).history;
        for (const t of [x, y]) t.dispose();
      } else {
        const src = new ArraySource(DATA, 3, true);
        h = (await m.fit(src, { epochs: 3, verbose: 0 })).history;
      }
      const w = await bytes(m);
      m.dispose();
      return { h, w };
    }
    const a = await run(true);
    const b = await run(false);
    expect(a).toEqual(b);
  });
});
