/**
 * The fit loop, as Keras runs it:
 *
 *   validation rows are split off first (validationSplit takes the LAST
 *   ⌊n·s⌋… rows [⌊n·(1−s)⌋, n), before any shuffling; validationData overrides it)
 *   for each epoch from initialEpoch:
 *     shuffle the training rows (seeded generator)
 *     for each batch: gather its rows, trainStep, report running means,
 *       and every ~50 ms let the event loop run (event-loop.ts)
 *     evaluate on the validation rows: val_loss, val_<metric>
 *     record the epoch in History (keys sorted), call onEpochEnd
 *   model.stopTraining = true, from a callback or a timer, ends it after the current batch
 *   a non-finite loss or weight ends it with finite weights in place (divergence.ts)
 *
 * The epoch loss is the mean of batch losses weighted by batch size, i.e. the
 * mean over all samples, as Keras reports it.
 */
import { Matrix, workspace, describe, type MatrixLike } from "../tensor/matrix.js";
import { gatherRows, argmaxRow } from "../tensor/ops.js";
import { shuffle as shuffleInPlace } from "../tensor/random.js";
import type { Loss } from "../losses/index.js";
import type { Sequential, Compiled } from "./sequential.js";
import type { CallbackHooks, CallbackList, Logs } from "./callbacks.js";
import { History } from "./history.js";
import { ProgressBar, defaultSink } from "./progress.js";
import * as check from "./checks.js";
import { EventLoopYield } from "./event-loop.js";
import { LastFinite, diverged, type FitPosition } from "./divergence.js";
import { optionNames } from "../tensor/names.js";

export interface FitOptions {
  /** Index of the last epoch to run (Keras: epochs counts from 0 up to this); default 1. */
  epochs?: number;
  /** Samples per gradient step; default 32. */
  batchSize?: number;
  /** Reshuffle the training rows before each epoch (seeded generator); default true. */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar, 2 one line per epoch; default 1. */
  verbose?: 0 | 1 | 2;
  /** Fraction in (0, 1) of the rows, the last ones, held out for validation; default 0. */
  validationSplit?: number;
  /** [x, y] to validate on after each epoch; overrides validationSplit. */
  validationData?: [MatrixLike, MatrixLike | ArrayLike<number>];
  /** Weight of each class in the loss, { classIndex: weight }; default all 1. */
  classWeight?: Record<number, number>;
  /** Epoch to start from (to resume training); default 0. */
  initialEpoch?: number;
  /** Callbacks: instances of Callback (EarlyStopping, …) or objects with onEpochEnd etc. */
  callbacks?: CallbackHooks | CallbackHooks[];
  /**
   * Stop at the first batch whose loss is NaN or infinite (or once an update
   * has made a weight non-finite), leave the last finite weights in the model,
   * and reject with a TrainingDivergedError that says whose they are
   * (divergence.ts); default true. (Keras only stops, with its TerminateOnNaN
   * callback; false trains on.)
   */
  terminateOnNaN?: boolean;
}

export const FIT_OPTIONS = optionNames<FitOptions>({
  epochs: true, batchSize: true, shuffle: true, verbose: true, validationSplit: true, validationData: true,
  classWeight: true, initialEpoch: true, callbacks: true, terminateOnNaN: true,
});

export interface FitSettings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  verbose: 0 | 1 | 2;
  validationSplit: number;
  validationData: [MatrixLike, MatrixLike | ArrayLike<number>] | undefined;
  classWeight: Record<number, number> | undefined;
  initialEpoch: number;
  terminateOnNaN: boolean;
}

