// One-line error text shared by every loader. Third-party decoders and readers throw anything
// (strings, TypeErrors from their own asserts, RangeErrors from DataViews), and names in
// messages come from files that may hold any bytes, so both are flattened to one safe line.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Whitespace runs become one space; control characters (terminal escapes, NULs) become '?'. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').replace(CONTROL, '?').trim();
}

/** True for errors dawnflow made itself (`dawnflow: ...`), which callers pass on unchanged. */
export function isOwnError(e: unknown): e is Error {
  return e instanceof Error && e.message.startsWith('dawnflow: ');
}

export interface DescribeOptions {
  /** Prefix the error's class name (`TypeError: ...`), useful when the message alone is vague. */
  withName?: boolean;
  /** Longest description before it is cut with an ellipsis. */
  max?: number;
}

/** A short one-line description of anything thrown. */
export function describeThrown(e: unknown, o: DescribeOptions = {}): string {
  let text: string;
  if (e instanceof Error) text = o.withName ? `${e.name}: ${e.message}` : e.message || e.name;
  else if (typeof e === 'string') text = e;
  else {
    try {
      text = String(e);
    } catch {
      text = typeof e;
    }
  }
  text = oneLine(text);
  const max = o.max ?? 120;
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * What a third-party decoder or parser said, fit for a user. Its own messages ("SOI not found",
 * "invalid distance too far back") are kept. A JavaScript engine error raised inside it (a
 * TypeError on a table the file never defined, a RangeError on a short buffer) or a failed
 * internal assert says nothing about the file and reads like a dawnflow crash, so it becomes
 * "could not make sense of the data"; the original stays in the error's cause.
 */
export function libraryReason(lib: string, e: unknown): string {
  return isInternal(e) ? `${lib} could not make sense of the data` : `${lib}: ${describeThrown(e)}`;
}

function isInternal(e: unknown): boolean {
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return true;
  if (e instanceof SyntaxError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && (e.name === 'AssertionError' || code === 'ERR_ASSERTION');
}
