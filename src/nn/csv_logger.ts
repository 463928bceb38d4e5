// Keras 2.3.1's CSVLogger(filename, separator=',', append=False): one row per epoch, written
// and flushed at the epoch's end. The keys are the first epoch's log keys, sorted; when a
// callback has stopped training, keys missing from the last epoch's logs are written as 'NA'.
// With append, rows go after an existing file's and the header only when the file is empty.
// Each row is appended with its own write (no handle held open), so a crash keeps every
// finished epoch, as Keras's flush does.
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import type { Container } from './container.js';
import { type CsvValue, csvHeader, csvRow } from './csv_text.js';
import type { CallbackHooks, Logs } from './history.js';

export interface CSVLoggerOptions {
  /** Between fields (default ','). */
  separator?: string;
  /** Add to an existing file instead of replacing it (default false). */
  append?: boolean;
}

export class CSVLogger implements CallbackHooks<Container> {
  private keys: string[] | null = null;
  private header = true;

  constructor(
    readonly filename: string,
    private readonly o: CSVLoggerOptions = {},
  ) {}

  onTrainBegin(): void {
    this.keys = null;
    if (this.o.append) {
      this.header = !(existsSync(this.filename) && statSync(this.filename).size > 0);
    } else {
      this.header = true;
      writeFileSync(this.filename, '');
    }
  }

  onEpochEnd(epoch: number, logs: Logs, model: Container): void {
    const sep = this.o.separator ?? ',';
    // Keras takes the keys once, at the first epoch it logs.
    if (!this.keys) this.keys = Object.keys(logs).sort();
    let text = '';
    if (this.header) text += csvHeader(this.keys, sep);
    this.header = false;
    // A key missing from the logs is an error in Keras unless training was stopped.
    const values = this.keys.map((k): CsvValue => {
      if (k in logs) return logs[k];
      if (model.stopTraining) return 'NA';
      throw new Error(`dawnflow: CSVLogger: epoch ${epoch} has no '${k}' in its logs`);
    });
    appendFileSync(this.filename, text + csvRow(epoch, values, sep));
  }
}
