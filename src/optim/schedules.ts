/**
 * Learning-rate schedules (keras.optimizers.schedules). A schedule gives the
 * learning rate for each update from the optimizer's step count: the step is
 * `optimizer.iterations` before the update, so the first update uses step 0.
 * Pass one wherever a learning rate goes: `new Adam({ learningRate: schedule })`.
 *
 *   ExponentialDecay:        lr(s) = lr0 · rate^(s / steps)        (staircase: ⌊s / steps⌋)
 *   PiecewiseConstantDecay:  lr(s) = values[0] while s ≤ boundaries[0],
 *                                    values[i] while boundaries[i−1] < s ≤ boundaries[i],
 *                                    values[last] once s > boundaries[last]
 *   CosineDecay:             lr(s) = from · ((1 − α) · ½(1 + cos(π·min(s, steps)/steps)) + α)
 *       with warmup (warmupTarget set): lr rises linearly from lr0 to warmupTarget over
 *       warmupSteps, then decays from warmupTarget as above over the next decaySteps.
 */
import { checkOptions, optionNames } from "../tensor/names.js";
import { closedFraction, flag, nonNegative, positive, stepCount } from "./checks.js";
import { describe } from "../tensor/matrix.js";

/** A learning rate as a function of the step. Subclass it (override `at`) for your own. */
export abstract class LearningRateSchedule {
  /** Keras's class name. */
  abstract readonly className: string;
  /** The learning rate for the update at step `step` (0 for the first update). */
  abstract at(step: number): number;
  /**
   * Keras's get_config(), snake_case keys, which a saved model holds; a
   * schedule of your own returns undefined (the default) and is saved as its
   * current rate (see optim/serialize.ts).
   */
  getConfig(): Record<string, unknown> | undefined {
    return undefined;
  }
}

export interface ExponentialDecayOptions {
  /** The rate at step 0. */
  initialLearningRate: number;
  /** Steps over which the rate is multiplied by decayRate once; > 0. */
  decaySteps: number;
  /** The factor per decaySteps steps; > 0. */
  decayRate: number;
  /** Decay in whole steps of decaySteps (⌊s / decaySteps⌋); default false. */
  staircase?: boolean;
}

/** lr(s) = initialLearningRate · decayRate^(s / decaySteps). */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = "ExponentialDecay";
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(options: ExponentialDecayOptions) {
    super();
    const who = "ExponentialDecay";
    checkOptions(who, options, optionNames<ExponentialDecayOptions>({ initialLearningRate: true, decaySteps: true, decayRate: true, staircase: true }),
      { example: "{ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96 }", required: true });
    const { initialLearningRate, decaySteps, decayRate, staircase = false } = options;
    this.initialLearningRate = nonNegative(who, "initialLearningRate", initialLearningRate);
    this.decaySteps = positive(who, "decaySteps", decaySteps);
    this.decayRate = positive(who, "decayRate", decayRate);
    this.staircase = flag(who, "staircase", staircase);
  }

  override getConfig(): Record<string, unknown> {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this;
    return { initial_learning_rate: initialLearningRate, decay_steps: decaySteps, decay_rate: decayRate, staircase };
  }

  at(step: number): number {
    const p = this.staircase ? Math.floor(step / this.decaySteps) : step / this.decaySteps;
    return this.initialLearningRate * Math.pow(this.decayRate, p);
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Steps where the rate changes, strictly increasing. */
  boundaries: number[];
  /** The rates: one more than there are boundaries, each >= 0. */
  values: number[];
}

