// How a failed download is classified (retry, retry once, or stop) and told: one line naming
// the URL, the cause and what to do.
import { existsSync } from 'node:fs';
import { proxyFor } from './proxy.js';

export class DownloadError extends Error {
  /** The URL asked for, the cause in a few words and what to do, for callers that re-word the message. */
  readonly url: string;
  readonly reason: string;
  readonly fix: string;
  /** Stopped by the signal (Ctrl-C): the .part is kept for the next run. */
  readonly aborted: boolean;

  constructor(
    message: string,
    o: { url?: string; reason?: string; fix?: string; aborted?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: o.cause });
    this.name = 'DownloadError';
    this.url = o.url ?? '';
    this.reason = o.reason ?? message;
    this.fix = o.fix ?? '';
    this.aborted = o.aborted ?? false;
  }
}

/** A status the downloader does not continue from. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    text: string,
    readonly retryAfterS: number | null = null,
  ) {
    super(`HTTP ${status}${text ? ` ${text}` : ''}`);
  }
}

export type Failure = 'abort' | 'final' | 'transient' | 'unreachable';

/** Nobody answers: offline, no DNS, nothing listening. One quick retry, then a clear message. */
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ECONNECTTIMEOUT',
]);
/** A connection that broke or stalled; the next try resumes where this one stopped. */
const TRANSIENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ESHORT', 'ERR_STREAM_PREMATURE_CLOSE']);

export function classify(e: unknown, signal?: AbortSignal): Failure {
  if (signal?.aborted || (e as Error)?.name === 'AbortError') return 'abort';
  if (e instanceof HttpError) return e.status === 408 || e.status === 429 || e.status >= 500 ? 'transient' : 'final';
  const code = String((e as NodeJS.ErrnoException)?.code ?? '');
  if (UNREACHABLE.has(code)) return 'unreachable';
  // HPE_*: a body cut inside a chunk or a garbled frame; the retry starts a clean response.
  if (TRANSIENT.has(code) || code.startsWith('HPE_')) return 'transient';
  return 'final';
}

export function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .replace(/\s+/g, ' ')
    .trim();
}

/** The message for the caller; `tries` is how many requests were made. */
export function toDownloadError(
  e: unknown,
  url: string,
  dest: string,
  tries: number,
  signal?: AbortSignal,
): DownloadError {
  if (e instanceof DownloadError) return e;
  const kind = classify(e, signal);
  const reason = kind === 'abort' ? 'stopped' : oneLine(e);
  const part = `${dest}.part`;
  const resume = existsSync(part) ? `${part} is kept and the next run resumes it` : 'nothing was written';
  const make = (why: string, fix: string) =>
    new DownloadError(`dawnflow: cannot download ${url} (${why}): ${fix}`, { url, reason, fix, cause: e });
  switch (kind) {
    case 'abort':
      return new DownloadError(`dawnflow: download of ${url} stopped; ${resume}`, {
        url,
        reason,
        aborted: true,
        cause: e,
      });
    case 'unreachable':
      return make(reason, networkHint(url));
    case 'transient':
      return make(`${reason}; gave up after ${tries} tries`, `run again later; ${resume}`);
    default:
      return make(reason, finalHint(e, dest));
  }
}

function networkHint(url: string): string {
  let proxy: URL | null = null;
  try {
    proxy = proxyFor(new URL(url));
  } catch {
    /* a URL that does not parse never got this far */
  }
  return proxy
    ? `check the network and the proxy ${proxy.host} (HTTPS_PROXY/HTTP_PROXY)`
    : 'check the network connection, or set HTTPS_PROXY if you are behind a proxy';
}

function finalHint(e: unknown, dest: string): string {
  const code = String((e as NodeJS.ErrnoException)?.code ?? '');
  if (e instanceof HttpError) return `the server refused it; check the URL, or put the file at ${dest} yourself`;
  if (code === 'EPROXY') return 'check the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return 'TLS verification failed; if a proxy re-signs TLS, point NODE_EXTRA_CA_CERTS at its CA certificate';
  }
  if (['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EDQUOT'].includes(code))
    return `cannot write next to ${dest}; free space or pick a writable place`;
  return `run again, or put the file at ${dest} yourself`;
}
