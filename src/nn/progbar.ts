// Keras 2.3.1's Progbar (keras-team/keras@2.3.1 keras/utils/generic_utils.py:315-472), byte for
// byte. Verbose 1 draws `current/target [====>.....] - ETA: 3s - loss: 0.6931` at each update
// (at most every 0.05 s until the target is reached) and, at the target,
// `target/target [======] - 12s 6ms/step - loss: ...` ending the line. On a TTY each draw
// backspaces over the previous one and returns with \r; elsewhere (a pipe, a file) each draw
// starts a new line instead, so a pipe gets one line per draw, the first one after an empty line.
// A line shorter than the previous one is padded with spaces to its width, on a pipe as well.
// Verbose 2 writes only ` - 12s - loss: ...` at the target. Values are averaged over the
// updates, weighted by the progress each one reports, except stateful metrics (shown as given).

export type Write = (s: string) => void;

/** Python's '%.{digits}f': like toFixed, but an exact tie rounds to the even digit. */
export function pyFixed(v: number, digits: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const exact = v.toFixed(Math.min(100, digits + 60));
  const tie = new RegExp(`^-?\\d+\\.?\\d{${digits}}50*$`).test(exact);
  const s = v.toFixed(digits);
  if (!tie) return s;
  const last = Number(s[s.length - 1]);
  if (last % 2 === 0) return s;
  // toFixed rounded the tie away from zero to an odd digit: step back by one unit.
  return (Math.sign(v) * (Math.abs(Number(s)) - 10 ** -digits)).toFixed(digits);
}

/** Python's '%.4e': a two-digit exponent at least. */
function pyExp4(v: number): string {
  if (!Number.isFinite(v)) return pyFixed(v, 4);
  return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Keras's value format: %.4f above 1e-3 in magnitude, %.4e otherwise. */
export function formatValue(v: number): string {
  return Math.abs(v) > 1e-3 ? pyFixed(v, 4) : pyExp4(v);
}

function eta(seconds: number): string {
  const s = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (seconds > 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (seconds > 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

export function perUnit(seconds: number): string {
  if (seconds >= 1) return `${pyFixed(seconds, 0)}s/step`;
  if (seconds >= 1e-3) return `${pyFixed(seconds * 1e3, 0)}ms/step`;
  return `${pyFixed(seconds * 1e6, 0)}us/step`;
}

export function bar(current: number, target: number, width = 30): string {
  const digits = Math.floor(Math.log10(target)) + 1;
  let out = `${String(current).padStart(digits)}/${target} [`;
  const filled = Math.floor(width * (current / target));
  if (filled > 0) out += '='.repeat(filled - 1) + (current < target ? '>' : '=');
  return `${out + '.'.repeat(width - filled)}]`;
}

export interface ProgbarOptions {
  write: Write;
  /** Redraw in place (Keras: stdout is a TTY); otherwise each draw is a new line. */
  dynamic: boolean;
  verbose?: 1 | 2;
  /** Names shown as given rather than averaged (Keras 2.3 passes the metrics, not the loss). */
  statefulMetrics?: string[];
  width?: number;
  /** Least seconds between draws before the target is reached. */
  interval?: number;
  /** The clock, in seconds (tests pass a fake one). */
  now?: () => number;
}

/** The bar whose last draw left its line open, if any (closeOpenLine). */
let openBar: Progbar | null = null;

/**
 * Ends the line a bar's last draw left open, wherever that bar writes: a Ctrl-C handler's
 * message must start a line of its own on a pipe too, where a draw ends without a newline.
 * Returns whether there was one.
 */
export function closeOpenLine(): boolean {
  const bar = openBar;
  bar?.closeLine();
  return bar !== null;
}

export class Progbar {
  private readonly now: () => number;
  private readonly start: number;
  private lastUpdate = 0;
  private totalWidth = 0;
  private seenSoFar = 0;
  private readonly values = new Map<string, [number, number]>();
  private open = false;

  /** `target` null: unknown (`current/Unknown`, never finished). */
  constructor(
    readonly target: number | null,
    private readonly o: ProgbarOptions,
  ) {
    this.now = o.now ?? (() => performance.timeOrigin / 1000 + performance.now() / 1000);
    this.start = this.now();
  }

  /** Records `values` for the progress up to `current` and draws when Keras would. */
  update(current: number, values: [string, number][] = []): void {
    this.accumulate(current, values);
    const now = this.now();
    if ((this.o.verbose ?? 1) === 2) {
      if (this.target === null || current >= this.target) this.emit(this.summary(now));
      this.lastUpdate = now;
      return;
    }
    const running = this.target !== null && current < this.target;
    if (now - this.lastUpdate < (this.o.interval ?? 0.05) && running) return;
    this.emit(this.draw(current, now));
    this.lastUpdate = now;
  }

  /**
   * Ends a line a draw left open (Keras ends it only at the next draw), so that whatever is
   * printed after an interrupted epoch, such as an error, starts on a line of its own.
   */
  closeLine(): void {
    if (this.open) this.emit('\n');
  }

  private emit(s: string): void {
    this.o.write(s);
    if (!s) return;
    this.open = !s.endsWith('\n');
    if (this.open) openBar = this;
    else if (openBar === this) openBar = null;
  }

  private accumulate(current: number, values: [string, number][]): void {
    const step = current - this.seenSoFar;
    for (const [k, v] of values) {
      const had = this.values.get(k);
      if (this.o.statefulMetrics?.includes(k)) this.values.set(k, [v, 1]);
      else if (had) this.values.set(k, [had[0] + v * step, had[1] + step]);
      else this.values.set(k, [v * step, step]);
    }
    this.seenSoFar = current;
  }

  private averages(): [string, number][] {
    return [...this.values].map(([k, [sum, n]]) => [k, sum / Math.max(1, n)]);
  }

  /** One verbose-1 draw: where the previous one was rubbed out, the bar, then the info. */
  private draw(current: number, now: number): string {
    const prev = this.totalWidth;
    const lead = this.o.dynamic ? `${'\b'.repeat(prev)}\r` : '\n';
    const head =
      this.target === null ? `${String(current).padStart(7)}/Unknown` : bar(current, this.target, this.o.width);
    const elapsed = now - this.start;
    const perItem = current ? elapsed / current : 0;
    let info =
      this.target !== null && current < this.target
        ? ` - ETA: ${eta(perItem * (this.target - current))}`
        : ` - ${pyFixed(elapsed, 0)}s ${perUnit(perItem)}`;
    for (const [k, v] of this.averages()) info += ` - ${k}: ${formatValue(v)}`;
    this.totalWidth = head.length + info.length;
    if (prev > this.totalWidth) info += ' '.repeat(prev - this.totalWidth);
    if (this.target !== null && current >= this.target) info += '\n';
    return lead + head + info;
  }

  /** The verbose-2 line; Keras tests `avg > 1e-3` here, without abs. */
  private summary(now: number): string {
    const parts = this.averages().map(([k, v]) => ` - ${k}: ${v > 1e-3 ? pyFixed(v, 4) : pyExp4(v)}`);
    return ` - ${pyFixed(now - this.start, 0)}s${parts.join('')}\n`;
  }
}
