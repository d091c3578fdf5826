/**
 * History: what `fit` returns, as in Keras. `history.history.loss[e]` is the
 * mean training loss of epoch e (the mean over batches weighted by batch
 * size); each metric has a list under the name it was given in compile().
 */
export class History {
  /** One number per epoch, per key ("loss", "accuracy", ...). */
  readonly history: Record<string, number[]> = {};
  /** The epoch indices that ran (0-based). */
  readonly epoch: number[] = [];
  /** The settings of the fit that produced it (Keras `History.params`). */
  params: { verbose: number; epochs: number; steps: number } = { verbose: 0, epochs: 0, steps: 0 };

  /** Appends one epoch's figures. */
  record(epoch: number, logs: Record<string, number>): void {
    this.epoch.push(epoch);
    for (const key of Object.keys(logs).sort()) {
      (this.history[key] ??= []).push(logs[key]);
    }
  }
}
