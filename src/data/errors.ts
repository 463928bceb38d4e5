// One error shape for every data-loading problem, so a training run that dies on image 1734 of
// 2000 tells the user which file and what to do, on a single line: `dawnflow: <path>: <problem>`.
import { describeThrown, isOwnError, oneLine } from '../util/errors.js';

export { describeThrown };

export function dataError(subject: string, what: string, cause?: unknown): Error {
  return new Error(oneLine(`dawnflow: ${subject}: ${what}`), { cause });
}

/** True for errors made by dataError, which callers pass on unchanged. */
export function isDataError(e: unknown): e is Error {
  return isOwnError(e);
}

/** An fs error code (ENOENT, EACCES, ...) or the message when there is none. */
export function fsReason(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : describeThrown(e);
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