/** Validates fit's options at the door; returns them with Keras's defaults. */
export function checkFitOptions(opts: FitOptions): FitSettings {
  const who = "fit";
  const epochs = check.checkNonNegativeInt(who, "epochs", opts.epochs ?? 1);
  const initialEpoch = check.checkNonNegativeInt(who, "initialEpoch", opts.initialEpoch ?? 0);
  const validationSplit = opts.validationSplit ?? 0;
  if (typeof validationSplit !== "number" || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit: validationSplit must be a number in [0, 1), got ${describe(validationSplit)}`);
  }
  const validationData = opts.validationData;
  if (validationData !== undefined && (!Array.isArray(validationData) || validationData.length !== 2)) {
    throw new Error(`fit: validationData must be [x, y], got ${describe(validationData)}`);
  }
  const classWeight = opts.classWeight;
  if (classWeight !== undefined) {
    if (typeof classWeight !== "object" || classWeight === null) throw new Error(`fit: classWeight must be an object { classIndex: weight }, got ${describe(classWeight)}`);
    for (const [k, v] of Object.entries(classWeight)) {
      if (!/^\d+$/.test(k) || typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new Error(`fit: classWeight must map class indices to finite weights >= 0, got ${k}: ${describe(v)}`);
      }
    }
  }
  return {
    epochs, initialEpoch, validationSplit, validationData, classWeight,
    batchSize: check.checkPositiveInt(who, "batchSize", opts.batchSize ?? 32),
    shuffle: check.checkBoolean(who, "shuffle", opts.shuffle ?? true),
    terminateOnNaN: check.checkBoolean(who, "terminateOnNaN", opts.terminateOnNaN ?? true),
    verbose: check.checkVerbose(who, opts.verbose ?? 1),
  };
}

export interface FitData {
  x: Matrix;
  y: Matrix;
  val?: { x: Matrix; y: Matrix };
}

/** Keras's validation_split: rows [⌊n·(1−s)⌋, n) for validation, taken before shuffling. */
export function splitValidation(
  x: Matrix, y: Matrix, s: FitSettings, checkXY: (x: MatrixLike, y: MatrixLike | ArrayLike<number>) => [Matrix, Matrix],
): FitData {
  if (s.validationData) {
    const [vx, vy] = checkXY(s.validationData[0], s.validationData[1]);
    return { x, y, val: { x: vx, y: vy } };
  }
  if (s.validationSplit === 0) return { x, y };
  const at = Math.floor(x.rows * (1 - s.validationSplit));
  if (at === 0 || at === x.rows) {
    throw new Error(
      `fit: validationSplit ${s.validationSplit} of ${x.rows} rows leaves ${at} for training and ${x.rows - at} for validation; both must be non-empty`,
    );
  }
  return { x: rowsView(x, 0, at), y: rowsView(y, 0, at), val: { x: rowsView(x, at, x.rows), y: rowsView(y, at, y.rows) } };
}

/** One weight per training row, from its class (the argmax of its one-hot target). */
export function classWeightsFor(y: Matrix, classWeight: Record<number, number>): Float32Array {
  const w = new Float32Array(y.rows);
  for (let i = 0; i < y.rows; i++) {
    const cls = y.cols === 1 ? y.data[i] : argmaxRow(y.data, i * y.cols, y.cols);
    const weight = classWeight[cls];
    if (weight === undefined) {
      throw new Error(`fit: classWeight has no weight for class ${cls} (row ${i}); give every class in y a weight`);
    }
    w[i] = weight;
  }
  return w;
}

/** Σ_i w_i·ℓ_i / n: the loss of each row, weighted. */
export function weightedLoss(loss: Loss, p: Matrix, t: Matrix, w: Float32Array): number {
  let total = 0;
  for (let i = 0; i < p.rows; i++) total += w[i] * loss.forward(rowsView(p, i, i + 1), rowsView(t, i, i + 1));
  return total / p.rows;
}

/** g_i ← w_i · g_i for each row i. */
export function scaleRows(g: Matrix, w: Float32Array): void {
  for (let i = 0; i < g.rows; i++) {
    for (let j = 0; j < g.cols; j++) g.data[i * g.cols + j] *= w[i];
  }
}

export async function runFit(
  model: Sequential, c: Compiled, data: FitData, s: FitSettings, callbacks: CallbackList, sampleWeights?: Float32Array,
): Promise<History> {
  const { x, y } = data;
  const steps = Math.ceil(x.rows / s.batchSize);
  const params = model.layers.flatMap((layer) => layer.params());
  const batches = new Batches(model, data, s.batchSize, sampleWeights);
  const history = new History();
  history.params = { verbose: s.verbose, epochs: s.epochs, steps };
  const events = new EventLoopYield();
  // With terminateOnNaN, copies of the last finite weights, put back when training diverges (divergence.ts).
  const lastFinite = s.terminateOnNaN ? new LastFinite(model.layers, c.optimizer, params) : undefined;
  lastFinite?.take({ epoch: s.initialEpoch, batch: 0 });
  const stop = (at: FitPosition, loss: number): Error => {
    if (s.verbose > 0) defaultSink().write("\n");
    return diverged(history, at, loss, lastFinite as LastFinite, c, x, y);
  };
  await callbacks.call("onTrainBegin", {});
  for (let epoch = s.initialEpoch; epoch < s.epochs && !model.stopTraining; epoch++) {
    if (s.verbose > 0) defaultSink().write(`Epoch ${epoch + 1}/${s.epochs}\n`);
    await callbacks.call("onEpochBegin", epoch, {});
    if (s.shuffle) batches.shuffle();
    const bar = new ProgressBar(steps, s.verbose);
    const sums = new Float64Array(1 + c.metrics.length);
    let seen = 0, lastBatch = 0, lastLoss = NaN;
    for (let step = 0; step < steps && !model.stopTraining; step++) {
      const [xb, yb, w] = batches.gather(step);
      if (!callbacks.empty) await callbacks.call("onBatchBegin", step, {});
      const loss = model.trainStep(c, params, xb, yb, sums, w, s.terminateOnNaN);
      lastBatch = step;
      lastLoss = loss;
      if (lastFinite && !Number.isFinite(loss)) throw stop({ epoch, batch: step }, loss);
      seen += xb.rows;
      if (!callbacks.empty) await callbacks.call("onBatchEnd", step, Object.fromEntries(logPairs(c, sums, seen)));
      if (step + 1 < steps) bar.update(step + 1, () => logPairs(c, sums, seen));
      // Every ~50 ms: a copy of the weights if they are finite, then timers, I/O and a
      // stopTraining set by a timer get their turn (event-loop.ts).
      if (events.due) {
        if (lastFinite && !lastFinite.take({ epoch, batch: step + 1 })) throw stop({ epoch, batch: step }, loss);
        await events.yieldNow();
      }
    }
    // Nothing reads the weights (validation, callbacks, History) before they are known to be finite.
    if (lastFinite && !lastFinite.take({ epoch: epoch + 1, batch: 0 })) throw stop({ epoch, batch: lastBatch }, lastLoss);
    const logs: Logs = Object.fromEntries(logPairs(c, sums, seen));
    if (data.val) {
      const figures = model.measure(c, data.val.x, data.val.y, s.batchSize);
      figures.forEach((v, i) => (logs[`val_${i === 0 ? "loss" : c.metrics[i - 1][0]}`] = v));
    }
    bar.update(steps, () => Object.entries(logs));
    history.record(epoch, logs);
    await callbacks.call("onEpochEnd", epoch, logs);
    await events.yieldNow();
  }
  await callbacks.call("onTrainEnd", {});
  return history;
}

/** The training rows in batches: a shuffled order of rows, gathered into the model's batch buffers. */
class Batches {
  private readonly order: Int32Array;
  private readonly weights: Float32Array | undefined;

  constructor(
    private readonly model: Sequential, private readonly data: FitData, private readonly size: number,
    private readonly sampleWeights?: Float32Array,
  ) {
    this.order = Int32Array.from({ length: data.x.rows }, (_, i) => i);
    this.weights = sampleWeights && new Float32Array(size);
  }

  shuffle(): void {
    shuffleInPlace(this.order);
  }

  /** Batch `step`: its rows of x and y, in the model's reused buffers, and their sample weights if any. */
  gather(step: number): [Matrix, Matrix, Float32Array | undefined] {
    const { model, data: { x, y }, order } = this;
    const start = step * this.size;
    const size = Math.min(this.size, x.rows - start);
    const xb = (model.batch.x = workspace(model.batch.x, size, x.cols));
    const yb = (model.batch.y = workspace(model.batch.y, size, y.cols));
    gatherRows(xb, x, order, start);
    gatherRows(yb, y, order, start);
    if (!this.sampleWeights || !this.weights) return [xb, yb, undefined];
    for (let r = 0; r < size; r++) this.weights[r] = this.sampleWeights[order[start + r]];
    return [xb, yb, this.weights.subarray(0, size)];
  }
}

/** [name, mean] pairs of the loss and each metric over the `seen` samples so far. */
export function logPairs(c: Compiled, sums: Float64Array, seen: number): [string, number][] {
  return [["loss", sums[0] / seen], ...c.metrics.map(([name], i): [string, number] => [name, sums[i + 1] / seen])];
}

/** Rows [start, end) of m as a view (no copy). */
export function rowsView(m: Matrix, start: number, end: number): Matrix {
  return new Matrix(end - start, m.cols, m.data.subarray(start * m.cols, end * m.cols));
}
