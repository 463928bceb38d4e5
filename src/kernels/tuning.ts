// The autotuner's memory: which conv kernel variant was fastest for each (op, shape) on this
// adapter, measured by `dawnflow tune` and kept in a JSON file per adapter, so later processes
// pick it without measuring. Entries are keyed by the kernel planner's planKey (plan.ts), for
// saving and lookup alike; the planner decides what an entry means (unknown shapes keep the
// per-adapter default).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Gpu } from '../gpu/device.js';
import { currentGpu } from '../gpu/engine.js';
import { writeFileAtomic } from '../util/atomic_write.js';
import { setting } from '../util/settings.js';
import type { ConvVariant } from './conv_types.js';

/**
 * Bump when kernels or keys change enough that old measurements no longer hold (3: keys name the
 * sg share; 4: wino4, and Winograd for the input gradient).
 */
export const TUNING_VERSION = 4;

export interface TuningEntry {
  choice: ConvVariant;
  ms: Partial<Record<ConvVariant, number>>;
  /**
   * An RGB layer's forward or weight gradient by default runs as its patch product (plan.ts
   * patchColumns), which no variant names: its time, where the tuner took it. The forward's
   * entry decides: the variant runs only where it beat the patch product.
   */
  patches?: number;
}

export interface TuningFile {
  version: number;
  adapter: string;
  created: string;
  entries: Record<string, TuningEntry>;
}

let loaded: { path: string; file: TuningFile } | null = null;

function adapterName(): string {
  const i = currentGpu().info;
  return `${i.vendor} | ${i.architecture} | ${i.device} | ${i.description}`;
}

// The planner reads the cache on every conv and dense call: the path (a hash and two joins) is
// rebuilt only when the device or the folder settings change.
let pathMemo: { gpu: Gpu; dir: string | null; xdg: string | undefined; path: string } | null = null;

/** ~/.cache/dawnflow/tuning-<hash of the adapter>.json, or under DAWNFLOW_CACHE_DIR. */
export function tuningPath(): string {
  const gpu = currentGpu();
  const dir = setting('DAWNFLOW_CACHE_DIR');
  const xdg = process.env.XDG_CACHE_HOME;
  if (pathMemo?.gpu === gpu && pathMemo.dir === dir && pathMemo.xdg === xdg) return pathMemo.path;
  const hash = createHash('sha256').update(adapterName()).digest('hex').slice(0, 12);
  const path = join(dir ?? join(xdg ?? join(homedir(), '.cache'), 'dawnflow'), `tuning-${hash}.json`);
  pathMemo = { gpu, dir, xdg, path };
  return path;
}

/** The cached file for this adapter; an unreadable or stale one counts as none. */
export function loadTuning(): TuningFile {
  const path = tuningPath();
  if (loaded?.path === path) return loaded.file;
  let file: TuningFile = { version: TUNING_VERSION, adapter: adapterName(), created: '', entries: {} };
  if (setting('DAWNFLOW_TUNING') === 'on' && existsSync(path)) {
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

/** The entry saved under `key` (planKey), if any. */
export function tunedEntry(key: string): TuningEntry | undefined {
  return loadTuning().entries[key];
}

/** Merges new measurements into this adapter's file (written atomically) and returns its path. */
export function saveTuning(entries: Record<string, TuningEntry>): string {
  const file = loadTuning();
  const merged: TuningFile = {
    ...file,
    created: new Date().toISOString(),
    entries: { ...file.entries, ...entries },
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
