// One error shape for every HDF5 problem, so a user always gets the file, what is wrong and what
// to do about it on a single line: `dawnflow: <file>: <what is wrong>; <the fix>`.

/** The fix for files that came from elsewhere: damaged or cut downloads are the usual cause. */
export const FIX_REDOWNLOAD = 'check the download (md5 in weights/README.md) or re-save the file';

export function h5Error(file: string, what: string, fix: string, cause?: unknown): Error {
  return new Error(oneLine(`dawnflow: ${file}: ${what}; ${fix}`), { cause });
}

/** True for errors made by h5Error, which callers pass on unchanged. */
export function isH5Error(e: unknown): e is Error {
  return e instanceof Error && e.message.startsWith('dawnflow: ');
}

/**
 * A one-line description of anything thrown. jsfive throws strings, TypeErrors from its own
 * `assert` (it calls the failed value as a function) and DataView RangeErrors, so no shape can be
 * assumed.
 */
export function describeThrown(e: unknown): string {
  let text: string;
  if (e instanceof Error) text = `${e.name}: ${e.message}`;
  else if (typeof e === 'string') text = e;
  else {
    try {
      text = String(e);
    } catch {
      text = typeof e;
    }
  }
  text = oneLine(text);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

// Names in messages come from the file and may hold any bytes; control characters (terminal
// escapes, NULs) become '?'.
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').trim();
}
