// The command line misused: every numeric flag of every command given bad numbers (negative,
// NaN, 1e999, 3.5 where a count is needed, empty), unknown and repeated flags, stray words,
// missing folders and files, output paths that cannot be written, a run folder holding a run
// with other settings. Each must print one line with the fix, exit with code 2, and leave every
// file as it was. Also: evaluate takes exactly one pass over the images that decode, so a
// corrupt image in the folder never makes it count another image twice.
import { Tensor } from '../../src/tensor/tensor.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { kindOf, type FlagKind, type FlagSpec } from '../../src/cli/args.js';
import { BENCH_FLAGS } from '../../src/cli/bench.js';
import { CHAPTER_FLAGS } from '../../src/cli/chapter.js';
import { FEATURES_FLAGS } from '../../src/cli/features.js';
import { run } from '../../src/cli/main.js';
import { PREVIEW_FLAGS } from '../../src/cli/preview.js';
import { PROFILE_FLAGS } from '../../src/cli/profile.js';
import { SCRATCH_FLAGS } from '../../src/cli/scratch.js';
import { EVALUATE_FLAGS } from '../../src/cli/train.js';
import { TRAIN_FLAGS } from '../../src/cli/train_flags.js';
import { TUNE_FLAGS } from '../../src/cli/tune.js';
import { freshState } from '../../src/apps/chapter_state.js';
import { loadImage, toFloatBatch } from '../../src/data/load_img.js';
import { saveModel } from '../../src/io/keras_weights.js';
import { Sequential } from '../../src/nn/container.js';
import { Conv2D } from '../../src/nn/layers/convolutional.js';
import { Dense, Flatten } from '../../src/nn/layers/core.js';
import { useGpu } from '../helpers/gpu.js';
import { quickChapterArgs } from '../helpers/chapter_args.js';
import { makeImageFolder, makeSplitFolders } from '../helpers/image_folder.js';

useGpu();

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let data = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-misuse-'));
  data = join(dir, 'data');
  makeSplitFolders(data, 2);
  fs.writeFileSync(join(dir, 'blocker'), 'a regular file where a folder is expected\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  out: string[];
  err: string[];
}