/** values[i] on the i-th interval of steps; each interval includes its right boundary (Keras). */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = "PiecewiseConstantDecay";
  readonly boundaries: readonly number[];
  readonly values: readonly number[];

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    const who = "PiecewiseConstantDecay";
    checkOptions(who, options, optionNames<PiecewiseConstantDecayOptions>({ boundaries: true, values: true }),
      { example: "{ boundaries: [1000, 2000], values: [0.1, 0.01, 0.001] }", required: true });
    const { boundaries, values } = options;
    if (!Array.isArray(boundaries)) throw new Error(`${who} boundaries must be an array of steps, got ${describe(boundaries)}`);
    if (!Array.isArray(values)) throw new Error(`${who} values must be an array of learning rates, got ${describe(values)}`);
    boundaries.forEach((b, i) => {
      if (typeof b !== "number" || !Number.isFinite(b)) {
        throw new Error(`${who} boundaries[${i}] must be a finite number, got ${describe(b)}`);
      }
      if (i > 0 && !(b > boundaries[i - 1])) {
        throw new Error(`${who} boundaries must be strictly increasing, got ${b} after ${boundaries[i - 1]} (boundaries [${boundaries.join(", ")}])`);
      }
    });
    if (values.length !== boundaries.length + 1) {
      throw new Error(`${who} values must have boundaries.length + 1 = ${boundaries.length + 1} numbers, got ${values.length}`);
    }
    values.forEach((v, i) => nonNegative(who, `values[${i}]`, v));
    this.boundaries = [...boundaries];
    this.values = [...values];
  }

  override getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }

  at(step: number): number {
    let i = 0;
    while (i < this.boundaries.length && step > this.boundaries[i]) i++;
    return this.values[i];
  }
}

export interface CosineDecayOptions {
  /** The rate at step 0 (where the warmup starts, if there is one). */
  initialLearningRate: number;
  /** Steps over which the rate decays; > 0. */
  decaySteps: number;
  /** The final rate as a fraction of the decay's starting rate, in [0, 1]; default 0. */
  alpha?: number;
  /** Warm up linearly to this rate, then decay from it; default none (no warmup). */
  warmupTarget?: number;
  /** Steps of warmup (needs warmupTarget); default 0. */
  warmupSteps?: number;
}

/**
 * Cosine decay (Loshchilov & Hutter, SGDR) with an optional linear warmup
 * (Goyal et al.), Keras's formulas:
 *   warmup (s < warmupSteps):  lr = lr0 + (warmupTarget − lr0) · s / warmupSteps
 *   decay:  d = min(s − warmupSteps, decaySteps) / decaySteps
 *           lr = from · ((1 − α) · ½(1 + cos(π·d)) + α),  from = warmupTarget ?? lr0
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = "CosineDecay";
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | undefined;
  readonly warmupSteps: number;

  constructor(options: CosineDecayOptions) {
    super();
    const who = "CosineDecay";
    checkOptions(who, options, optionNames<CosineDecayOptions>({
      initialLearningRate: true, decaySteps: true, alpha: true, warmupTarget: true, warmupSteps: true,
    }),
      { example: "{ initialLearningRate: 0.1, decaySteps: 1000 }", required: true });
    const { initialLearningRate, decaySteps, alpha = 0, warmupTarget, warmupSteps = 0 } = options;
    this.initialLearningRate = nonNegative(who, "initialLearningRate", initialLearningRate);
    this.decaySteps = positive(who, "decaySteps", decaySteps);
    this.alpha = closedFraction(who, "alpha", alpha);
    this.warmupTarget = warmupTarget === undefined ? undefined : nonNegative(who, "warmupTarget", warmupTarget);
    this.warmupSteps = stepCount(who, "warmupSteps", warmupSteps);
    // Keras ignores warmupSteps without a warmupTarget; that is almost surely a mistake.
    if (this.warmupTarget === undefined && this.warmupSteps > 0) {
      throw new Error(`${who} warmupSteps ${this.warmupSteps} needs a warmupTarget (the rate to warm up to), got undefined`);
    }
  }

  override getConfig(): Record<string, unknown> {
    const { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps } = this;
    return {
      initial_learning_rate: initialLearningRate, decay_steps: decaySteps, alpha,
      warmup_target: warmupTarget ?? null, warmup_steps: warmupSteps,
    };
  }

  at(step: number): number {
    const lr0 = this.initialLearningRate, target = this.warmupTarget;
    if (target !== undefined && step < this.warmupSteps) {
      return lr0 + (target - lr0) * (step / this.warmupSteps);
    }
    const from = target ?? lr0;
    const d = Math.min(step - this.warmupSteps, this.decaySteps) / this.decaySteps;
    const cosine = 0.5 * (1 + Math.cos(Math.PI * d));
    return from * ((1 - this.alpha) * cosine + this.alpha);
  }
}
