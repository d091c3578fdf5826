/**
 * The Optimizer contract: after each batch's backward pass, `step` moves every
 * parameter against its gradient. Optimizers that keep state (momentum,
 * moving averages) keep one buffer per parameter, created on its first step
 * through allocFloat32 and reused on every later one.
 *
 * One step, in Keras's order (keras.optimizers.Optimizer.apply):
 *   lr = the learning rate, or schedule.at(iterations) when it follows a schedule
 *   clip the gradients (clipnorm, clipvalue or globalClipnorm; see clip.ts)
 *   for each parameter: update(p, lr)          (the rule each optimizer writes down)
 *   iterations = iterations + 1
 *
 * Clipping works in place on p.grad: the backward pass recomputes every
 * gradient on the next batch, so after a step p.grad holds the clipped one.
 */
import type { Matrix } from "../tensor/matrix.js";
import { describe } from "../tensor/matrix.js";
import { checkOptionNames, positive } from "./checks.js";
import { clipByGlobalNorm, clipByNorm, clipByValue } from "./clip.js";
import { LearningRateSchedule } from "./schedules.js";

/** What an optimizer updates: a value and the gradient of the loss with respect to it. */
export interface Trainable {
  readonly value: Matrix;
  readonly grad: Matrix;
}

/** Options every optimizer takes (Keras's base optimizer arguments). Set at most one clip option. */
export interface OptimizerOptions {
  /** Step size, or a schedule that gives it per step; each optimizer has its own default. */
  learningRate?: number | LearningRateSchedule;
  /** Clip each parameter's gradient to L2 norm ≤ clipnorm (> 0); default none. */
  clipnorm?: number;
  /** Clip each gradient element to [−clipvalue, clipvalue] (> 0); default none. */
  clipvalue?: number;
  /** Scale all gradients together so their joint L2 norm is ≤ globalClipnorm (> 0); default none. */
  globalClipnorm?: number;
}

const BASE_OPTIONS = ["learningRate", "clipnorm", "clipvalue", "globalClipnorm"] as const;

export abstract class Optimizer {
  /** Keras's class name. */
  readonly className: string;
  /** Number of steps taken so far (Keras `iterations`). */
  iterations = 0;
  /**
   * The learning rate of the next step. With a schedule it reads the
   * schedule's value at `iterations` and cannot be set (as in Keras); with a
   * number it can be set between steps (callbacks such as ReduceLROnPlateau do).
   * It is an own enumerable property, defined in the constructor, so that it
   * is listed with the other settings (Object.entries) like a plain field.
   */
  declare learningRate: number;
  readonly clipnorm: number | undefined;
  readonly clipvalue: number | undefined;
  readonly globalClipnorm: number | undefined;
  /** A number, or the schedule the rate follows. */
  #rate: number | LearningRateSchedule;

  /**
   * Checks the shared options and names any option the optimizer does not
   * know. `ownOptions` lists the subclass's options; `defaultLearningRate` is
   * its Keras default.
   */
  protected constructor(className: string, options: OptimizerOptions | undefined, defaultLearningRate: number, ownOptions: readonly string[]) {
    this.className = className;
    checkOptionNames(className, options, [...BASE_OPTIONS, ...ownOptions], `{ learningRate: ${defaultLearningRate} }`);
    const { learningRate = defaultLearningRate, clipnorm, clipvalue, globalClipnorm } = options ?? {};
    this.#rate = learningRate instanceof LearningRateSchedule ? learningRate : checkRate(className, learningRate);
    this.clipnorm = clipnorm === undefined ? undefined : positive(className, "clipnorm", clipnorm);
    this.clipvalue = clipvalue === undefined ? undefined : positive(className, "clipvalue", clipvalue);
    this.globalClipnorm = globalClipnorm === undefined ? undefined : positive(className, "globalClipnorm", globalClipnorm);
    const set = Object.entries({ clipnorm, clipvalue, globalClipnorm }).filter(([, v]) => v !== undefined);
    if (set.length > 1) {
      throw new Error(`${className}: only one of clipnorm, clipvalue and globalClipnorm can be set, got ${set.map(([k, v]) => `${k} ${v}`).join(" and ")}`);
    }
    Object.defineProperty(this, "learningRate", {
      enumerable: true,
      get: () => this.currentLearningRate(),
      set: (lr: unknown) => {
        if (this.#rate instanceof LearningRateSchedule) {
          throw new Error(
            `${className} follows the learning-rate schedule ${this.#rate.className}, so its learningRate cannot be set ` +
              `(tried ${describe(lr)}); create the optimizer with a number learningRate to change it during training`,
          );
        }
        this.#rate = checkRate(className, lr);
      },
    });
  }

  /** The schedule the learning rate follows, or undefined for a fixed rate. */
  get learningRateSchedule(): LearningRateSchedule | undefined {
    return this.#rate instanceof LearningRateSchedule ? this.#rate : undefined;
  }

  /** The learning rate the next step will use: the number, or the schedule at `iterations`. */
  currentLearningRate(): number {
    const rate = this.#rate;
    if (typeof rate === "number") return rate;
    const lr = rate.at(this.iterations);
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`${this.className}: the learning-rate schedule ${rate.className} gave ${describe(lr)} at step ${this.iterations}; expected a finite number >= 0`);
    }
    return lr;
  }

  /** Applies one update to every parameter, from its current gradient. */
  step(params: readonly Trainable[]): void {
    const lr = this.currentLearningRate();
    this.clipGradients(params);
    for (const p of params) this.update(p, lr);
    this.iterations++;
  }

  /** The update rule for one parameter, at learning rate `lr`. */
  protected abstract update(p: Trainable, lr: number): void;

  /** Keras clips before any update; only one kind can be set. */
  private clipGradients(params: readonly Trainable[]): void {
    if (this.clipnorm !== undefined) {
      for (const p of params) clipByNorm(p.grad.data, this.clipnorm);
    } else if (this.globalClipnorm !== undefined) {
      clipByGlobalNorm(params, this.globalClipnorm);
    } else if (this.clipvalue !== undefined) {
      for (const p of params) clipByValue(p.grad.data, this.clipvalue);
    }
  }
}

function checkRate(who: string, lr: unknown): number {
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`${who} learningRate must be a finite number >= 0, got ${describe(lr)} (or pass a LearningRateSchedule such as ExponentialDecay)`);
  }
  return lr;
}
