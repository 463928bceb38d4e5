// The autotuner's memory: which conv kernel variant was fastest for each (op, shape) on this
// adapter, measured by `dawnflow tune` and kept in a JSON file per adapter, so later processes
// pick it without measuring. Unknown shapes keep the per-adapter default (conv_tex.ts).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { currentGpu } from '../gpu/engine.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import type { ConvGeometry, ConvOp, ConvVariant } from './conv_types.js';

/** Bump when kernels change enough that old measurements no longer hold. */
export const TUNING_VERSION = 2;

export interface TuningEntry { choice: ConvVariant; ms: Partial<Record<ConvVariant, number>> }

export interface TuningFile {
  version: number;
  adapter: string;
  created: string;
  entries: Record<string, TuningEntry>;
}

let loaded: { path: string; file: TuningFile } | null = null;

/** The shape part of a key: every field the kernels' speed depends on. */
export function tuningKey(op: ConvOp, g: ConvGeometry): string {
  return `${op} ${g.batch}x${g.H}x${g.W}x${g.CI} k${g.KH}x${g.KW}x${g.CO} s${g.SH}x${g.SW} p${g.PT}x${g.PL}`;
}

function adapterName(): string {
  const i = currentGpu().info;
  return `${i.vendor} | ${i.architecture} | ${i.device} | ${i.description}`;
}

/** ~/.cache/dawnflow/tuning-<hash of the adapter>.json, or under DAWNFLOW_CACHE_DIR. */
export function tuningPath(): string {
  const dir = process.env.DAWNFLOW_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dawnflow');
  const hash = createHash('sha256').update(adapterName()).digest('hex').slice(0, 12);
  return join(dir, `tuning-${hash}.json`);
}

/** The cached file for this adapter; an unreadable or stale one counts as none. */
export function loadTuning(): TuningFile {
  const path = tuningPath();
  if (loaded?.path === path) return loaded.file;
  let file: TuningFile = { version: TUNING_VERSION, adapter: adapterName(), created: '', entries: {} };
  if (process.env.DAWNFLOW_TUNING !== 'off' && existsSync(path)) {
    try {
      const f = JSON.parse(readFileSync(path, 'utf8')) as TuningFile;
      if (f.version === TUNING_VERSION && f.adapter === adapterName() && typeof f.entries === 'object') file = f;
    } catch {
      // A damaged cache is only a lost measurement: defaults apply until the next tune.
    }
  }
  loaded = { path, file };
  return file;
}

export function tunedVariant(op: ConvOp, g: ConvGeometry): ConvVariant | undefined {
  return loadTuning().entries[tuningKey(op, g)]?.choice;
}

/** Merges new measurements into this adapter's file (written atomically) and returns its path. */
export function saveTuning(entries: Record<string, TuningEntry>): string {
  const file = loadTuning();
  const merged: TuningFile = {
    ...file, created: new Date().toISOString(), entries: { ...file.entries, ...entries },
  };
  const path = tuningPath();
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(merged, null, 2)}\n`);
  loaded = { path, file: merged };
  return path;
}

/** Forgets the loaded file (tests point DAWNFLOW_CACHE_DIR elsewhere between cases). */
export function resetTuningCache(): void {
  loaded = null;
}
