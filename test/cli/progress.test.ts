// Progress of the long phases that are not a fit (features, evaluate, predict, the chapter's
// test pass): Keras's Progbar on stderr, throttled on a pipe, redrawn in place on a terminal;
// stdout keeps only the results. Also evaluate --steps: it says how many images it used and
// samples both classes (shuffled with the seed, as the chapter's test generator).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PIPE_INTERVAL, phaseBar } from '../../src/apps/phase_bar.js';
import { saveModel } from '../../src/io/keras_weights.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten } from '../../src/nn/layers/core.js';
import { useGpu } from '../helpers/gpu.js';
import { makeImageFolder } from '../helpers/image_folder.js';

useGpu();

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let model = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-progress-'));
  makeImageFolder(join(dir, 'test'), 6, 4);
  const m = new Sequential({ name: 'progress' });
  m.add(new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, 3], activation: 'relu' }));
  m.add(new Flatten());
  m.add(new Dense({ units: 1, activation: 'sigmoid' }));
  model = join(dir, 'm.h5');
  await saveModel(m, model);
  m.dispose();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

function cli(args: string[]): Promise<Ran> {
  const child = spawn(process.execPath, ['bin/dawnflow.js', ...args], { cwd: ROOT });
  let [out, err] = ['', ''];
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** The bar's finished line: `N/N [====...] - 1s 20ms/step`. */
const done = (n: number) => new RegExp(`^${n}/${n} \\[={30}\\] - \\d+s \\d+[mu]?s/step *$`, 'm');

describe('phaseBar', () => {
  test('on a pipe: the first update, then at most a line every PIPE_INTERVAL s, and the end', () => {
    const writes: string[] = [];
    // Keras's first draw is due at once only on a real clock (its last draw is at time 0).
    let t = 1000;
    const bar = phaseBar(100, { stream: { write: (s) => writes.push(s), isTTY: false }, now: () => t });
    for (let i = 1; i <= 100; i++) {
      t += 0.5;
      bar.update(i);
    }
    // 50 s in updates of 0.5 s: the first, one per PIPE_INTERVAL after it, and the last.
    expect(writes.length).toBe(1 + Math.floor(49.5 / PIPE_INTERVAL) + 1);
    expect(writes.every((w) => w.startsWith('\n'))).toBe(true);
    expect(writes[0]).toMatch(/^\n {2}1\/100 \[\.{30}\] - ETA: 49s$/);
    expect(writes.at(-1)).toMatch(/^\n100\/100 \[={30}\] - 50s 500ms\/step\n$/);
  });

  test('on a terminal: redrawn in place (backspaces and \\r), a newline at the end only', () => {
    const writes: string[] = [];
    let t = 0;
    const bar = phaseBar(4, { stream: { write: (s) => writes.push(s), isTTY: true }, now: () => t });
    for (let i = 1; i <= 4; i++) {
      t += 1;
      bar.update(i);
    }
    expect(writes).toHaveLength(4);
    // Backspaces over the previous draw, then \r: Keras's in-place redraw.
    expect(writes[1]).toBe(`${'\b'.repeat(writes[0].length - 1)}\r2/4 [==============>...............] - ETA: 2s`);
    expect(writes.slice(0, 3).join('')).not.toContain('\n');
    expect(writes[3].endsWith('\n')).toBe(true);
  });

  test('a pass that ends short still ends its line; nothing to count draws nothing', () => {
    const writes: string[] = [];
    const bar = phaseBar(10, { stream: { write: (s) => writes.push(s), isTTY: true }, now: () => 1 });
    bar.update(4);
    bar.end(4);
    expect(writes.at(-1)).toBe('\n');
    const none: string[] = [];
    phaseBar(0, { stream: { write: (s) => none.push(s) } }).update(0);
    expect(none).toEqual([]);
  });
});

describe('evaluate', () => {
  test('on a pipe: the bar on stderr, stdout only the results', async () => {
    const r = await cli(['evaluate', '--model', model, '--data', join(dir, 'test'), '--batch-size', '4']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(done(12));
    expect(r.out).toMatch(/^Found 12 images belonging to 2 classes\.\ntest loss: \S+\ntest acc: \S+\n$/);
  });

  test('--steps: says how many images it used, drawn shuffled with the seed', async () => {
    const args = ['evaluate', '--model', model, '--data', join(dir, 'test'), '--batch-size', '4', '--steps', '1'];
    const r = await cli(args);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('dawnflow: evaluated 4 of 12 images (--steps 1 of 4, shuffled with --seed 7)');
    expect(r.err).toMatch(done(4));
  });

  test('takes the size from the model; a --target-size that disagrees is refused naming both', async () => {
    const r = await cli(['evaluate', '--model', model, '--data', join(dir, 'test'), '--target-size', '32']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim()).toBe(
      `dawnflow: --target-size 32 disagrees with ${model}, which takes 8x8 images; leave --target-size out`,
    );
  });
});

describe('on a pseudo-terminal', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  test.skipIf(!hasScript)('evaluate redraws its bar in place', () => {
    const line = [
      'node',
      'bin/dawnflow.js',
      'evaluate',
      '--model',
      model,
      '--data',
      join(dir, 'test'),
      '--batch-size',
      '2',
    ];
    const r = spawnSync('script', ['-qec', line.join(' '), '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain(`\b\r12/12 [${'='.repeat(30)}]`);
    expect(r.stdout).toContain('test acc: ');
  });
});

describe('features', () => {
  test('on a pipe: what it extracts, the bar and its summary', async () => {
    const out = join(dir, 'f', 'train.npy');
    const args = ['features', '--weights', 'random', '--data', join(dir, 'test'), '--out', out];
    const r = await cli([...args, '--target-size', '32', '--batch-size', '4']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(done(12));
    expect(r.out).toMatch(/^12 images -> 12x1x1x512 features in/m);
  });
});
