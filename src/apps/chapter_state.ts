// The chapter run's state file (<out>/state.json): which epochs of which approach are done, the
// histories so far, the random generator's state and the settings the run was started with.
// Written atomically after every epoch, next to that epoch's model checkpoint, so a run killed
// at any point resumes from the last completed epoch.
//
// The two files of an epoch commit in this order (see commitEpoch): the model goes to
// checkpoints/<phase>.epoch-NN.h5 (temp, fsync, rename), state.json then says epoch NN is done
// (the commit point), and only then is the new model renamed over checkpoints/<phase>.h5. A kill
// anywhere leaves <phase>.h5 plus state.json naming the same epoch, or a pending file that
// settleCheckpoints() promotes (state.json names it) or drops (it does not).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isTempName, renameDurable, writeFileAtomic } from '../util/atomic_write.js';

export type Phase = 'feature-extraction' | 'transfer' | 'fine-tune';
export const PHASES: readonly Phase[] = ['feature-extraction', 'transfer', 'fine-tune'];

export interface PhaseState {
  epochsDone: number;
  history: { loss: number[]; acc: number[]; val_loss: number[]; val_acc: number[] };
  epochSeconds: number[];
  imagesPerSec?: number;
  featureSeconds?: number;
  resumedFromEpoch?: number;
}

export interface RunState {
  version: 1;
  settingsKey: string;
  /** State of the global generator (dropout masks) after the last completed epoch. */
  rng: number;
  phases: Record<Phase, PhaseState>;
  startedAt: string;
}

function emptyPhase(): PhaseState {
  return { epochsDone: 0, history: { loss: [], acc: [], val_loss: [], val_acc: [] }, epochSeconds: [] };
}

export function freshState(settingsKey: string, rng: number): RunState {
  return {
    version: 1,
    settingsKey,
    rng,
    startedAt: new Date().toISOString(),
    phases: { 'feature-extraction': emptyPhase(), transfer: emptyPhase(), 'fine-tune': emptyPhase() },
  };
}

export function loadState(out: string): RunState | null {
  const path = join(out, 'state.json');
  if (!existsSync(path)) return null;
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as RunState;
    if (s.version !== 1 || !s.phases) throw new Error('unknown layout');
    return s;
  } catch (e) {
    throw new Error(`dawnflow: ${path} is damaged (${(e as Error).message}); delete it or use another --out`);
  }
}

export function saveState(out: string, s: RunState): void {
  // Temp file, fsync, rename: the previous state stays whole until the new one is complete.
  writeFileAtomic(join(out, 'state.json'), JSON.stringify(s, null, 2), { durable: true, fault: 'state-write' });
}

// --- checkpoint commit ---------------------------------------------------------------------

export function checkpointPath(out: string, phase: Phase): string {
  return join(out, 'checkpoints', `${phase}.h5`);
}

/** Where epoch `epoch` (1-based) of `phase` is written before state.json commits it. */
export function pendingCheckpointPath(out: string, phase: Phase, epoch: number): string {
  return join(out, 'checkpoints', `${phase}.epoch-${String(epoch).padStart(2, '0')}.h5`);
}

/**
 * Commits an epoch whose model is already at pendingCheckpointPath: state.json first (from
 * here on the epoch counts as done), then the pending model replaces <phase>.h5.
 */
export function commitEpoch(out: string, s: RunState, phase: Phase): void {
  saveState(out, s);
  promote(out, phase, s.phases[phase].epochsDone);
}

function promote(out: string, phase: Phase, epoch: number): void {
  renameDurable(pendingCheckpointPath(out, phase, epoch), checkpointPath(out, phase));
}

/**
 * Finishes what a killed run left: a pending checkpoint of the epoch state.json names is
 * promoted; any other pending checkpoint (its epoch never committed) and every temp file of an
 * interrupted write are removed. Returns the files removed, relative to `out`.
 */
export function settleCheckpoints(out: string, s: RunState): string[] {
  const removed = removeTempFiles(out);
  const dir = join(out, 'checkpoints');
  if (!existsSync(dir)) return removed;
  for (const name of readdirSync(dir).sort()) {
    const m = /^(.+)\.epoch-(\d+)\.h5$/.exec(name);
    if (!m) continue;
    const phase = PHASES.find((p) => p === m[1]);
    if (phase && Number(m[2]) === s.phases[phase].epochsDone) promote(out, phase, Number(m[2]));
    else {
      rmSync(join(dir, name), { force: true });
      removed.push(join('checkpoints', name));
    }
  }
  return removed;
}

/** Every writer here goes through util/atomic_write's temporary files; a kill can leave them. */
function removeTempFiles(out: string): string[] {
  const removed: string[] = [];
  for (const sub of ['', 'checkpoints', 'features', 'plots']) {
    if (!existsSync(join(out, sub))) continue;
    for (const name of readdirSync(join(out, sub)).filter(isTempName)) {
      rmSync(join(out, sub, name), { force: true });
      removed.push(join(sub, name));
    }
  }
  return removed;
}
