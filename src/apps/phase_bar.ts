// Progress of a long phase that is not a fit: conv-base features, evaluate, predict, the test
// pass. It is Keras's Progbar (nn/progbar.ts) counting images, with an ETA while it runs. It
// goes to stderr, so that stdout keeps only results (`test acc: ...`) for scripts to read. On
// a terminal it redraws in place; on a pipe Keras draws a new line every 0.05 s, which floods a
// log over a long phase, so there a line comes at most every PIPE_INTERVAL seconds, and at the end.
import { Progbar } from '../nn/progbar.js';

/** Least seconds between two lines on a pipe (or a file). */
export const PIPE_INTERVAL = 10;

export interface PhaseBarOptions {
  /** Where the bar goes; process.stderr by default. */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** The clock in seconds (tests pass a fake one). */
  now?: () => number;
}

export interface PhaseBar {
  /** The images done so far. */
  update(done: number): void;
  /** A pass that ended short (unreadable files) still ends its line. */
  end(done: number): void;
}

const SILENT: PhaseBar = { update: () => {}, end: () => {} };

export function phaseBar(total: number, o: PhaseBarOptions = {}): PhaseBar {
  if (!(total >= 1)) return SILENT;
  const stream = o.stream ?? process.stderr;
  const dynamic = Boolean(stream.isTTY);
  const bar = new Progbar(total, {
    write: (s) => stream.write(s),
    dynamic,
    interval: dynamic ? undefined : PIPE_INTERVAL,
    now: o.now,
  });
  let drawn = 0;
  return {
    update(done) {
      drawn = Math.min(done, total);
      bar.update(drawn);
    },
    end(done) {
      if (done < total && drawn > 0) stream.write('\n');
    },
  };
}
