// The chapter run's state file (<out>/state.json): which epochs of which approach are done, the
// histories so far, the random generator's state and the settings the run was started with.
// Written atomically after every epoch, next to that epoch's model checkpoint, so a run killed
// at any point resumes from the last completed epoch.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';

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
    version: 1, settingsKey, rng, startedAt: new Date().toISOString(),
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

/** Temp file, fsync, rename: the previous state stays whole until the new one is complete. */
export function writeAtomic(path: string, text: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

export function saveState(out: string, s: RunState): void {
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, 'state.json'), JSON.stringify(s, null, 2));
}
