// Atomic writes: the data goes to a temporary name in the same folder, then a rename, so a reader
// (or a second process rewriting the file) never sees half a file. Every temporary name holds
// `.tmp-` (see isTempName), so that what a killed writer left can be found and removed.
//
// - writeFileAtomic: bytes or text in one call (the folder is created).
// - writeAtomicWith: a writer that fills the temporary path itself (HDF5, NPY).
// - { durable: true }: the temporary file is fsynced before the rename and the folder after it,
//   so the new file survives a power loss too; { fault } marks that moment for test/faults.
// - buildFolderAtomic: a whole folder, built under a temporary sibling name and renamed.
import { randomBytes } from 'node:crypto';
// The default import, not named ones: tests replace fs.renameSync to make a rename fail.
import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './fault.js';

export interface AtomicOptions {
  /** fsync the file before the rename and its folder after it. */
  durable?: boolean;
  /** A fault point (util/fault.ts) hit once the file is complete, just before the rename. */
  fault?: string;
}

const TEMP_MARK = '.tmp-';

/** A fresh temporary name next to `path`: unique per process and call. */
export function tempPathFor(path: string): string {
  return `${path}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** True for the names of temporary files and folders made here. */
export function isTempName(name: string): boolean {
  return name.includes(TEMP_MARK);
}

/**
 * Runs `write(tmp)`, which must create the file at `tmp`, then renames it over `path`. On any
 * failure the temporary file is removed and the error thrown as it came: callers word it.
 */
export function writeAtomicWith(path: string, write: (tmp: string) => void, o: AtomicOptions = {}): void {
  const tmp = tempPathFor(path);
  try {
    write(tmp);
    if (o.durable) syncPath(tmp);
    if (o.fault) faultPoint(o.fault, path);
    fs.renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  if (o.durable) syncFolder(dirname(path));
}

/** Writes `data` to `path` (creating its folder) through a temporary file and a rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicOptions = {}): void {
  fs.mkdirSync(dirname(path), { recursive: true });
  writeAtomicWith(path, (tmp) => fs.writeFileSync(tmp, data), o);
}

/** A rename made durable: the folder that now lists `to` is synced. */
export function renameDurable(from: string, to: string): void {
  fs.renameSync(from, to);
  syncFolder(dirname(to));
}

export interface FolderOptions {
  /** The temporary sibling to build in (default `<dir>.tmp-<pid>-<random>`); emptied first. */
  tmp?: string;
  /** Remove an existing `dir` just before the rename; without it the rename fails on one. */
  replace?: boolean;
}

/**
 * Builds a folder with `build(tmp)` under a temporary sibling name, then renames it to `dir`:
 * `dir` is absent, old or complete, never half made. On any failure the temporary folder is
 * removed and the error thrown (without `replace`, also when `dir` appeared meanwhile).
 */
export async function buildFolderAtomic(
  dir: string,
  build: (tmp: string) => void | Promise<void>,
  o: FolderOptions = {},
): Promise<void> {
  const tmp = o.tmp ?? join(dirname(dir), tempPathFor(basename(dir)));
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.mkdirSync(tmp, { recursive: true });
    await build(tmp);
    if (o.replace) fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** fsync of a file; its errors are the caller's. */
export function syncPath(path: string): void {
  const fd = fs.openSync(path, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync of a folder; some file systems cannot, and the files in it are complete either way. */
function syncFolder(dir: string): void {
  try {
    syncPath(dir);
  } catch {
    // not supported here
  }
}

// The write has already failed; a temporary file that cannot be removed (or was never made,
// e.g. under a path whose folder is a file) must not hide that first error.
function removeQuietly(path: string): void {
  try {
    fs.rmSync(path, { force: true });
  } catch {
    // nothing more to do
  }
}
