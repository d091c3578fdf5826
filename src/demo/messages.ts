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

import { PAGE_MODELS, isPageModel, type PageModelName } from "./models.js";

/** The settings of one run of training in the page. */
export interface TrainSettings {
  /** Which network (models.ts): the tutorial's dense one or Keras's mnist_convnet. */
  model: PageModelName;
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
  /**
   * Every weight of the network, in getWeights order (kernel, bias per Dense or Conv2D), as
   * [rows, cols, values], and which network they belong to; the first message of a run also
   * carries the first kernel before training.
   */
  | { type: "weights"; model: PageModelName; weights: [number, number, Float32Array][]; initialFirstKernel?: Float32Array }
  /** After each epoch: loss and accuracy on the 10000 test digits, and the epoch's training means. */
  | { type: "epoch"; epoch: number; testLoss: number; testAccuracy: number; loss: number; accuracy: number }
  /** The training report of the run (src/report/), one HTML file, sent after "done". */
  | { type: "report"; html: string }
  /** Training ended: all epochs done, or stopped (epochs counts the last, partial one). */
  | { type: "done"; stopped: boolean; epochs: number }
  | { type: "error"; message: string };

/**
 * The training settings from the page's fields (the model choice, epochs,
 * learning rate), or the message that says what is wrong (naming the value
 * and what was expected); nothing starts then. The batch size is the chosen
 * network's (models.ts).
 */
export function parseTrainSettings(epochsText: string, learningRateText: string, modelText = "dense"): TrainSettings | string {
  if (!isPageModel(modelText)) return `the network must be one of ${Object.keys(PAGE_MODELS).join(", ")}, got "${modelText}"`;
  const spec = PAGE_MODELS[modelText];
  const epochs = Number(epochsText);
  if (!/^\s*\d+\s*$/.test(epochsText) || !Number.isSafeInteger(epochs) || epochs < 1 || epochs > 100) {
    return `epochs must be a whole number from 1 to 100, got "${epochsText}"`;
  }
  const learningRate = Number(learningRateText);
  if (learningRateText.trim() === "" || !Number.isFinite(learningRate) || learningRate <= 0) {
    return `learning rate must be a number > 0 (${spec.learningRateHint}), got "${learningRateText}"`;
  }
  return { model: modelText, epochs, learningRate, batchSize: spec.batchSize };
}
