/**
 * The trainer: Keras's fit loop, with its batch buffers, running sums, sample
 * weights and callbacks. Sequential.fit checks everything, then calls train.
 *
 *   validation rows are split off first (fit-options.ts)
 *
 *   for each epoch from initialEpoch:
 *     shuffle the training rows (seeded generator)
 *     for each batch: gather its rows, step (forward, loss, backward, update),
 *       report running means,
 *       and every ~50 ms let the event loop run (event-loop.ts)
 *     evaluate on the validation rows: val_loss, val_<metric>
 *     record the epoch in History (keys sorted), call onEpochEnd
 *   model.stopTraining = true, from a callback or a timer, ends it after the current batch
 *   a non-finite loss or weight ends it with finite weights in place (divergence.ts)
 *
 * The epoch loss is the mean of batch losses weighted by batch size, i.e. the
 * mean over all samples, as Keras reports it.
 */
import { Matrix, workspace, rowsView } from "../tensor/matrix.js";
import { rowOrder } from "../tensor/ops.js";
import { gatherBatch, shuffleOrder, withFixedWeights } from "../tensor/backend.js";
import type { Param } from "../tensor/parameter.js";
import type { Loss } from "../losses/index.js";
import type { Sequential, Compiled } from "./sequential.js";
import type { CallbackList, Logs } from "./callbacks.js";
import type { FitData, FitSettings } from "./fit-options.js";
import { History } from "./history.js";
import { ProgressBar, defaultSink } from "./progress.js";
import { EventLoopYield } from "./event-loop.js";
import { stackOutputs } from "./predict-stack.js";
import { LastFinite, diverged, type FitPosition } from "./divergence.js";

