// The paths a command is given, checked before any work starts: a training run must not end,
// hours later, in "cannot write", and a refusal must leave everything as it was. Each failure is
// a UsageError (exit code 2) naming the flag, the path and the fix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { listImageFolder } from '../data/directory.js';
import { UsageError } from './args.js';

function stat(path: string): fs.Stats | null {
  try {
    return fs.statSync(path);
  } catch {
    return null;
  }
}

function code(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'error';
}

/** An input folder that must exist; `hint` says what it should hold. */
export function requireFolder(path: string, flag: string, hint: string): void {
  const st = stat(path);
  if (!st) throw new UsageError(`${flag} ${path}: folder not found; ${hint}`);
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: not a folder; ${hint}`);
}

/** An input file that must exist. */
export function requireFile(path: string, flag: string, hint: string): void {
  const st = stat(path);
  if (!st) throw new UsageError(`${flag} ${path}: file not found; ${hint}`);
  if (st.isDirectory()) throw new UsageError(`${flag} ${path}: a folder, not a file; ${hint}`);
}

/**
 * An output folder that can be created (if need be) and written in. Permission bits say nothing
 * when running as root, so the nearest folder that exists is probed with a real write of a
 * temporary file, which is removed again: nothing already there is touched, nothing is created.
 */
export function requireWritableFolder(path: string, flag: string): void {
  const st = stat(path);
  if (st && !st.isDirectory()) {
    throw new UsageError(`${flag} ${path}: a file, not a folder; choose another ${flag}`);
  }
  const existing = nearestExisting(resolve(path));
  if (!stat(existing)?.isDirectory()) {
    throw new UsageError(`${flag} ${path}: cannot be created, ${existing} is a file; ` + `choose another ${flag}`);
  }
  const probe = join(existing, `.dawnflow-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(probe, '');
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot write in ${existing} (${code(e)}); ` + `choose a writable ${flag}`);
  }
  fs.rmSync(probe, { force: true });
}

/** An output file: not a folder, and its folder writable (created when missing). */
export function requireWritableFile(path: string, flag: string): void {
  if (stat(path)?.isDirectory()) throw new UsageError(`${flag} ${path}: a folder; give a file path`);
  requireWritableFolder(dirname(resolve(path)), flag);
}

function nearestExisting(path: string): string {
  let p = path;
  while (!fs.existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * An image folder (one sub-folder per class) with at least one image: an empty dataset is
 * refused before a model summary is printed or a run folder made. Returns the image count.
 */
export function requireImages(path: string, flag: string): number {
  try {
    return listImageFolder(path).files.length;
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message.replace(/^dawnflow: /, '')}`);
  }
}

/**
 * A dataset folder of the chapter's layout: `splits` (train/, validation/, test/) under it, each
 * with images. Checked before the GPU starts, a summary is printed or a run folder made.
 */
export function requireSplits(path: string, flag: string, splits: readonly string[]): void {
  const layout = `it must hold ${splits.map((s) => `${s}/`).join(', ')} (the flow_from_directory layout)`;
  const st = stat(path);
  if (!st) throw new UsageError(`${flag} ${path} does not exist; ${layout}`);
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: not a folder; ${layout}`);
  for (const split of splits) {
    if (!stat(join(path, split))?.isDirectory())
      throw new UsageError(`${flag} ${path} has no ${split}/ folder; ${layout}`);
    requireImages(join(path, split), flag);
  }
}
