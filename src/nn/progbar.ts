// Keras 2.3's Progbar: `current/target [====>.....]` with ETA while running and, when done,
// ` - 12s 6ms/step - loss: 0.5312 - acc: 0.7405`. On a TTY the line is redrawn in place
// (throttled to every 0.05 s); elsewhere only the finished line is written.

export type Write = (s: string) => void;

export function formatValue(v: number): string {
  return Math.abs(v) > 1e-3 ? v.toFixed(4) : v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

function eta(seconds: number): string {
  const s = Math.floor(seconds);
  if (seconds > 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  if (seconds > 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${s}s`;
}

export function perUnit(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(0)}s/step`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(0)}ms/step`;
  return `${(seconds * 1e6).toFixed(0)}us/step`;
}

export function bar(current: number, target: number, width = 30): string {
  const digits = Math.floor(Math.log10(target)) + 1;
  let out = `${String(current).padStart(digits)}/${target} [`;
  const filled = Math.floor((width * current) / target);
  if (filled > 0) out += '='.repeat(filled - 1) + (current < target ? '>' : '=');
  return out + '.'.repeat(width - filled) + ']';
}

export class Progbar {
  private start = performance.now();
  private lastDraw = 0;

  constructor(readonly target: number, private write: Write, private tty: boolean) {}

  /** Running values while the epoch goes on (drawn on a TTY only). */
  update(current: number, values: [string, number][]): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 50 && current < this.target) return;
    this.lastDraw = now;
    const perItem = (now - this.start) / 1000 / Math.max(current, 1);
    const info = ` - ETA: ${eta(perItem * (this.target - current))}` + values.map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join('');
    this.write(`\r${bar(current, this.target)}${info}\x1b[K`);
  }

  /** The finished line, with elapsed time, time per unit and the epoch's values. */
  finish(values: [string, number][]): string {
    const secs = (performance.now() - this.start) / 1000;
    const line = `${bar(this.target, this.target)} - ${secs.toFixed(0)}s ${perUnit(secs / this.target)}` +
      values.map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join('');
    this.write(`${this.tty ? '\r' : ''}${line}${this.tty ? '\x1b[K' : ''}\n`);
    return line;
  }
}
