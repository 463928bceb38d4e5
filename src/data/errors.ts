// One error shape for every data-loading problem, so a training run that dies on image 1734 of
// 2000 tells the user which file and what to do, on a single line: `dawnflow: <path>: <problem>`.

export function dataError(subject: string, what: string, cause?: unknown): Error {
  return new Error(oneLine(`dawnflow: ${subject}: ${what}`), { cause });
}

/** True for errors made by dataError, which callers pass on unchanged. */
export function isDataError(e: unknown): e is Error {
  return e instanceof Error && e.message.startsWith('dawnflow: ');
}

/**
 * A short one-line description of anything a decoder threw. jpeg-js and pngjs throw Errors with
 * terse messages ("marker was not found"), but corrupt input can also surface as TypeErrors or
 * RangeErrors from inside them, so no shape is assumed.
 */
export function describeThrown(e: unknown): string {
  let text: string;
  if (e instanceof Error) text = e.message || e.name;
  else if (typeof e === 'string') text = e;
  else {
    try {
      text = String(e);
    } catch {
      text = typeof e;
    }
  }
  text = oneLine(text);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** An fs error code (ENOENT, EACCES, ...) or the message when there is none. */
export function fsReason(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : describeThrown(e);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
