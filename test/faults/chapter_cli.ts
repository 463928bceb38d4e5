// Shared by the fault tests: tiny generated data, the `dawnflow chapter` command line for a run
// of a few seconds on lavapipe, a child-process runner that can SIGKILL on cue, and checks of
// what a run folder holds. Uses the compiled CLI (npm test and test:faults build dist/ first).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quickChapterArgs } from '../helpers/chapter_args.js';
import { makeSplitFolders } from '../helpers/image_folder.js';
import { readKerasH5, type KerasWeightsFile } from '../../src/io/h5_read.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** train/, validation/ and test/ of 3 + 3 small PNGs each under `dir`. */
export function makeChapterData(dir: string): string {
  return makeSplitFolders(dir, 3);
}

/** Epochs and steps of the tiny run; the flags below are built from them. */
export const TINY = {
  fe: { epochs: 8, steps: 2 },
  tr: { epochs: 3, steps: 1 },
  ft: { epochs: 2, steps: 1 },
};

export function chapterArgs(data: string, out: string, extra: string[] = []): string[] {
  return [
    'bin/dawnflow.js',
    ...quickChapterArgs(data, out, 2),
    '--seed',
    '3',
    '--fe-epochs',
    String(TINY.fe.epochs),
    '--fe-batch-size',
    '1',
    '--tr-epochs',
    String(TINY.tr.epochs),
    '--tr-steps',
    String(TINY.tr.steps),
    '--tr-batch-size',
    '1',
    '--tr-val-batch-size',
    '1',
    '--tr-val-steps',
    '1',
    '--ft-epochs',
    String(TINY.ft.epochs),
    '--ft-steps',
    String(TINY.ft.steps),
    '--ft-batch-size',
    '1',
    '--ft-val-steps',
    '1',
    '--test-batch-size',
    '2',
    ...extra,
  ];
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

const children = new Set<ChildProcess>();

/** SIGKILLs every child this module started that is still running (for afterAll). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

/**
 * Runs the CLI with extra environment. `watch` sees all output so far after every chunk and
 * may call `kill` (SIGKILL, once) or `signal` (any signal, once: a Ctrl-C is SIGINT).
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  watch?: (text: string, kill: () => void, signal: (s: NodeJS.Signals) => void) => void,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...env },
    });
    children.add(child);
    let text = '';
    const kill = () => child.exitCode === null && child.kill('SIGKILL');
    let signalled = false;
    const signal = (sig: NodeJS.Signals) => {
      if (signalled || child.exitCode !== null) return;
      signalled = true;
      child.kill(sig);
    };
    const onData = (d: Buffer) => {
      text += d;
      watch?.(text, kill, signal);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, out: text });
    });
  });
}

/** The last non-empty line a run printed. */
export function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .pop() ?? ''
  );
}

export interface RunState {
  rng: number;
  phases: Record<string, { epochsDone: number; history: Record<string, number[]> }>;
}

export function readState(out: string): RunState | null {
  const path = join(out, 'state.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunState) : null;
}

/** Every .h5 file of the run folder (checkpoints and final model), each read fully. */
export function readAllH5(out: string): Map<string, KerasWeightsFile> {
  const files = new Map<string, KerasWeightsFile>();
  const dir = join(out, 'checkpoints');
  const inDir = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.h5')) : [];
  const names = inDir.map((n) => join('checkpoints', n));
  if (existsSync(join(out, 'final_model.h5'))) names.push('final_model.h5');
  for (const n of names) files.set(n, readKerasH5(join(out, n)));
  return files;
}

/** The optimizer's `iterations` stored in a checkpoint (0 when it holds no optimizer state). */
export function iterationsOf(f: KerasWeightsFile): number {
  const it = f.optimizerWeights.find((w) => w.name.endsWith('iterations:0'));
  return it ? it.data[0] : 0;
}