export async function train(
  model: Sequential, c: Compiled, data: FitData, s: FitSettings, callbacks: CallbackList, sampleWeights?: Float32Array,
): Promise<History> {
  const { x, y } = data;
  const steps = Math.ceil(x.rows / s.batchSize);
  const params = model.layers.flatMap((layer) => layer.params());
  const batches = new Batches(buffersOf(model), data, s.batchSize, sampleWeights);
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
      const loss = trainStep(model, c, params, xb, yb, sums, w, s.terminateOnNaN);
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
      const figures = measure(model, c, data.val.x, data.val.y, s.batchSize);
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

/**
 * One training step on a batch x (n, din) with targets t (n, classes):
 *   p  = model.forward(x)                  forward, saving what backward needs
 *   L  = loss(p, t) + Σ regularizers        (mean over the batch)
 *   g  = ∂L/∂p, or (p − t)/n at the softmax's input when the loss is fused with it
 *   model.backward(g)                      fills every parameter's gradient
 *   optimizer.step(params)                 w ← w − lr·dw, or its optimizer's rule
 * Adds size·(loss, metrics) into sums and returns the batch loss. With sample weights w, the loss is
 * Σ w_i·ℓ_i / n and each row of the gradient is scaled by its w_i. When the
 * loss is not finite and `stopOnNaN` is set, nothing is updated: the weights
 * stay as they were before this batch.
 */
function trainStep(
  model: Sequential, c: Compiled, params: Param[], x: Matrix, t: Matrix, sums: Float64Array, w: Float32Array | undefined, stopOnNaN: boolean,
): number {
  const p = model.forward(x, true);
  const n = x.rows;
  // Regularizers add their penalty to the loss (their gradient is added in backward).
  const loss = (w ? weightedLoss(c.loss, p, t, w) : c.loss.forward(p, t)) + model.regularizationLoss();
  if (stopOnNaN && !Number.isFinite(loss)) return loss;
  sums[0] += n * loss;
  for (let i = 0; i < c.metrics.length; i++) sums[i + 1] += n * c.metrics[i][1](p, t);
  // A loss fused with the last activation (softmax + cross-entropy: (p − t)/n; sigmoid + binary
  // cross-entropy) gives the gradient at the activation's input, skipping both backward passes.
  const last = model.layers[model.layers.length - 1];
  const fused = c.loss.fused && last.finalActivation?.name === c.loss.fused.activation ? c.loss.fused : undefined;
  const buffers = buffersOf(model);
  const g = (buffers.dp = workspace(buffers.dp, p.rows, p.cols)); // ∂L/∂p (or, fused, ∂L/∂z of the last layer)
  if (fused) fused.backward(g, p, t);
  else c.loss.backward(g, p, t);
  if (w) scaleRows(g, w);
  model.backward(g, fused !== undefined);
  c.optimizer.step(params);
  return loss;
}

/** Mean loss and metrics over (x, y) in inference mode, batch by batch (evaluate, and fit's validation). */
export function measure(model: Sequential, c: Compiled, xs: Matrix, ys: Matrix, batchSize: number, bar?: ProgressBar): number[] {
  const penalty = model.regularizationLoss(); // Keras 3 adds it when evaluating too (TF.js only in fit)
  const sums = new Float64Array(1 + c.metrics.length);
  forEachBatch(model, xs, batchSize, (p, start, end, step) => {
    const t = rowsView(ys, start, end);
    sums[0] += (end - start) * (c.loss.forward(p, t) + penalty);
    for (let i = 0; i < c.metrics.length; i++) sums[i + 1] += (end - start) * c.metrics[i][1](p, t);
    bar?.update(step + 1, () => logPairs(c, sums, end));
  });
  return Array.from(sums, (v) => v / xs.rows);
}

/**
 * The model's outputs p for each batch `step`, rows [start, end) of xs, in inference mode, the weights fixed
 * meanwhile: the layers' forward batch by batch, or all rows at once by the backend (predict-stack.ts).
 */
export function forEachBatch(model: Sequential, xs: Matrix, batchSize: number, use: (p: Matrix, start: number, end: number, step: number) => void): void {
  const all = stackOutputs(model.layers, xs, batchSize, model.outputDim as number);
  withFixedWeights(() => {
    for (let step = 0, start = 0; start < xs.rows; step++, start += batchSize) {
      const end = Math.min(start + batchSize, xs.rows);
      use(all ? rowsView(all, start, end) : model.forward(rowsView(xs, start, end), false), start, end, step);
    }
  });
}

/** Each model's training buffers: the gathered batch and ∂L/∂p, sized on the first batch and kept across fits. */
interface BatchBuffers {
  x?: Matrix;
  y?: Matrix;
  dp?: Matrix;
}
const buffers = new WeakMap<Sequential, BatchBuffers>();
function buffersOf(model: Sequential): BatchBuffers {
  if (!buffers.has(model)) buffers.set(model, {});
  return buffers.get(model)!;
}

/** The training rows in batches: a shuffled order of rows, gathered into the model's batch buffers. */
class Batches {
  private readonly order: Int32Array;
  private readonly weights: Float32Array | undefined;

  constructor(
    private readonly buffers: BatchBuffers, private readonly data: FitData, private readonly size: number,
    private readonly sampleWeights?: Float32Array,
  ) {
    this.order = rowOrder(data.x.rows);
    this.weights = sampleWeights && new Float32Array(size);
  }

  shuffle(): void {
    shuffleOrder(this.order);
  }

  /** Batch `step`: its rows of x and y, in the model's reused buffers, and their sample weights if any. */
  gather(step: number): [Matrix, Matrix, Float32Array | undefined] {
    const { buffers, data: { x, y }, order } = this;
    const start = step * this.size;
    const size = Math.min(this.size, x.rows - start);
    const xb = (buffers.x = workspace(buffers.x, size, x.cols));
    const yb = (buffers.y = workspace(buffers.y, size, y.cols));
    gatherBatch(xb, x, order, start);
    gatherBatch(yb, y, order, start);
    if (!this.sampleWeights || !this.weights) return [xb, yb, undefined];
    for (let r = 0; r < size; r++) this.weights[r] = this.sampleWeights[order[start + r]];
    return [xb, yb, this.weights.subarray(0, size)];
  }
}

/** Σ_i w_i·ℓ_i / n: the loss of each row, weighted. */
function weightedLoss(loss: Loss, p: Matrix, t: Matrix, w: Float32Array): number {
  let total = 0;
  for (let i = 0; i < p.rows; i++) total += w[i] * loss.forward(rowsView(p, i, i + 1), rowsView(t, i, i + 1));
  return total / p.rows;
}

/** g_i ← w_i · g_i for each row i. */
function scaleRows(g: Matrix, w: Float32Array): void {
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) g.data[i * g.cols + j] *= w[i];
}

/** [name, mean] pairs of the loss and each metric over the `seen` samples so far. */
export function logPairs(c: Compiled, sums: Float64Array, seen: number): [string, number][] {
  return [["loss", sums[0] / seen], ...c.metrics.map(([name], i): [string, number] => [name, sums[i + 1] / seen])];
}
