/**
 * Training that diverges: the last finite weights of a fit, put back when it
 * does, the error fit rejects with, and the likely causes it names.
 *
 * fit stops at the first batch whose loss is not finite, before that batch's
 * update. That alone does not leave finite weights: an update can overflow
 * the weights to ±Infinity while its loss was still finite (a linear network
 * at learning rate 1e4: losses 0.5, 2e15, 1e63, then NaN), and the weights
 * from before the NaN batch are then already infinite. So fit also keeps a
 * copy of the model's weights (every weight, BatchNormalization's moving
 * statistics too) with the optimizer's state (step count, momenta), each copy
 * taken only when every value is finite:
 *
 *   at the start of fit, at the end of every epoch, and whenever fit lets the
 *   event loop run (every ~50 ms of work, event-loop.ts)
 *
 * A copy of MNIST's 235k weights takes ~0.07 ms, yet copies between yields
 * cost more than that with worker threads: a copy every ~7 ms made an MNIST
 * epoch ~10% slower on 2 threads and cost nothing on 1 (while the main thread
 * copies, the workers wait and may fall asleep). So the copies ride on the
 * yields, which pause the workers anyway.
 *
 * When the loss turns non-finite, weights that are all finite stay as they
 * are (they are those from before the failing batch); otherwise, and when a
 * copy finds a non-finite weight, fit puts the last copy back, optimizer state
 * included, so a later fit (at a smaller learning rate, say) starts from a
 * consistent state, and says which batch it is from.
 */
import type { Matrix } from "../tensor/matrix.js";
import { backend } from "../tensor/backend.js";
import type { Layer, Param } from "../layers/layer.js";
import type { Optimizer, OptimizerState } from "../optim/index.js";
import type { History } from "./history.js";
import type { Compiled } from "./sequential.js";

/** A point in a fit, 0-based: the weights from before batch `batch` of epoch `epoch`. */
export interface FitPosition {
  epoch: number;
  batch: number;
}

export class LastFinite {
  private readonly values: Matrix[];
  private readonly copies: Float32Array[];
  private state: OptimizerState | undefined;
  /** Where the copy is from; undefined while there is none. */
  private at: FitPosition | undefined;

  constructor(layers: Layer[], private readonly optimizer: Optimizer, private readonly params: Param[]) {
    this.values = layers.flatMap((layer) => layer.weights().map((w) => w.value));
    this.copies = this.values.map((v) => new Float32Array(v.data.length));
  }

  /** Whether every weight is finite (one fast pass over each, tensor/finite.ts). */
  finite(): boolean {
    return this.values.every((v) => backend().allFinite(v.data));
  }

  /** Copies the weights and the optimizer's state as those of `at`; false (keeping the old copy) when a weight is not finite. */
  take(at: FitPosition): boolean {
    if (!this.finite()) return false;
    this.values.forEach((v, i) => this.copies[i].set(v.data));
    this.state = this.optimizer.copyState(this.params);
    this.at = at;
    return true;
  }

  /** Puts the copy back, weights and optimizer state; returns where it is from (undefined: no finite copy was ever taken). */
  restore(): FitPosition | undefined {
    if (!this.at || !this.state) return undefined;
    this.values.forEach((v, i) => v.data.set(this.copies[i]));
    this.optimizer.restoreState(this.params, this.state);
    return this.at;
  }
}

/**
 * fit's rejection when training diverges; carries the History of the epochs
 * that finished. epoch and batch (0-based) say where it was found: the batch
 * whose loss was NaN or infinite, or the one after whose update a weight was
 * found non-finite (its loss, still finite, is `loss` then). weightsFrom says
 * which weights the model holds now: those from before that batch of that
 * epoch; `restored` whether fit put them back from its copy.
 */
export class TrainingDivergedError extends Error {
  constructor(
    readonly history: History, readonly epoch: number, readonly batch: number, readonly loss: number,
    readonly weightsFrom: FitPosition | undefined, readonly restored: boolean, hints: string[],
  ) {
    const at = (p: FitPosition) => `epoch ${p.epoch + 1}, batch ${p.batch + 1}`;
    const what = Number.isFinite(loss)
      ? `an update made the weights non-finite by ${at({ epoch, batch })} (its loss was ${loss})`
      : `the loss became ${loss} at ${at({ epoch, batch })}`;
    const kept = !weightsFrom
      ? "no finite weights were seen in this fit, so they are as they were"
      : restored
        ? `the weights are restored to the last finite ones fit copied, from before ${at(weightsFrom)} (the optimizer's state too)`
        : "the weights are those from before that batch";
    super(`fit: ${what}; training stopped and ${kept}. Likely causes: ${hints.join("; ")}. (Pass terminateOnNaN: false to train on regardless.)`);
    this.name = "TrainingDivergedError";
  }
}

/**
 * The error for a divergence found at `at`, after putting finite weights in
 * place: a non-finite loss stopped fit before that batch's update, so weights
 * that are all finite are the ones to keep; otherwise the last copy goes back.
 */
export function diverged(
  history: History, at: FitPosition, loss: number, lastFinite: LastFinite, c: Compiled, x: Matrix, y: Matrix,
): TrainingDivergedError {
  const keep = !Number.isFinite(loss) && lastFinite.finite();
  const weightsFrom = keep ? at : lastFinite.restore();
  return new TrainingDivergedError(history, at.epoch, at.batch, loss, weightsFrom, !keep, divergenceHints(c, x, y));
}

/** What usually makes a loss blow up, with the values that point to it. */
function divergenceHints(c: Compiled, x: Matrix, y: Matrix): string[] {
  const hints: string[] = [];
  const lr = (c.optimizer as { learningRate?: unknown }).learningRate;
  hints.push(`the learning rate is too high${typeof lr === "number" ? ` (it is ${lr}; try 10 or 100 times smaller)` : ""}`);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < x.data.length; i++) {
    lo = Math.min(lo, x.data[i]);
    hi = Math.max(hi, x.data[i]);
  }
  hints.push(`inputs are not scaled to [0, 1] (x ranges over [${lo}, ${hi}]${hi > 10 ? ": divide pixels by 255" : ""})`);
  if (c.loss.name === "categorical_crossentropy") {
    let oneHot = true;
    for (let i = 0; i < y.data.length && oneHot; i++) oneHot = y.data[i] === 0 || y.data[i] === 1;
    hints.push(`labels are not one-hot for categorical_crossentropy${oneHot ? "" : " (y holds values other than 0 and 1: use toCategorical)"}`);
  }
  return hints;
}