/** Runs the CLI in this process; out: console.log lines, err: console.error/warn lines. */
async function cli(args: string[]): Promise<Result> {
  const spies = (['log', 'error', 'warn'] as const).map((k) => vi.spyOn(console, k).mockImplementation(() => {}));
  try {
    const code = await run(args);
    const [log, error, warn] = spies.map((s) => s.mock.calls.map((c) => c.map(String).join(' ')));
    return { code, out: log, err: [...error, ...warn] };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

/** Exit code 2, nothing on stdout, exactly one `dawnflow: ` line that mentions `what`. */
function expectRefused(r: Result, what: string, label: string): void {
  expect({ label, code: r.code, out: r.out, lines: r.err.length }).toEqual({ label, code: 2, out: [], lines: 1 });
  const line = r.err[0];
  expect(line.startsWith('dawnflow: '), `${label}: ${line}`).toBe(true);
  expect(line, label).not.toMatch(/[\r\n]/);
  expect(line, label).toContain(what);
}

/** Every file under `root` with its sha256, so a refusal can be shown to change nothing. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(root, { recursive: true }).map(String).sort()) {
    const p = join(root, rel);
    const isDir = fs.statSync(p).isDirectory();
    out[rel] = isDir ? 'dir' : createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

// ---------------------------------------------------------------- numbers

const COMMANDS: [string, FlagSpec][] = [
  ['transfer', TRAIN_FLAGS],
  ['feature-extraction', TRAIN_FLAGS],
  ['fine-tune', TRAIN_FLAGS],
  ['chapter', CHAPTER_FLAGS],
  ['scratch', SCRATCH_FLAGS],
  ['features', FEATURES_FLAGS],
  ['evaluate', EVALUATE_FLAGS],
  ['augment-preview', PREVIEW_FLAGS],
  ['bench', BENCH_FLAGS],
  ['tune', TUNE_FLAGS],
  ['profile', PROFILE_FLAGS],
];

/** Not a number at all: every numeric flag of every command refuses these. */
const NOT_NUMBERS = ['', ' ', 'NaN', 'abc', '1e999', '-1e999', 'Infinity', '0x', '1,5', '2e'];
/** Numbers outside what each kind allows. */
const OUT_OF_RANGE: Partial<Record<FlagKind, string[]>> = {
  count: ['-1', '0', '3.5', '1e20', '-0.5'],
  index: ['-1', '3.5', '-0.5', '1e20'],
  positive: ['-1', '0', '-1e-9'],
  size: ['-1', '0', '3.5', '99999'],
};

function numericFlags(spec: FlagSpec): [string, FlagKind][] {
  return Object.entries(spec)
    .map(([name, f]): [string, FlagKind] => [name, kindOf(f)])
    .filter(([, k]) => k !== 'string' && k !== 'boolean');
}

describe('bad numbers', () => {
  test('every numeric flag of every command: one line naming the flag, exit 2', async () => {
    let cases = 0;
    for (const [command, spec] of COMMANDS) {
      expect(numericFlags(spec).length, `${command} has numeric flags`).toBeGreaterThan(0);
      for (const [flag, kind] of numericFlags(spec)) {
        for (const value of [...NOT_NUMBERS, ...(OUT_OF_RANGE[kind] ?? [])]) {
          const label = `${command} --${flag} '${value}'`;
          const form = cases % 2 ? [`--${flag}=${value}`] : [`--${flag}`, value];
          expectRefused(await cli([command, ...form]), `--${flag} must be`, label);
          cases++;
        }
      }
    }
    console.log(`cli_misuse: ${cases} bad-number cases over ${COMMANDS.length} commands`);
  });

  test('good numbers of every kind get past the parser', async () => {
    // The same flags with sound values: the command then stops on its missing --data instead.
    const r = await cli(['transfer', '--epochs', '2', '--seed', '0', '--lr', '1e-4', '--target-size', '64']);
    expectRefused(r, '--data DIR is required', 'sound numbers');
  });
});

// ---------------------------------------------------------------- flags and words

describe('flags and words', () => {
  const own = COMMANDS.slice(0, 8);

  test('unknown and valueless flags, bad repeats, switches with values, stray words', async () => {
    for (const [command, spec] of own) {
      const str = Object.entries(spec).find(([, f]) => kindOf(f) === 'string')![0];
      const [num] = numericFlags(spec)[0];
      expectRefused(await cli([command, '--nope']), `unknown flag --nope for '${command}'`, command);
      expectRefused(await cli([command, `--${str}`]), `--${str} needs a value`, command);
      const got = `--${str} needs a value (got the flag --nope)`;
      expectRefused(await cli([command, `--${str}`, '--nope']), got, command);
      // A repeated flag overrides (scripts append settings), but each value is still checked.
      expectRefused(await cli([command, `--${num}`, '1', `--${num}`, '-7']), `--${num} must be`, command);
      expectRefused(await cli([command, 'stray']), "unexpected argument 'stray'", command);
      const sw = Object.entries(spec).find(([, f]) => kindOf(f) === 'boolean')?.[0];
      if (sw) expectRefused(await cli([command, `--${sw}=yes`]), `--${sw} is a switch`, command);
    }
    expectRefused(await cli(['frobnicate']), "unknown command 'frobnicate'", 'unknown command');
    expectRefused(await cli(['summary', 'vgg16', 'extra']), "unexpected argument 'extra'", 'summary');
  });
});

// ---------------------------------------------------------------- missing inputs

describe('missing folders and files', () => {
  test('each names the path and the fix; nothing is written', async () => {
    const nope = join(dir, 'nope');
    const before = snapshot(dir);
    const cases: [string[], string][] = [
      [['transfer', '--data', nope, '--weights', 'random'], `--data ${nope}: folder not found`],
      [['transfer', '--data', join(dir, 'blocker'), '--weights', 'random'], 'not a folder'],
      [['feature-extraction', '--data', nope, '--weights', 'random'], `--data ${nope}: folder not found`],
      [['fine-tune', '--data', data, '--from', join(nope, 'm.h5')], '--from'],
      [['fine-tune', '--data', data, '--from', data], 'a folder, not a file'],
      [['transfer', '--data', data, '--weights', join(nope, 'w.h5')], 'not found; see weights/README.md'],
      [['features', '--weights', 'random', '--data', nope, '--out', join(dir, 'f.npy')], `--data ${nope}`],
      [['evaluate', '--model', join(nope, 'm.h5'), '--data', data], '--model'],
      [['evaluate', '--model', join(dir, 'blocker'), '--data', nope], `--data ${nope}`],
      [['predict', '--model', join(nope, 'm.h5'), 'x.png'], '--model'],
      [['predict', '--model', join(dir, 'blocker'), join(nope, 'x.png')], 'file not found'],
      [['augment-preview', '--data', nope, '--out', join(dir, 'g.png')], `--data ${nope}`],
      [['chapter', '--data', nope, '--weights', 'random'], `--data ${nope} does not exist`],
      [['scratch', '--data', nope], `--data ${nope} does not exist`],
      [['chapter', '--data', join(data, 'train'), '--weights', 'random'], 'has no train/ folder'],
      [['summary', join(nope, 'm.h5')], 'not found'],
    ];
    for (const [args, what] of cases) expectRefused(await cli(args), what, args.join(' '));
    expect(snapshot(dir)).toEqual(before);
  });
});

// ---------------------------------------------------------------- outputs that cannot be written

/**
 * Paths no write can succeed under, even as root (where chmod 555 stops nothing): below a
 * regular file (ENOTDIR), and in /proc. A read-only folder is added when not running as root.
 */
function unwritable(): string[] {
  const paths = [join(dir, 'blocker', 'sub'), '/proc/dawnflow-misuse/sub'];
  if (process.getuid?.() !== 0) {
    const ro = join(dir, 'read-only');
    fs.mkdirSync(ro, { recursive: true });
    fs.chmodSync(ro, 0o555);
    paths.push(join(ro, 'sub'));
  }
  return paths;
}

describe('outputs that cannot be written', () => {
  test('are refused before any work, naming the flag; nothing is written', async () => {
    const keep = join(dir, 'keep');
    fs.mkdirSync(keep, { recursive: true });
    fs.writeFileSync(join(keep, 'model.h5'), 'an existing model');
    fs.writeFileSync(join(keep, 'results.json'), '{"an": "existing run"}');
    const paths = unwritable();
    const before = snapshot(dir);
    let cases = 0;
    for (const bad of paths) {
      const file = join(bad, 'out.h5');
      const uses: [string[], string][] = [
        [['transfer', '--data', data, '--weights', 'random', '--save', file], '--save'],
        [['transfer', '--data', data, '--weights', 'random', '--json', join(bad, 'r.json')], '--json'],
        [['fine-tune', '--data', data, '--from', join(keep, 'model.h5'), '--checkpoint', file], '--checkpoint'],
        [['feature-extraction', '--data', data, '--weights', 'random', '--features', bad], '--features'],
        [['features', '--weights', 'random', '--data', join(data, 'train'), '--out', join(bad, 'f.npy')], '--out'],
        [['augment-preview', '--data', data, '--out', join(bad, 'g.png')], '--out'],
        [['chapter', '--data', data, '--weights', 'random', '--out', bad], '--out'],
        [['scratch', '--data', data, '--out', bad], '--out'],
        [['transfer', '--data', data, '--weights', 'random', '--save', keep], 'a folder; give a file path'],
      ];
      for (const [args, what] of uses) {
        expectRefused(await cli(args), what, args.join(' '));
        cases++;
      }
    }
    expect(snapshot(dir)).toEqual(before);
    expect(cases).toBeGreaterThanOrEqual(18);
  });
});

// ---------------------------------------------------------------- a run folder of other settings

describe('a run folder holding a run with other settings', () => {
  const args = (out: string) => quickChapterArgs(data, out, 2);

  test('is refused in one line before anything is printed or written', async () => {
    const out = join(dir, 'run');
    fs.mkdirSync(join(out, 'plots'), { recursive: true });
    fs.writeFileSync(join(out, 'state.json'), JSON.stringify(freshState('{"other":"settings"}', 1)));
    fs.writeFileSync(join(out, 'transfer.h5'), 'checkpoint of the other run');
    fs.writeFileSync(join(out, 'plots', 'transfer_loss.png'), 'plot of the other run');
    const before = snapshot(out);
    const what = `${out} holds a run with other settings; use another --out`;
    expectRefused(await cli(args(out)), what, 'other settings');
    expect(snapshot(out)).toEqual(before);
  });

  test('a damaged state.json is refused the same way', async () => {
    const out = join(dir, 'damaged');
    fs.mkdirSync(out);
    fs.writeFileSync(join(out, 'state.json'), '{"version": 1, "phas');
    const before = snapshot(out);
    expectRefused(await cli(args(out)), 'state.json is damaged', 'damaged state');
    expect(snapshot(out)).toEqual(before);
  });
});

// ---------------------------------------------------------------- traps

describe('traps refused before any work', () => {
  test('an empty dataset: one line naming the folder, nothing printed or created', async () => {
    const empty = join(dir, 'empty-set');
    for (const split of ['train', 'validation', 'test']) fs.mkdirSync(join(empty, split, 'cats'), { recursive: true });
    const out = join(dir, 'empty-run');
    const cases: [string[], string][] = [
      [['chapter', '--data', empty, '--weights', 'random', '--out', out], `${join(empty, 'train')}: no images`],
      [['scratch', '--data', empty, '--out', out], `${join(empty, 'train')}: no images`],
      [['transfer', '--data', empty, '--weights', 'random'], `${join(empty, 'train')}: no images`],
      [['evaluate', '--model', join(dir, 'blocker'), '--data', join(empty, 'test')], 'no images'],
      [['features', '--weights', 'random', '--data', join(empty, 'test'), '--out', join(out, 'f.npy')], 'no images'],
    ];
    const before = snapshot(dir);
    for (const [args, what] of cases) expectRefused(await cli(args), what, args.join(' '));
    expect(fs.existsSync(out)).toBe(false);
    expect(snapshot(dir)).toEqual(before);
  });

  test("a --target-size that disagrees with the model's input names both", async () => {
    const path = join(dir, 'sized.h5');
    const m = tinyImageModel();
    await saveModel(m, path);
    m.dispose();
    const what = `--target-size 32 disagrees with ${path}, which takes 8x8 images`;
    const testDir = join(data, 'test');
    expectRefused(await cli(['evaluate', '--model', path, '--data', testDir, '--target-size', '32']), what, 'evaluate');
    const img = join(testDir, 'cats', 'cat.0.png');
    expectRefused(await cli(['predict', '--model', path, '--target-size', '32', img]), what, 'predict');
    const ft = ['fine-tune', '--from', path, '--data', data, '--target-size', '32'];
    expectRefused(await cli(ft), what, 'fine-tune');
  });

  test('--adapter matching nothing lists the adapters found, exit 2', () => {
    const args = ['bin/dawnflow.js', 'info', '--adapter', 'no-such-adapter-anywhere'];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    // Dawn's own notes on clamped limits may precede the line.
    const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('Warning:'));
    expect({ status: r.status, stdout: r.stdout, lines: lines.length }).toEqual({ status: 2, stdout: '', lines: 1 });
    expect(lines[0]).toMatch(/^dawnflow: no adapter matches 'no-such-adapter-anywhere'; adapters found: '.+' \(\w+\)/);
    expect(lines[0]).not.toContain('lavapipe:');
  });
});

// ---------------------------------------------------------------- the real binary

describe('bin/dawnflow.js', () => {
  test('exit code 2 and exactly one line on stderr, nothing on stdout', () => {
    const cases: [string[], RegExp][] = [
      [['transfer', '--epochs', '3.5'], /^dawnflow: --epochs must be an integer >= 1, got '3.5'$/],
      [['evaluate', '--model', join(dir, 'nope.h5')], /^dawnflow: --model .*nope\.h5: file not found; /],
      [
        ['chapter', '--data', data, '--out', join(dir, 'blocker', 'x')],
        /^dawnflow: --out .*: cannot be created, .*blocker is a file; /,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = spawnSync(process.execPath, ['bin/dawnflow.js', ...args], { cwd: ROOT, encoding: 'utf8' });
      const label = args.join(' ');
      expect({ label, status: r.status, stdout: r.stdout }).toEqual({ label, status: 2, stdout: '' });
      expect(r.stderr.split('\n').filter(Boolean), label).toHaveLength(1);
      expect(r.stderr.trim(), label).toMatch(pattern);
    }
  });
});

// ---------------------------------------------------------------- evaluate, one pass

/** A tiny image model, so that evaluate runs in a moment on lavapipe. */
function tinyImageModel(): Sequential {
  const m = new Sequential({ name: 'misuse' });
  m.add(new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, 3], activation: 'relu' }));
  m.add(new Flatten());
  m.add(new Dense({ units: 1, activation: 'sigmoid' }));
  return m;
}

