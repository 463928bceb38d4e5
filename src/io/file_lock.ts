// An exclusive lock between processes (and between calls in one process) on one path: a lock
// file created with O_EXCL that holds the owner's pid and a token. A lock whose pid is dead (a
// killed download) is taken over; a live one is waited for. The owner touches the file every few
// seconds, so a lock whose pid was reused by an unrelated process (a restarted container) goes
// stale too.
import {
  openSync,
  closeSync,
  writeSync,
  readFileSync,
  renameSync,
  linkSync,
  unlinkSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 100;
/** A lock file with no pid yet is being written; after this long its writer died. */
const EMPTY_STALE_MS = 10_000;
const HEARTBEAT_MS = 5_000;
/** Not touched for this long: its owner is gone, whoever has its pid now. */
const UNTOUCHED_STALE_MS = 60_000;
/** The tokens this process holds: a lock with our pid and another token is a dead namesake's. */
const held = new Set<string>();

export async function withLock<T>(lock: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const token = `${process.pid}\n${randomUUID()}\n`;
  while (!tryCreate(lock, token)) {
    signal?.throwIfAborted();
    const holder = readHolder(lock);
    if (holder !== undefined && isStale(lock, holder)) takeOver(lock, holder);
    else await sleep(POLL_MS, undefined, { signal });
  }
  held.add(token);
  const beat = setInterval(() => touch(lock), HEARTBEAT_MS).unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    held.delete(token);
    if (readHolder(lock) === token) unlinkQuiet(lock);
  }
}

function tryCreate(lock: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock file's text, or undefined when it vanished meanwhile. */
function readHolder(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
}

function isStale(lock: string, holder: string): boolean {
  const pid = Number.parseInt(holder, 10);
  if (!(pid > 0)) return ageMs(lock) > EMPTY_STALE_MS;
  if (pid === process.pid) return !held.has(holder);
  if (ageMs(lock) > UNTOUCHED_STALE_MS) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: the pid lives but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves the stale lock aside rather than deleting it: if another waiter took it over first,
 * what was moved is that waiter's live lock, and it is put back.
 */
function takeOver(lock: string, stale: string): void {
  const aside = `${lock}.${process.pid}.${randomUUID()}`;
  try {
    renameSync(lock, aside);
  } catch {
    return;
  }
  if (readHolder(aside) !== stale) {
    try {
      linkSync(aside, lock);
    } catch {
      /* a third one holds it now; the moved owner finds its token gone and leaves it */
    }
  }
  unlinkQuiet(aside);
}

function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    /* taken over meanwhile; the owner's finally notices */
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
