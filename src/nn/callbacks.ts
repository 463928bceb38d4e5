// Callbacks: ModelCheckpoint (saves every epoch, atomically) and EarlyStopping, with Keras's
// names and options; CSVLogger is csv_logger.ts, History (what fit returns) history.ts.
import type { Tensor } from '../tensor/tensor.js';
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
  /** Default 'val_loss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** 1 prints Keras's two messages (restoring, early stopping). */
  verbose?: 0 | 1;
  /** 'auto' (the default) maximises a monitor whose name contains 'acc', else minimises. */
  mode?: 'min' | 'max' | 'auto';
  /** A value to improve on from the first epoch (Keras baseline). */
  baseline?: number;
  /** On stopping, put back the weights of the best epoch (Keras restore_best_weights). */
  restoreBestWeights?: boolean;
}

/**
 * Keras 2.3.1's EarlyStopping (keras/callbacks/callbacks.py): an epoch improves when
 * `current - minDelta` beats the best (minDelta counts against the direction of improvement);
 * after `patience` epochs without one it sets stopTraining and, with restoreBestWeights, puts
 * back the weights saved at the best epoch. As in 2.3.1 nothing is restored when training ends
 * without stopping early. Unlike Keras (a warning), a monitor fit does not report is an error.
 */
export class EarlyStopping implements Callback {
  private best = Infinity;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch training stopped at (0 when it did not stop early), as Keras's stopped_epoch. */
  stoppedEpoch = 0;

  constructor(private a: EarlyStoppingArgs = {}) {
    this.onTrainBegin();
  }

  private get monitor(): string {
    return this.a.monitor ?? 'val_loss';
  }

  /** +1 when larger is better. */
  private get sign(): number {
    const mode = this.a.mode ?? 'auto';
    return mode === 'max' || (mode === 'auto' && this.monitor.includes('acc')) ? 1 : -1;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.a.baseline ?? -this.sign * Infinity;
    this.dropBest();
  }

  onEpochEnd(epoch: number, logs: Logs, model?: Container): boolean {
    const current = logs[this.monitor];
    if (current === undefined)
      throw new Error(`dawnflow: EarlyStopping monitors '${this.monitor}', which fit does not report`);
    const delta = this.sign * (this.a.minDelta ?? 0);
    if (this.sign * (current - delta - this.best) > 0) {
      this.best = current;
      this.wait = 0;
      if (this.a.restoreBestWeights && model) this.keepBest(model);
      return false;
    }
    if (++this.wait < (this.a.patience ?? 0)) return false;
    this.stoppedEpoch = epoch;
    if (model) model.stopTraining = true;
    if (this.a.restoreBestWeights && model && this.bestWeights) {
      if (this.a.verbose) console.log('Restoring model weights from the end of the best epoch');
      model.setWeights(this.bestWeights);
    }
    return true;
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.a.verbose)
      console.log(`Epoch ${String(this.stoppedEpoch + 1).padStart(5, '0')}: early stopping`);
    this.dropBest();
  }

  private keepBest(model: Container): void {
    this.dropBest();
    this.bestWeights = model.getWeights();
  }

  private dropBest(): void {
    for (const t of this.bestWeights ?? []) t.dispose();
    this.bestWeights = null;
  }
}
