// Callbacks: ModelCheckpoint (saves every epoch, atomically) and EarlyStopping, with Keras's
// names and options; History (what fit returns) is in history.ts.
import type { Container } from './container.js';
import type { CallbackHooks, Logs } from './history.js';

/** A callback of Container.fit(); every hook is optional. */
export interface Callback extends CallbackHooks<Container> {}

export interface CheckpointArgs {
  /** May contain {epoch} (1-based, two digits as Keras's {epoch:02d}) and metric names. */
  filepath: string;
  monitor?: string;
  saveBestOnly?: boolean;
  /** Writes the model; the caller provides it (model.save with optimizer state). */
  save: (path: string, model: Container) => Promise<void>;
}

export class ModelCheckpoint implements Callback {
  private best = Infinity;

  constructor(private a: CheckpointArgs) {}

  async onEpochEnd(epoch: number, logs: Logs, model: Container): Promise<void> {
    const monitor = this.a.monitor ?? 'val_loss';
    const value = logs[monitor];
    if (this.a.saveBestOnly) {
      if (value === undefined)
        throw new Error(`dawnflow: ModelCheckpoint monitors '${monitor}', which fit does not report`);
      const better = monitor.includes('acc') ? -value < this.best : value < this.best;
      if (!better) return;
      this.best = monitor.includes('acc') ? -value : value;
    }
    const path = this.a.filepath
      .replace(/\{epoch(?::02d)?\}/g, String(epoch + 1).padStart(2, '0'))
      .replace(/\{(\w+)(?::\.(\d)f)?\}/g, (m, k: string, d?: string) =>
        k in logs ? logs[k].toFixed(Number(d ?? 4)) : m,
      );
    await this.a.save(path, model);
  }
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: 'min' | 'max' | 'auto';
}

export class EarlyStopping implements Callback {
  private best: number | null = null;
  private wait = 0;
  stoppedEpoch = -1;

  constructor(private a: EarlyStoppingArgs = {}) {}

  private get sign(): number {
    const mode = this.a.mode ?? 'auto';
    const monitor = this.a.monitor ?? 'val_loss';
    return mode === 'max' || (mode === 'auto' && monitor.includes('acc')) ? -1 : 1;
  }

  onEpochEnd(epoch: number, logs: Logs): boolean {
    const monitor = this.a.monitor ?? 'val_loss';
    const v = logs[monitor];
    if (v === undefined) throw new Error(`dawnflow: EarlyStopping monitors '${monitor}', which fit does not report`);
    const score = this.sign * v;
    if (this.best === null || score < this.best - Math.abs(this.a.minDelta ?? 0)) {
      this.best = score;
      this.wait = 0;
      return false;
    }
    if (++this.wait >= (this.a.patience ?? 0)) {
      this.stoppedEpoch = epoch;
      return true;
    }
    return false;
  }
}
