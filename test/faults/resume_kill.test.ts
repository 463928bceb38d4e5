// Crash and resume: `dawnflow chapter` on tiny generated data is SIGKILLed ten times at seeded
// points spread over the run (inside a training step, inside a checkpoint write after the temp
// file is synced, between the model and state.json commits, and after seeded random delays) and
// resumed each time. After every kill each checkpoint on disk must load and agree with
// state.json; no finished epoch may run again; and the end result (weights, optimizer state,
// histories, test accuracy) must equal an uninterrupted run's bit for bit.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { mulberry32 } from '../helpers/random.js';
import type { KerasWeightsFile } from '../../src/io/h5_read.js';
import {
  TINY,
  chapterArgs,
  iterationsOf,
  killChildren,
  makeChapterData,
  readAllH5,
  readState,
  runCli,
  type CliRun,
} from './chapter_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-resume-kill-'));
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});
const data = makeChapterData(join(dir, 'data'));

const PHASES = [
  { name: 'feature-extraction', ...TINY.fe },
  { name: 'transfer', ...TINY.tr },
  { name: 'fine-tune', ...TINY.ft },
];
const TOTAL = PHASES.reduce((n, p) => n + p.epochs, 0);
const SEED = 20240611;

type Kind = 'train-step' | 'checkpoint-write' | 'state-write' | 'delay';

/** Phase and steps of global epoch `g` (1-based, all phases in order). */
function epochAt(g: number): { name: string; steps: number; line: string } {
  let first = 1;
  for (const p of PHASES) {
    const line = `Epoch ${g - first + 1}/${p.epochs}`;
    if (g < first + p.epochs) return { name: p.name, steps: p.steps, line };
    first += p.epochs;
  }
  throw new Error(`no epoch ${g}`);
}

function committed(out: string): number {
  const s = readState(out);
  return s ? PHASES.reduce((n, p) => n + s.phases[p.name].epochsDone, 0) : 0;
}

