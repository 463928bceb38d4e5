// What fit() reports and calls: the per-epoch logs, the History it returns, and the hooks a
// callback may implement. The hooks are generic in the model so that this module and
// training.ts need not know Container; callbacks.ts binds them to Container as Callback.

export type Logs = Record<string, number>;

/** The hooks fit() calls on each callback with the model `M` being fitted. */
export interface CallbackHooks<M> {
  onTrainBegin?(model: M): Promise<void> | void;
  /** Return true to stop training after this epoch. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing must type-check here
  onEpochEnd?(epoch: number, logs: Logs, model: M): Promise<boolean | void> | boolean | void;
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
