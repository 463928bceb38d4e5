// What fit() reports and calls: the per-epoch logs, the History it returns, and the hooks a
// callback may implement. The hooks are generic in the model so that this module and
// fit.ts need not know Container; callbacks.ts binds them to Container as Callback.

export type Logs = Record<string, number>;

type Done = Promise<void> | void;

/**
 * The hooks fit() calls on each callback, with Keras 2.3.1's arguments and logs, plus the model
 * `M` being fitted (Keras's `self.model`) last. Batch logs are {batch, size} at the start and
 * add the batch's loss and the running metric at the end; epoch-end logs hold the epoch means
 * and the validation values; train and epoch-begin logs are empty.
 */
export interface CallbackHooks<M> {
  onTrainBegin?(logs: Logs, model: M): Done;
  onTrainEnd?(logs: Logs, model: M): Done;
  onEpochBegin?(epoch: number, logs: Logs, model: M): Done;
  /** Set `model.stopTraining = true` (or return true) to stop after this epoch. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing must type-check here
  onEpochEnd?(epoch: number, logs: Logs, model: M): Promise<boolean | void> | boolean | void;
  onBatchBegin?(batch: number, logs: Logs, model: M): Done;
  onBatchEnd?(batch: number, logs: Logs, model: M): Done;
}

export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  /** Wall seconds of each epoch (training and validation). */
  readonly epochSeconds: number[] = [];

  record(epoch: number, logs: Logs, seconds: number): void {
    this.epoch.push(epoch);
    this.epochSeconds.push(seconds);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}
