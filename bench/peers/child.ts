// Running one peer in its own process: a Node script (process.execPath) or a Python one, with the
// job as its one JSON argument and a timeout. Its last RESULT_TAG line is the outcome (or its
// error). And whether the PyTorch peer can run at all: python3 must import torch and numpy.
import { spawn, spawnSync } from 'node:child_process';
import { RESULT_TAG, type PeerJob, type PeerOutcome } from './spec.js';

export interface ChildResult {
  outcome?: PeerOutcome;
  error?: string;
  timedOut: boolean;
  seconds: number;
}

/** The child's one-line reason: its own error, else its last stderr line, else the exit status. */
function reasonOf(err: string, parsed: { error?: string } | undefined, status: string): string {
  const lastErr = err
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Warning:') && !l.startsWith('at '))
    .pop();
  return (parsed?.error ?? lastErr ?? `exited with ${status}`).slice(0, 300);
}

function parseTagged(text: string): (PeerOutcome & { error?: string }) | undefined {
  const tagged = text
    .split('\n')
    .filter((l) => l.startsWith(RESULT_TAG))
    .pop();
  try {
    return tagged ? JSON.parse(tagged.slice(RESULT_TAG.length)) : undefined;
  } catch {
    return undefined;
  }
}

export function runChild(command: string, script: string, job: PeerJob, timeoutS: number): Promise<ChildResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, [script, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    let done = false;
    const finish = (code: number | null, signal: string | null, spawnError?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      const parsed = parseTagged(`${out}\n${err}`);
      if (timedOut) return resolve({ timedOut, seconds, error: `killed after ${timeoutS} s` });
      if (spawnError) return resolve({ timedOut, seconds, error: spawnError.message });
      if (parsed && !parsed.error && code === 0) return resolve({ timedOut, seconds, outcome: parsed });
      resolve({ timedOut, seconds, error: reasonOf(err, parsed, String(signal ?? code)) });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Whether `python` imports torch and numpy: its torch version, or why the peer is skipped. */
export function torchAvailability(python: string): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync(python, ['-c', 'import numpy, torch; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) return { ok: false, reason: `no PyTorch: ${python} cannot run (${r.error.message.split('\n')[0]})` };
  if (r.status !== 0) {
    const last = (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`;
    return { ok: false, reason: `no PyTorch: ${python} cannot import torch and numpy (${last.slice(0, 200)})` };
  }
  return { ok: true, version: r.stdout.trim() };
}
