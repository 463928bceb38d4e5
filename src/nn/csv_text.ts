// Text in the format of Keras 2.3.1's CSVLogger, so that scripts written for Keras logs read
// ours: a header `epoch` then the log keys sorted, epochs counted from 0, each line ended by
// '\r\n' (Python's csv.excel dialect, which the logger opens with newline='\n'), numbers as
// Python's str() of a float writes them, and 'NA' where an epoch has no value for a key.
// CSVLogger (csv_logger.ts) and the report's history/<approach>.csv both write through here.

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

/** A cell: a number as Python prints it, or 'NA' for a missing value. */
export type CsvValue = number | 'NA';

/** One CSV line with its '\r\n'; a field holding the separator, a quote or a newline is quoted. */
export function csvLine(fields: readonly string[], separator = ','): string {
  const quote = (f: string) => (f.includes(separator) || /["\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  return `${fields.map(quote).join(separator)}\r\n`;
}

export function csvHeader(keys: readonly string[], separator = ','): string {
  return csvLine(['epoch', ...keys], separator);
}

/** The row of one epoch: its number, then each key's value (int keys print as Python ints). */
export function csvRow(epoch: number, values: readonly CsvValue[], separator = ','): string {
  return csvLine([String(epoch), ...values.map((v) => (v === 'NA' ? v : pythonFloat(v)))], separator);
}
