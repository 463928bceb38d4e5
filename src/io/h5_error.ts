// One error shape for every HDF5 problem, so a user always gets the file, what is wrong and what
// to do about it on a single line: `dawnflow: <file>: <what is wrong>; <the fix>`.
import { describeThrown as describeAny, isOwnError, oneLine } from '../util/errors.js';

/** The fix for files that came from elsewhere: damaged or cut downloads are the usual cause. */
export const FIX_REDOWNLOAD = 'check the download (md5 in weights/README.md) or re-save the file';

export function h5Error(file: string, what: string, fix: string, cause?: unknown): Error {
  return new Error(oneLine(`dawnflow: ${file}: ${what}; ${fix}`), { cause });
}

/** True for errors made by h5Error, which callers pass on unchanged. */
export function isH5Error(e: unknown): e is Error {
  return isOwnError(e);
}

/** jsfive's throws are vague on their own: describe them with the error class, up to 160 chars. */
export function describeThrown(e: unknown): string {
  return describeAny(e, { withName: true, max: 160 });
}
