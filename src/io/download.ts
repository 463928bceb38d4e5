// A resumable HTTP(S) download into a cache, as Keras's get_file does it but safe to interrupt:
// the bytes stream into DEST.part (hashed on the way, never held in memory), a broken
// connection is retried with backoff and resumed with a Range request, and only a file whose
// checksum passed is fsynced and renamed into DEST. A lock file serializes downloads of one
// DEST, so a second one waits and then finds the file complete.
import { createHash, type Hash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { withLock } from './file_lock.js';
import { getOnce, NetError } from './http_get.js';
import { classify, DownloadError, HttpError, toDownloadError } from './download_errors.js';
import { progressTracker, type DownloadProgress } from './download_progress.js';

export { DownloadError } from './download_errors.js';
export { progressPrinter, type DownloadProgress } from './download_progress.js';

export interface Checksum {
  algo: 'md5' | 'sha256';
  hex: string;
}

export interface DownloadOptions {
  url: string; // http: or https:
  dest: string; // final path; written only by an atomic rename after the checksum passed
  checksum?: Checksum;
  retries?: number; // transient failures (connection reset, timeout, 5xx, 429), default 5, exponential backoff with jitter
  backoffMs?: number; // first backoff, default 1000 (tests pass a few ms)
  timeoutMs?: number; // idle socket timeout, default 30000
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  resumed: boolean;
  hex: string;
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_BACKOFF_MS = 60_000;

/**
 * Downloads `o.url` to `o.dest` unless `o.dest` is already there (and passes the checksum when
 * one is given). `hex` is the file's digest in the checksum's algorithm (sha256 without one).
 */
export async function downloadFile(o: DownloadOptions): Promise<DownloadResult> {
  const url = parseUrl(o.url);
  try {
    mkdirSync(dirname(o.dest), { recursive: true });
    return await withLock(`${o.dest}.lock`, async () => (await existing(o)) ?? (await withRetries(o, url)), o.signal);
  } catch (e) {
    throw toDownloadError(e, o.url, o.dest, 0, o.signal);
  }
}

function parseUrl(raw: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    /* told below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new DownloadError(`dawnflow: cannot download ${raw}: only http: and https: URLs are supported`, {
      url: raw,
      reason: 'not an http(s) URL',
    });
  }
  return url;
}

/** A complete earlier download (or the one a concurrent call just finished). */
async function existing(o: DownloadOptions): Promise<DownloadResult | null> {
  if (!existsSync(o.dest)) return null;
  const hex = await hashFile(newHash(o), o.dest);
  // Like Keras's get_file, a cached file with the wrong checksum is downloaded again.
  if (o.checksum && hex !== o.checksum.hex.toLowerCase()) return null;
  return { path: o.dest, bytes: statSync(o.dest).size, resumed: false, hex };
}

async function withRetries(o: DownloadOptions, url: URL): Promise<DownloadResult> {
  const retries = o.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(o, url);
    } catch (e) {
      const kind = classify(e, o.signal);
      const allowed = kind === 'transient' ? retries : kind === 'unreachable' ? Math.min(1, retries) : 0;
      if (attempt >= allowed) throw toDownloadError(e, o.url, o.dest, attempt + 1, o.signal);
      await sleep(backoffMs(o, attempt, kind, e), undefined, { signal: o.signal });
    }
  }
}

/** Exponential with jitter (x0.5 to x1.5); a Retry-After is honoured; "unreachable" retries quickly. */
function backoffMs(o: DownloadOptions, attempt: number, kind: string, e: unknown): number {
  const base = o.backoffMs ?? 1000;
  if (kind === 'unreachable') return base * (0.5 + Math.random() / 2);
  const exp = Math.min(MAX_BACKOFF_MS, base * 2 ** attempt) * (0.5 + Math.random());
  const after = e instanceof HttpError && e.retryAfterS !== null ? Math.min(MAX_BACKOFF_MS, e.retryAfterS * 1000) : 0;
  return Math.max(exp, after);
}

/** One request (after redirects): continue the part, start over, or find the part complete. */
async function attemptOnce(o: DownloadOptions, url: URL): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  const res = await follow(url, have > 0 ? { range: `bytes=${have}-` } : {}, o);
  try {
    if (res.statusCode === 200) return await receive(o, res, 0);
    if (res.statusCode === 206) {
      if (rangeStart(res) !== have) {
        unlinkQuiet(part);
        throw new NetError(`the server resumed at another offset than ${have}`, 'ESHORT');
      }
      return await receive(o, res, have);
    }
    if (res.statusCode === 416 && have > 0) return await partComplete(o, res, have);
    throw new HttpError(res.statusCode ?? 0, res.statusMessage ?? '', retryAfter(res));
  } finally {
    res.destroy();
  }
}

