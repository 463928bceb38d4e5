// Flags every command takes: the device's (which adapter, which backend) and the global ones.
// Their defaults come from the DAWNFLOW_* settings table, which the device reads too.
import { SETTINGS } from '../util/settings.js';
import type { Flag, FlagKind, FlagSpec } from './args.js';

export const DEVICE_FLAGS: Record<'adapter' | 'backend', Flag> = {
  adapter: {
    kind: 'string',
    value: 'NAME',
    help: 'run on the adapter whose name contains NAME (env DAWNFLOW_ADAPTER)',
    default: SETTINGS.DAWNFLOW_ADAPTER.unset,
  },
  backend: {
    kind: 'string',
    value: SETTINGS.DAWNFLOW_BACKEND.values.join('|'),
    help: 'run on this Dawn backend (env DAWNFLOW_BACKEND)',
    default: SETTINGS.DAWNFLOW_BACKEND.unset,
  },
};

/** Taken before the command (`dawnflow --verbose info`) or among its flags. */
export const GLOBAL_FLAGS: Record<'verbose' | 'help', Flag> = {
  verbose: { kind: 'boolean', help: "show Dawn's own log lines (such as its notes on clamped adapter limits)" },
  help: { kind: 'boolean', help: "the command's flags, their meaning and defaults" },
};

/**
 * Kinds declared elsewhere, described here (a spec whose file is another's to edit): every
 * name of `kinds` must have its line in `docs`, which a test checks.
 */
export function described(kinds: FlagSpec, docs: Record<string, Omit<Flag, 'kind'>>): FlagSpec {
  const out: FlagSpec = {};
  for (const [name, f] of Object.entries(kinds)) {
    const kind: FlagKind = typeof f === 'string' ? f : f.kind;
    const doc = name in DEVICE_FLAGS ? DEVICE_FLAGS[name as 'adapter'] : docs[name];
    out[name] = doc ? { ...doc, kind } : kind;
  }
  return out;
}

/** A preset-dependent default: the first preset's value, then the others' where they differ. */
export function presetDefault<P>(presets: Record<string, P>, pick: (p: P) => unknown): () => string {
  return () => {
    const [[, first], ...rest] = Object.entries(presets);
    const v = (p: P) => showValue(pick(p) ?? 'all');
    const others = rest.filter(([, p]) => v(p) !== v(first)).map(([name, p]) => `${name} ${v(p)}`);
    return others.length ? `${v(first)} (${others.join(', ')})` : v(first);
  };
}

/** A default as help prints it: small rates as 2e-5, not 0.00002. */
export function showValue(v: unknown): string {
  return typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
}
