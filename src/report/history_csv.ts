// history/<approach>.csv in the format of Keras 2.3.1's CSVLogger (src/nn/csv_text.ts writes
// it, for CSVLogger too): the chapter's four keys, sorted, one row per epoch.
import { type CsvValue, csvHeader, csvRow } from '../nn/csv_text.js';
import type { ApproachResult, EpochHistory } from './results.js';

export { pythonFloat } from '../nn/csv_text.js';

const KEYS = ['acc', 'loss', 'val_acc', 'val_loss'] as const;

/** JSON turns NaN into null: a missing epoch value is a NaN Keras would have logged as 'nan'. */
function cell(values: readonly (number | null)[] | undefined, i: number): CsvValue {
  if (!values || i >= values.length) return 'NA';
  const v = values[i];
  return typeof v === 'number' ? v : NaN;
}

export function historyCsv(h: EpochHistory): string {
  const n = Math.max(...KEYS.map((k) => h[k]?.length ?? 0));
  let text = csvHeader(KEYS);
  for (let i = 0; i < n; i++)
    text += csvRow(
      i,
      KEYS.map((k) => cell(h[k], i)),
    );
  return text;
}

/** history/<approach>.csv, relative to the report directory. */
export function historyPath(a: Pick<ApproachResult, 'name'>): string {
  return `history/${fileStem(a.name)}.csv`;
}

// Approach names are a fixed set today; the guard keeps a future name from leaving the folder.
export function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
