// What Keras 2.3.1 prints while fitting, fed the way it feeds it:
// - `Train on N samples, validate on M samples` once, and only for arrays with validation data
//   (keras/engine/training_arrays.py:74-78; without validation, and for generators, nothing);
// - per epoch, ProgbarLogger (keras/callbacks/callbacks.py:537-612): `Epoch i/N`, a Progbar
//   updated after every batch but the last with that batch's loss and the running metric, then
//   once at the epoch's end with the last batch's values followed by the epoch logs (BaseLogger
//   has already put the epoch means in them, callbacks.py:477-535). The Progbar averages the
//   loss over its updates weighted by their progress, so the final line counts the last batch's
//   loss and the epoch mean once each: counting samples that is the epoch mean again; counting
//   steps it is (sum of the step losses + epoch mean) / (steps + 1), not History's value, as in
//   Keras. The metric is stateful (model.metrics_names[1:]) and shown as given.
// The progress counts samples for arrays and steps (batches) for generators, as Keras does.
import type { Logs } from './history.js';
import { Progbar, type Write } from './progbar.js';

export interface FitLogOptions {
  write: Write;
  tty: boolean;
  verbose: 0 | 1 | 2;
  metric: string;
  now?: () => number;
}

export class FitLog {
  private bar: Progbar | null = null;
  private seen = 0;
  private target = 0;
  private logValues: [string, number][] = [];

  constructor(private readonly o: FitLogOptions) {}

  trainBegin(samples: number, validationSamples: number | null): void {
    if (this.o.verbose && validationSamples !== null) {
      this.o.write(`Train on ${samples} samples, validate on ${validationSamples} samples\n`);
    }
  }

  epochBegin(epoch: number, epochs: number, target: number): void {
    this.seen = 0;
    this.target = target;
    if (!this.o.verbose) return;
    this.o.write(`Epoch ${epoch + 1}/${epochs}\n`);
    const { write, tty, verbose, metric, now } = this.o;
    this.bar = new Progbar(target, { write, dynamic: tty, verbose, statefulMetrics: [metric], now });
  }

  /** After a batch: `progress` is its size (arrays) or 1 (generators). */
  batchEnd(progress: number, loss: number, metricValue: number): void {
    if (this.seen < this.target) this.logValues = [];
    this.seen += progress;
    this.logValues.push(['loss', loss], [this.o.metric, metricValue]);
    // The last batch is drawn by epochEnd.
    if (this.bar && this.seen < this.target) this.bar.update(this.seen, this.logValues);
  }

  /** Training stopped by an error: close the bar's open line before the error is printed. */
  interrupted(): void {
    this.bar?.closeLine();
  }

  epochEnd(logs: Logs): void {
    this.logValues.push(...(Object.entries(logs) as [string, number][]));
    this.bar?.update(this.seen, this.logValues);
  }
}
