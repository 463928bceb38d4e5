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
