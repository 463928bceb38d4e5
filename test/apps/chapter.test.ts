// `dawnflow chapter` end to end on tiny generated data, in child processes: the printed
// sequence, the files written, and a resume after SIGKILL between epochs (no epoch redone,
// history continuous). Uses the compiled CLI (npm test builds dist/ first).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { quickChapterArgs } from '../helpers/chapter_args.js';
import { makeSplitFolders } from '../helpers/image_folder.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-chapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'data');
makeSplitFolders(data, 3);
const out = join(dir, 'run');
const ARGS = [
  'bin/dawnflow.js',
  ...quickChapterArgs(data, out, 6),
  '--fe-epochs',
  '4',
  '--tr-epochs',
  '3',
  '--tr-steps',
  '1',
  '--tr-batch-size',
  '2',
  '--tr-val-batch-size',
  '2',
  '--tr-val-steps',
  '1',
  '--ft-epochs',
  '2',
  '--ft-steps',
  '1',
  '--ft-batch-size',
  '2',
  '--ft-val-steps',
  '1',
  '--test-batch-size',
  '3',
];

interface Run {
  code: number | null;
  out: string;
  signal: NodeJS.Signals | null;
}

/** Runs the CLI; `killWhen` is polled and, once true, the child gets SIGKILL. */
function runCli(killWhen?: () => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ARGS, {
      cwd: root,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const timer = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 100) : null;
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, out: text, signal });
    });
  });
}

function transferEpochsDone(): number {
  try {
    return JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).phases.transfer.epochsDone;
  } catch {
    return 0;
  }
}

test('chapter runs all three approaches, and resumes after a kill without redoing an epoch', async () => {
  const killed = await runCli(() => transferEpochsDone() >= 1);
  expect(killed.signal, killed.out).toBe('SIGKILL');
  expect(killed.out).toContain('NOTE: random VGG16 weights');
  expect(killed.out).toContain('This is the number of trainable weights after freezing the conv base: 4');
  const done = transferEpochsDone();
  expect(done).toBeGreaterThanOrEqual(1);
  const resumed = await runCli();
  expect(resumed.code, resumed.out).toBe(0);
  expect(resumed.out).toContain(`resuming transfer after epoch ${done}/3`);
  // Approach 1 is complete and its features are on disk: neither is computed again.
  expect(resumed.out).not.toContain('conv-base features of');
  expect(resumed.out).not.toMatch(/^Epoch 1\/4$/m);
  expect(resumed.out).not.toMatch(new RegExp(`^Epoch ${done}/3$`, 'm'));
  expect(resumed.out).toMatch(/^test acc: [\d.]+$/m);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const tr = results.approaches.find((a: { name: string }) => a.name === 'transfer');
  expect(tr.history.loss).toHaveLength(3);
  expect(tr.resumedFromEpoch).toBe(done);
  expect(results.approaches.map((a: { status: string }) => a.status)).toEqual(['done', 'done', 'done']);
  for (const f of ['report.html', 'final_model.h5', 'plots/transfer_acc.png', 'checkpoints/fine-tune.h5'])
    expect(existsSync(join(out, f)), f).toBe(true);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  expect(html).not.toContain('<script');
  // The same command on a finished run does nothing again but the test and the report.
  const again = await runCli();
  expect(again.code).toBe(0);
  expect(again.out).not.toMatch(/^Epoch /m);
}, 600_000);

test('a run folder with other settings is refused with the fix', async () => {
  const r = await new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [...ARGS, '--seed', '9'], { cwd: root });
    let text = '';
    child.stderr.on('data', (d) => (text += d));
    child.stdout.on('data', (d) => (text += d));
    child.on('exit', (code, signal) => resolve({ code, out: text, signal }));
  });
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(/holds a run with other settings; use another --out/);
}, 120_000);
