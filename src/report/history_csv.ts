// history.csv in the format of Keras 2.3.1's CSVLogger, so that scripts written for Keras logs
// read ours: the header `epoch` then the metric names sorted (acc, loss, val_acc, val_loss),
// epochs counted from 0, comma separated, each line ended by '\r\n' (Python's csv.excel dialect),
// and numbers as Python's str() of a float writes them.
import type { ApproachResult, EpochHistory } from './results.js';

const KEYS = ['acc', 'loss', 'val_acc', 'val_loss'] as const;

/**
 * Python's repr/str of a float: the shortest digits that round-trip (as JS), but in exponent
 * form below 1e-4 or from 1e16 on, with at least two exponent digits, and '.0' on whole numbers.
 */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = String(v); // plain digits between 1e-4 and 1e16
  return /[.e]/.test(fixed) ? fixed : `${fixed}.0`;
}

/** JSON turns NaN into null: a missing epoch value is a NaN Keras would have logged as 'nan'. */
function cell(values: readonly (number | null)[] | undefined, i: number): string {
  if (!values || i >= values.length) return 'NA';
  const v = values[i];
  return pythonFloat(typeof v === 'number' ? v : NaN);
}

export function historyCsv(h: EpochHistory): string {
  const n = Math.max(...KEYS.map((k) => h[k]?.length ?? 0));
  const rows = [['epoch', ...KEYS].join(',')];
  for (let i = 0; i < n; i++) rows.push([String(i), ...KEYS.map((k) => cell(h[k], i))].join(','));
  return rows.map((r) => `${r}\r\n`).join('');
}

/** history/<approach>.csv, relative to the report directory. */
export function historyPath(a: Pick<ApproachResult, 'name'>): string {
  return `history/${fileStem(a.name)}.csv`;
}

// Approach names are a fixed set today; the guard keeps a future name from leaving the folder.
export function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
