// Progress of one download: the values the downloader reports (at most every 100 ms, and once
// at the end with received === total) and a printer for them.

export interface DownloadProgress {
  received: number;
  total: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  resumedFrom: number;
}

const EVERY_MS = 100;

/** Counts this session's bytes; the rate is over them, not over the part resumed from. */
export function progressTracker(
  cb: ((p: DownloadProgress) => void) | undefined,
  resumedFrom: number,
  total: number | null,
) {
  const t0 = performance.now();
  let got = 0;
  let last = -Infinity;
  const emit = () => {
    const s = (performance.now() - t0) / 1000;
    const bytesPerSecond = s > 0 ? got / s : 0;
    const received = resumedFrom + got;
    const etaSeconds = total !== null && bytesPerSecond > 0 ? Math.max(0, total - received) / bytesPerSecond : null;
    cb?.({ received, total, bytesPerSecond, etaSeconds, resumedFrom });
  };
  return {
    add(n: number): void {
      got += n;
      const now = performance.now();
      if (now - last >= EVERY_MS) {
        last = now;
        emit();
      }
    },
    /** The last report: an unknown total becomes what arrived, so printers can end their line. */
    done(): void {
      total = resumedFrom + got;
      emit();
    },
  };
}

/** Bytes, MB/s and ETA: one \r-updated line on a terminal, otherwise a line every ~10%. */
export function progressPrinter(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): (p: DownloadProgress) => void {
  const tty = Boolean(stream.isTTY);
  let lastStep = -1;
  let finished = false;
  return (p) => {
    if (finished) return;
    finished = p.total !== null && p.received >= p.total;
    const line = `${label}: ${describe(p, finished)}`;
    if (tty) {
      stream.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
      return;
    }
    // Without a total, a line every 50 MB.
    const step = p.total ? Math.floor((p.received / p.total) * 10) : Math.floor(p.received / 50e6);
    if (step > lastStep || finished) stream.write(`${line}\n`);
    lastStep = step;
  };
}

function describe(p: DownloadProgress, finished: boolean): string {
  const size = p.total
    ? `${mb(p.received)} of ${mb(p.total)} (${Math.floor((p.received / p.total) * 100)}%)`
    : mb(p.received);
  const eta = !finished && p.etaSeconds !== null ? `, ETA ${duration(p.etaSeconds)}` : '';
  const resumed = p.resumedFrom ? `, resumed at ${mb(p.resumedFrom)}` : '';
  return `${size}, ${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s${eta}${resumed}`;
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

function duration(s: number): string {
  const r = Math.ceil(s);
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${r % 60} s`;
}
