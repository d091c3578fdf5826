/**
 * EarlyStopping and ReduceLROnPlateau: callbacks that watch one figure of the
 * epoch logs ("val_loss" by default) and act when it stops improving, with
 * Keras's rules.
 *
 *   mode "min": improved when  current < best − minDelta
 *   mode "max": improved when  current > best + minDelta
 *   mode "auto": "max" for accuracy-like names (containing "acc"), else "min"
 */
import { Callback, getLearningRate, setLearningRate, type Logs } from "./callbacks.js";
import type { Matrix } from "../tensor/matrix.js";
import { describe } from "../tensor/matrix.js";
import { checkOptions, optionNames } from "../tensor/names.js";

type Mode = "min" | "max" | "auto";

/** The shared bookkeeping: which figure, which direction, by how much. */
class Watch {
  readonly better: (current: number, best: number) => boolean;
  readonly worst: number;

  constructor(who: string, readonly monitor: string, mode: Mode, minDelta: number) {
    if (mode !== "min" && mode !== "max" && mode !== "auto") throw new Error(`${who}: mode must be "min", "max" or "auto", got ${describe(mode)}`);
    if (typeof minDelta !== "number" || !(minDelta >= 0)) throw new Error(`${who}: minDelta must be a number >= 0, got ${describe(minDelta)}`);
    const max = mode === "max" || (mode === "auto" && /acc/.test(monitor));
    this.better = max ? (c, b) => c - minDelta > b : (c, b) => c + minDelta < b;
    this.worst = max ? -Infinity : Infinity;
  }

  /** The watched figure, or undefined (with a warning, as Keras) when the logs lack it. */
  read(who: string, logs: Logs): number | undefined {
    const v = logs[this.monitor];
    if (v === undefined) {
      console.warn(`${who}: "${this.monitor}" is not in the logs (available: ${Object.keys(logs).join(", ")}); skipping`);
    }
    return v;
  }
}

export interface EarlyStoppingOptions {
  /** Figure to watch; default "val_loss". */
  monitor?: string;
  /** Smallest change that counts as an improvement; default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping; default 0. */
  patience?: number;
  /** "min", "max" or "auto" (default). */
  mode?: Mode;
  /** Training stops if the figure is not better than this; default none. */
  baseline?: number;
  /** On stopping, put back the weights of the best epoch; default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all; default 0. */
  startFromEpoch?: number;
  verbose?: number;
}

const EARLY_STOPPING_OPTIONS = optionNames<EarlyStoppingOptions>({
  monitor: true, minDelta: true, patience: true, mode: true, baseline: true, restoreBestWeights: true, startFromEpoch: true, verbose: true,
});

/** Stops training when the watched figure has not improved for `patience` epochs (Keras EarlyStopping). */
export class EarlyStopping extends Callback {
  private readonly watch: Watch;
  private readonly patience: number;
  private readonly baseline: number | undefined;
  private readonly restoreBestWeights: boolean;
  private readonly startFromEpoch: number;
  private readonly verbose: number;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Matrix[] | undefined;
  /** The epoch training stopped at (0 if it ran to the end), and the best one. */
  stoppedEpoch = 0;
  bestEpoch = 0;

  constructor(options?: EarlyStoppingOptions) {
    super();
    const {
      monitor = "val_loss", minDelta = 0, patience = 0, mode = "auto", baseline, restoreBestWeights = false, startFromEpoch = 0, verbose = 0,
    } = checkOptions("EarlyStopping", options, EARLY_STOPPING_OPTIONS);
    this.watch = new Watch("EarlyStopping", monitor, mode, minDelta);
    if (!Number.isInteger(patience) || patience < 0) throw new Error(`EarlyStopping: patience must be an integer >= 0, got ${describe(patience)}`);
    this.patience = patience;
    this.baseline = baseline;
    this.restoreBestWeights = restoreBestWeights;
    this.startFromEpoch = startFromEpoch;
    this.verbose = verbose;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.watch.worst;
    this.bestWeights = undefined;
    this.bestEpoch = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = this.watch.read("EarlyStopping", logs);
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === undefined) this.bestWeights = this.model.getWeights();
    this.wait++;
    if (this.watch.better(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model.getWeights();
      if (this.baseline === undefined || this.watch.better(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) {
        if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
        this.model.setWeights(this.bestWeights);
      }
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
  }
}

export interface ReduceLROnPlateauOptions {
  /** Figure to watch; default "val_loss". */
  monitor?: string;
  /** New rate = rate · factor; default 0.1 (must be < 1). */
  factor?: number;
  /** Epochs without improvement before reducing; default 10. */
  patience?: number;
  mode?: Mode;
  /** Smallest change that counts as an improvement; default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before watching again; default 0. */
  cooldown?: number;
  /** Lower bound on the learning rate; default 0. */
  minLr?: number;
  verbose?: number;
}

const REDUCE_LR_ON_PLATEAU_OPTIONS = optionNames<ReduceLROnPlateauOptions>({
  monitor: true, factor: true, patience: true, mode: true, minDelta: true, cooldown: true, minLr: true, verbose: true,
});

/** Multiplies the learning rate by `factor` when the watched figure stalls (Keras ReduceLROnPlateau). */
export class ReduceLROnPlateau extends Callback {
  private readonly watch: Watch;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly verbose: number;
  private wait = 0;
  private cooldownCounter = 0;
  private best = Infinity;

  constructor(options?: ReduceLROnPlateauOptions) {
    super();
    const {
      monitor = "val_loss", factor = 0.1, patience = 10, mode = "auto", minDelta = 1e-4, cooldown = 0, minLr = 0, verbose = 0,
    } = checkOptions("ReduceLROnPlateau", options, REDUCE_LR_ON_PLATEAU_OPTIONS);
    if (typeof factor !== "number" || !(factor < 1) || !(factor >= 0)) throw new Error(`ReduceLROnPlateau: factor must be a number in [0, 1), got ${describe(factor)}`);
    this.watch = new Watch("ReduceLROnPlateau", monitor, mode, minDelta);
    this.factor = factor;
    this.patience = patience;
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.verbose = verbose;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.watch.worst;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = this.watch.read("ReduceLROnPlateau", logs);
    if (current === undefined) return;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.watch.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      this.wait++;
      if (this.wait >= this.patience) {
        const old = getLearningRate(this.model, "ReduceLROnPlateau");
        if (old > this.minLr) {
          const lr = Math.max(old * this.factor, this.minLr);
          setLearningRate(this.model, lr);
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