/** Keras's clipped binary cross-entropy and accuracy over probabilities, in float64. */
function expected(p: Float32Array, y: number[]): { loss: number; acc: number } {
  const eps = 1e-7;
  let [loss, acc] = [0, 0];
  p.forEach((v, i) => {
    const q = Math.min(Math.max(v, eps), 1 - eps);
    loss -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
    acc += (v > 0.5 ? 1 : 0) === y[i] ? 1 : 0;
  });
  return { loss: loss / p.length, acc: acc / p.length };
}

describe('evaluate with a corrupt image in the folder', () => {
  test('takes one pass over the images that decode: each counted once', async () => {
    const folder = join(dir, 'eval');
    const files = makeImageFolder(folder, 3, 9);
    // Sorted last in cats/, so the pass ends short of what the listing promised.
    fs.writeFileSync(join(folder, 'cats', 'zz_broken.png'), 'not an image at all');
    const model = tinyImageModel();
    const path = join(dir, 'eval.h5');
    await saveModel(model, path);
    const x = toFloatBatch(files.map((f) => loadImage(join(folder, f), { targetSize: [8, 8] })));
    const xt = Tensor.fromArray(x, [files.length, 8, 8, 3]);
    const pt = model.predict(xt);
    const p = (await pt.data()) as Float32Array;
    for (const t of [xt, pt]) t.dispose();
    model.dispose();
    const want = expected(
      p,
      files.map((f) => (f.startsWith('dogs/') ? 1 : 0)),
    );

    const r = await cli(['evaluate', '--model', path, '--data', folder, '--batch-size', '2']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toBe('Found 7 images belonging to 2 classes.');
    const loss = Number(/^test loss: (.+)$/.exec(r.out[1])?.[1]);
    const acc = Number(/^test acc: (.+)$/.exec(r.out[2])?.[1]);
    expect(Math.abs(loss - want.loss), `loss ${loss} vs ${want.loss}`).toBeLessThan(1e-5);
    expect(acc).toBeCloseTo(want.acc, 6);
    expect(r.err.some((l) => /skipping cats\/zz_broken\.png: not an image/.test(l))).toBe(true);
    expect(r.err.some((l) => /evaluated 6 images; 1 unreadable ones were left out/.test(l))).toBe(true);
  });
});