async function follow(start: URL, extra: Record<string, string>, o: DownloadOptions): Promise<IncomingMessage> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    // identity: Range offsets count the file's own bytes, not a compressed stream's.
    const headers = { 'user-agent': 'dawnflow', 'accept-encoding': 'identity', ...extra };
    const res = await getOnce(url, { headers, timeoutMs: o.timeoutMs ?? 30_000, signal: o.signal });
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return res;
    res.destroy();
    url = new URL(location, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new HttpError(res.statusCode ?? 0, `redirect to ${url.protocol} URL`);
  }
  throw new HttpError(310, `more than ${MAX_REDIRECTS} redirects`);
}

/** Streams the body into the part (appending after `from` bytes), then checks and renames it. */
async function receive(o: DownloadOptions, res: IncomingMessage, from: number): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  const length = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
  const total = length === null ? null : from + length;
  const hash = newHash(o);
  if (from > 0) await hashFile(hash, part);
  const progress = progressTracker(o.onProgress, from, total);
  progress.add(0);
  let got = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      got += chunk.length;
      progress.add(chunk.length);
      done(null, chunk);
    },
  });
  await pipeline(res, tap, createWriteStream(part, { flags: from > 0 ? 'a' : 'w' }), { signal: o.signal });
  if (total !== null && from + got !== total)
    throw new NetError(`connection closed after ${from + got} of ${total} bytes`, 'ESHORT');
  const result = commit(o, hash.digest('hex'), from + got, from > 0);
  progress.done();
  return result;
}

/** 416 to a resume: the part may already hold the whole file (a crash between write and rename). */
async function partComplete(o: DownloadOptions, res: IncomingMessage, have: number): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  const size = /^bytes \*\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
  const hex = await hashFile(newHash(o), part);
  const complete = o.checksum ? hex === o.checksum.hex.toLowerCase() : size !== undefined && Number(size) === have;
  if (!complete) {
    unlinkQuiet(part);
    throw new NetError(`the partial file ${part} does not match the server's; starting over`, 'ESHORT');
  }
  return commit(o, hex, have, true);
}

/** Checksum, fsync, atomic rename: DEST is either absent or complete, never half-written. */
function commit(o: DownloadOptions, hex: string, bytes: number, resumed: boolean): DownloadResult {
  const part = `${o.dest}.part`;
  if (o.checksum && hex !== o.checksum.hex.toLowerCase()) {
    unlinkQuiet(part);
    const reason = `${o.checksum.algo} ${hex}, expected ${o.checksum.hex}`;
    const fix = 'nothing was kept: run again, or check the URL';
    throw new DownloadError(`dawnflow: ${o.url} arrived with ${reason}; ${fix}`, { url: o.url, reason, fix });
  }
  fsyncPath(part, 'r+');
  renameSync(part, o.dest);
  try {
    fsyncPath(dirname(o.dest), 'r');
  } catch {
    /* a folder cannot be fsynced everywhere (Windows); the rename is done */
  }
  return { path: o.dest, bytes, resumed, hex };
}

function newHash(o: DownloadOptions): Hash {
  return createHash(o.checksum?.algo ?? 'sha256');
}

async function hashFile(hash: Hash, path: string): Promise<string> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.copy().digest('hex');
}

function rangeStart(res: IncomingMessage): number {
  const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
  return m ? Number(m[1]) : -1;
}

function retryAfter(res: IncomingMessage): number | null {
  const v = Number(res.headers['retry-after']);
  return Number.isFinite(v) && v >= 0 ? v : null;
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
