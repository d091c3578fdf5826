/**
 * What the page and its training worker (train-worker.ts) say to each other,
 * through postMessage. The worker trains; the page draws.
 *
 *   page → worker:  train (settings), pause, resume, stop
 *   worker → page:  ready (backend), status (text), batches (new per-batch
 *                   figures), weights (a snapshot of every weight, a few times
 *                   a second), epoch (test figures), done, report (the run's
 *                   training report as HTML), error
 */

/** The settings of one run of training in the page. */
export interface TrainSettings {
  epochs: number;
  learningRate: number;
  batchSize: number;
}

export type ToWorker =
  | { type: "train"; settings: TrainSettings }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "stop" };

export type FromWorker =
  /** The worker started: the backend it trains on and whether it runs cross-origin isolated. */
  | { type: "ready"; backend: string; isolated: boolean }
  | { type: "status"; text: string }
  /**
   * Batches trained since the last message: each one's loss and accuracy and
   * its place in epochs (at = epoch + (batch + 1) / steps); speed is samples
   * per second of training so far (pauses and test evaluations left out).
   */
  | { type: "batches"; at: number[]; loss: number[]; accuracy: number[]; samplesPerSecond: number; samples: number }
  /** Every weight of the network, in getWeights order (kernel, bias per Dense), as [rows, cols, values]. */
  | { type: "weights"; weights: [number, number, Float32Array][]; initialFirstKernel?: Float32Array }
  /** After each epoch: loss and accuracy on the 10000 test digits, and the epoch's training means. */
  | { type: "epoch"; epoch: number; testLoss: number; testAccuracy: number; loss: number; accuracy: number }
  /** The training report of the run (src/report/), one HTML file, sent after "done". */
  | { type: "report"; html: string }
  /** Training ended: all epochs done, or stopped (epochs counts the last, partial one). */
  | { type: "done"; stopped: boolean; epochs: number }
  | { type: "error"; message: string };

/**
 * The training settings from the page's text fields, or the message that says
 * what is wrong (naming the value and what was expected); nothing starts then.
 */
export function parseTrainSettings(epochsText: string, learningRateText: string): TrainSettings | string {
  const epochs = Number(epochsText);
  if (!/^\s*\d+\s*$/.test(epochsText) || !Number.isSafeInteger(epochs) || epochs < 1 || epochs > 100) {
    return `epochs must be a whole number from 1 to 100, got "${epochsText}"`;
  }
  const learningRate = Number(learningRateText);
  if (learningRateText.trim() === "" || !Number.isFinite(learningRate) || learningRate <= 0) {
    return `learning rate must be a number > 0 (the tutorial's is 0.01; 0.1 learns faster here), got "${learningRateText}"`;
  }
  return { epochs, learningRate, batchSize: 32 };
}