/** The kill plan: kinds in a seeded order, target epochs (kill before it commits) ascending. */
function plan(): { kind: Kind; target: number; pick: number }[] {
  const rnd = mulberry32(SEED);
  const kinds: Kind[] = [
    'train-step',
    'train-step',
    'train-step',
    'checkpoint-write',
    'checkpoint-write',
    'checkpoint-write',
    'state-write',
    'state-write',
    'delay',
    'delay',
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const targets = kinds.map(() => Math.floor(rnd() * (TOTAL + 1))).sort((a, b) => a - b);
  return kinds.map((kind, i) => ({ kind, target: targets[i], pick: rnd() }));
}

interface Kill {
  kind: Kind;
  env: Record<string, string>;
  /** Output that triggers the kill. */
  marker: string;
  /** Committed epochs after the kill, where the kill point fixes it. */
  expect: number | null;
  delayMs: number;
}

/** The last target epoch each kind can still reach (a delay may overrun by an epoch or two). */
const CAP: Record<Kind, number> = {
  'checkpoint-write': TOTAL,
  'state-write': TOTAL - 1,
  'train-step': TOTAL - 1,
  delay: TOTAL - 3,
};

/**
 * Turns a planned kill into a fault point and hit count for a process starting at `done`
 * committed epochs: the kill lands before epoch target + 1 commits. A checkpoint write at
 * target TOTAL is the final model's.
 */
function arm(planned: { kind: Kind; target: number; pick: number }, done: number): Kill {
  const kind = done > CAP[planned.kind] ? 'checkpoint-write' : planned.kind;
  const t = Math.max(done, Math.min(planned.target, CAP[kind]));
  if (kind === 'delay') {
    const delayMs = Math.floor(planned.pick * 400);
    return { kind, env: {}, marker: `\n${epochAt(t + 1).line}\n`, expect: null, delayMs };
  }
  let n = t - done + 1;
  if (kind === 'train-step') {
    n = 1 + Math.floor(planned.pick * epochAt(t + 1).steps);
    for (let g = done + 1; g <= t; g++) n += epochAt(g).steps;
  }
  return {
    kind,
    env: { DAWNFLOW_FAULT_PAUSE_IN: `${kind}@${n}`, DAWNFLOW_FAULT_PAUSE_MS: '60000' },
    marker: `dawnflow-fault: paused in ${kind} #${n}`,
    expect: t,
    delayMs: 0,
  };
}

/** Runs until the marker appears, then kills at once (a fault pause) or after the delay. */
function runAndKill(out: string, k: Kill): Promise<CliRun> {
  let armed = false;
  return runCli(chapterArgs(data, join(dir, out)), k.env, (text, kill) => {
    if (armed || !text.includes(k.marker)) return;
    armed = true;
    setTimeout(kill, k.delayMs);
  });
}

/** Global epoch numbers of the `Epoch k/N` lines a run printed (N tells the phase apart). */
function epochsStarted(text: string): number[] {
  const first = (i: number) => PHASES.slice(0, i).reduce((n, q) => n + q.epochs, 1);
  const firsts = new Map(PHASES.map((p, i) => [p.epochs, first(i)]));
  const lines = [...text.matchAll(/^Epoch (\d+)\/(\d+)$/gm)];
  return lines.map((m) => firsts.get(Number(m[2]))! + Number(m[1]) - 1);
}

/** No finished epoch runs again: a run starts at the first uncommitted one and goes in order. */
function expectNoEpochTwice(r: CliRun, before: number): void {
  const started = epochsStarted(r.out);
  expect(started, r.out).toEqual(started.map((_, i) => before + 1 + i));
}

/** Every .h5 loads; each phase's checkpoint holds exactly the epochs state.json counts. */
function checkOnDisk(out: string): void {
  const files = readAllH5(out);
  const state = readState(out);
  for (const p of PHASES) {
    const done = state?.phases[p.name].epochsDone ?? 0;
    if (done === 0) continue;
    const pending = `checkpoints/${p.name}.epoch-${String(done).padStart(2, '0')}.h5`;
    const f = files.get(pending) ?? files.get(`checkpoints/${p.name}.h5`);
    expect(f, `${out}: ${p.name} has ${done} epochs committed but no checkpoint`).toBeDefined();
    expect(iterationsOf(f!), `${out}: ${p.name} checkpoint vs state.json`).toBe(done * p.steps);
  }
}

function sameWeights(a: KerasWeightsFile, b: KerasWeightsFile, what: string): void {
  const flat = (f: KerasWeightsFile) => [
    ...f.layers.flatMap((l) => l.weights.map((w) => ({ ...w, name: `${l.name}/${w.name}` }))),
    ...f.optimizerWeights,
  ];
  const [x, y] = [flat(a), flat(b)];
  expect(
    y.map((w) => w.name),
    what,
  ).toEqual(x.map((w) => w.name));
  x.forEach((w, i) => {
    const bytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    expect(Buffer.compare(bytes(w.data), bytes(y[i].data)), `${what}: ${w.name}`).toBe(0);
  });
}

function sameResult(ref: string, got: string): void {
  const [a, b] = [readState(join(dir, ref))!, readState(join(dir, got))!];
  expect(b.rng).toBe(a.rng);
  for (const p of PHASES) {
    expect(b.phases[p.name].history, p.name).toEqual(a.phases[p.name].history);
    expect(b.phases[p.name].epochsDone).toBe(p.epochs);
  }
  const results = (o: string) => JSON.parse(readFileSync(join(dir, o, 'results.json'), 'utf8'));
  expect(results(got).test).toEqual(results(ref).test);
  const [fa, fb] = [readAllH5(join(dir, ref)), readAllH5(join(dir, got))];
  expect([...fb.keys()].sort()).toEqual([...fa.keys()].sort());
  for (const [name, f] of fa) sameWeights(f, fb.get(name)!, name);
  for (const n of readdirSync(join(dir, ref, 'features')).filter((x) => x.endsWith('.npy'))) {
    const [x, y] = [ref, got].map((o) => readFileSync(join(dir, o, 'features', n)));
    expect(y.equals(x), n).toBe(true);
  }
}

/** A kill inside a checkpoint write leaves its temp file (never a half-written .h5). */
function expectTempLeft(out: string): void {
  const names = [...readdirSync(out), ...readdirSync(join(out, 'checkpoints'))];
  expect(
    names.some((n) => n.includes('.h5.tmp-')),
    names.join(' '),
  ).toBe(true);
}

/** One planned kill, then the checks on what it left; returns a line for the log. */
async function killOnce(planned: ReturnType<typeof plan>[number]): Promise<string> {
  const out = join(dir, 'run');
  const before = committed(out);
  const k = arm(planned, before);
  const r = await runAndKill('run', k);
  expect(r.signal, `${k.kind}: the run was not killed\n${r.out}`).toBe('SIGKILL');
  expect(r.out).toContain(k.marker);
  const after = committed(out);
  if (k.expect !== null) expect(after, `${k.kind} kill`).toBe(k.expect);
  expect(after).toBeGreaterThanOrEqual(before);
  expectNoEpochTwice(r, before);
  checkOnDisk(out);
  if (k.kind === 'checkpoint-write') expectTempLeft(out);
  const pause = k.env.DAWNFLOW_FAULT_PAUSE_IN;
  const how = pause ? `at ${pause}` : `${k.delayMs} ms into ${k.marker.trim()}`;
  return `${k.kind} ${how}: epochs committed ${before} -> ${after}`;
}

test('ten SIGKILLs at seeded points, each resumed: equal to an uninterrupted run bit for bit', async () => {
  const t0 = performance.now();
  const ref = await runCli(chapterArgs(data, join(dir, 'ref')));
  expect(ref.code, ref.out).toBe(0);
  const refSeconds = (performance.now() - t0) / 1000;
  const log: string[] = [];
  for (const planned of plan()) log.push(await killOnce(planned));
  expect(log).toHaveLength(10);
  const before = committed(join(dir, 'run'));
  const last = await runCli(chapterArgs(data, join(dir, 'run')));
  expect(last.code, last.out).toBe(0);
  expectNoEpochTwice(last, before);
  // Unfinished writes of the killed runs are gone; only each phase's committed model is left.
  const left = readdirSync(join(dir, 'run', 'checkpoints')).sort();
  expect(left).toEqual(PHASES.map((p) => `${p.name}.h5`).sort());
  sameResult('ref', 'run');
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  const head = `resume_kill: 10 kills survived in ${seconds} s (uninterrupted run ${refSeconds.toFixed(1)} s)`;
  console.log(`${head}\n  ${log.join('\n  ')}`);
}, 400_000);
