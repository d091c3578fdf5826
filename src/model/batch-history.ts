/**
 * BatchHistory: a callback that keeps the loss and metrics of every batch,
 * where History keeps one mean per epoch. It is what a learner wants to see:
 * the network getting better batch by batch (the report's per-batch curve,
 * the demo page's live curve).
 *
 *   const batches = new BatchHistory({ batchSize: 32, samples: 60000 });
 *   await model.fit(x, y, { batchSize: 32, callbacks: [batches] });
 *   batches.history.loss[k]     the loss of the k-th batch trained
 *   batches.at[k]               where it falls, in epochs (1.5 = half-way through the second)
 *
 * fit hands onBatchEnd the running means over the epoch so far (as Keras
 * does); the batch's own value comes back out of two consecutive means:
 *   m_b = (Σ_{i≤b} n_i·v_i) / s_b,  s_b = Σ_{i≤b} n_i     ⇒   v_b = (m_b·s_b − m_{b−1}·s_{b−1}) / n_b
 * where n_b = batchSize, except the epoch's last batch, which holds what is
 * left of `samples` (without `samples`, every batch is taken as full).
 */
import { Callback, type Logs } from "./callbacks.js";
import { describe } from "../tensor/matrix.js";
import { checkOptions, optionNames } from "../tensor/names.js";

export interface BatchHistoryOptions {
  /** The batch size given to fit (default 32, fit's). */
  batchSize?: number;
  /** Training samples per epoch (after any validation split); lets the epoch's short last batch be weighed right. */
  samples?: number;
}

const OPTIONS = optionNames<BatchHistoryOptions>({ batchSize: true, samples: true });

export class BatchHistory extends Callback {
  /** One value per batch trained, per key ("loss", "accuracy", ...). */
  readonly history: Record<string, number[]> = {};
  /** Each batch's position in epochs: epoch + (batch + 1) / steps, so the last batch of epoch 1 is at 1. */
  readonly at: number[] = [];
  readonly batchSize: number;
  readonly samples: number | undefined;
  private epoch = 0;
  private previous: Logs = {};
  private epochStart = 0;

  constructor(options: BatchHistoryOptions = {}) {
    super();
    const { batchSize = 32, samples } = checkOptions("BatchHistory", options, OPTIONS);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`BatchHistory: batchSize must be an integer >= 1, got ${describe(batchSize)}`);
    if (samples !== undefined && (!Number.isInteger(samples) || samples < 1)) {
      throw new Error(`BatchHistory: samples must be an integer >= 1 (the training rows per epoch), got ${describe(samples)}`);
    }
    this.batchSize = batchSize;
    this.samples = samples;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.previous = {};
    this.epochStart = this.at.length;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const seenBefore = this.seen(batch - 1);
    const seen = this.seen(batch);
    if (seen === seenBefore) {
      throw new Error(`BatchHistory: batch ${batch} starts after samples=${this.samples} rows; pass the rows fit trains on per epoch (after validationSplit)`);
    }
    for (const [key, mean] of Object.entries(logs)) {
      const before = batch === 0 ? 0 : (this.previous[key] ?? 0) * seenBefore;
      (this.history[key] ??= []).push((mean * seen - before) / (seen - seenBefore));
    }
    // Without `samples` the epoch's length is known only at its end (onEpochEnd places these batches).
    const steps = this.samples === undefined ? undefined : Math.ceil(this.samples / this.batchSize);
    this.at.push(steps === undefined ? NaN : this.epoch + (batch + 1) / steps);
    this.previous = logs;
  }

  onEpochEnd(): void {
    if (this.samples !== undefined) return;
    const steps = this.at.length - this.epochStart;
    for (let k = this.epochStart; k < this.at.length; k++) this.at[k] = this.epoch + (k - this.epochStart + 1) / steps;
  }

  /** Samples seen in this epoch after batch b (0 before the first). */
  private seen(b: number): number {
    const full = (b + 1) * this.batchSize;
    return this.samples === undefined ? full : Math.min(full, this.samples);
  }
}
