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
 * Clipping works in place on the whole gradient (p.grad.whole()): the backward
 * pass recomputes every gradient on the next batch, so after a step p.grad
 * holds the clipped one.
 *
 * State. Each optimizer names the arrays it keeps per parameter (`slotNames`,
 * Adam: ["m", "v"]) with TensorFlow.js's names, in the order TF.js's
 * optimizer.getWeights() lists them. getState / setState read and restore
 * them with `iterations`, so that a saved model resumes training exactly
 * where it stopped (model.save(dir, { includeOptimizer: true })).
 */
import type { Param } from "../tensor/parameter.js";
import { describe } from "../tensor/matrix.js";
import { allocFloat32 } from "../tensor/alloc.js";
import { positive } from "./checks.js";
import { checkOptions } from "../tensor/names.js";
import { clipByGlobalNorm, clipByNorm, clipByValue } from "./clip.js";
import { LearningRateSchedule } from "./schedules.js";


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

/**
 * An optimizer's state as TensorFlow.js's optimizer.getWeights() lists it:
 * the step count, then slot by slot (Adam: every m, then every v) one array
 * per parameter, in the parameters' order. No slots before the first step.
 */
export interface OptimizerState {
  /** Steps taken so far (TF.js saves it as the int32 scalar "iter"). */
  iterations: number;
  slots: OptimizerSlot[];
}

/** One kind of per-parameter state: "m", "v", "momentum", "rms", "mg", "accumulator". */
export interface OptimizerSlot {
  name: string;
  /** One array per parameter, as long as the parameter. */
  values: Float32Array[];
}

/** The stand-in for a slot the configuration never reads (see usesSlot). */
const UNUSED = new Float32Array(0);

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
  /** Each parameter's state arrays, in slotNames order, created on its first step. */
  readonly #slots = new Map<Param, Float32Array[]>();

  /**
   * Checks the shared options and names any option the optimizer does not
   * know. `ownOptions` lists the subclass's options; `defaultLearningRate` is
   * its Keras default.
   */
  protected constructor(className: string, options: OptimizerOptions | undefined, defaultLearningRate: number, ownOptions: readonly string[]) {
    this.className = className;
    checkOptions(className, options, [...BASE_OPTIONS, ...ownOptions], { example: `{ learningRate: ${defaultLearningRate} }` });
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
    return this.learningRateAt(this.iterations);
  }

  /** The learning rate of the update at step `step`: the number, or the schedule's value there. */
  learningRateAt(step: number): number {
    const rate = this.#rate;
    if (typeof rate === "number") return rate;
    const lr = rate.at(step);
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`${this.className}: the learning-rate schedule ${rate.className} gave ${describe(lr)} at step ${step}; expected a finite number >= 0`);
    }
    return lr;
  }

  /** Applies one update to every parameter, from its current gradient. */
  step(params: readonly Param[]): void {
    const lr = this.currentLearningRate();
    this.clipGradients(params);
    for (const p of params) this.update(p, lr);
    this.iterations++;
  }

  /** The update rule for one parameter, at learning rate `lr`. */
  protected abstract update(p: Param, lr: number): void;

  /** The names of the arrays kept per parameter, in TF.js's order ([] for plain SGD). */
  abstract get slotNames(): readonly string[];

  /** The slot names a saved state has, for messages: slotNames, unless getState converts (SGD). */
  protected get savedSlotNames(): readonly string[] {
    return this.slotNames;
  }

  /**
   * Whether this configuration reads slot `name`. An unread slot (RMSprop's
   * "momentum" at momentum 0, kept by TF.js) is not allocated; it is saved as
   * its start value and ignored on restore.
   */
  protected usesSlot(_slot: string): boolean {
    return true;
  }

  /** The value a state array starts from: 0 (Adagrad overrides it). */
  protected initialSlotValue(_slot: string): number {
    return 0;
  }

  /** p's state arrays, one per slot name, created on its first step. */
  protected slots(p: Param): Float32Array[] {
    let s = this.#slots.get(p);
    if (!s) {
      const n = p.value.data.length;
      s = this.slotNames.map((name) => (this.usesSlot(name) ? allocFloat32(n).fill(this.initialSlotValue(name)) : UNUSED));
      this.#slots.set(p, s);
    }
    return s;
  }

  /**
   * A copy of the state for `params` (the model's trainable parameters, in
   * order). Before the first step there are no slots, as in TF.js.
   */
  getState(params: readonly Param[]): OptimizerState {
    return this.copyState(params);
  }

  /**
   * A copy of the state as this optimizer keeps it (slotNames, no conversion
   * to a saved layout), for restoreState to put back: what fit keeps to undo
   * a diverging run (model/divergence.ts). getState is this, unless the
   * optimizer saves in another layout (SGD).
   */
  copyState(params: readonly Param[]): OptimizerState {
    if (!params.some((p) => this.#slots.has(p))) return { iterations: this.iterations, slots: [] };
    const slots = this.slotNames.map((name, k) => ({
      name,
      values: params.map((p) => {
        const live = this.#slots.get(p)?.[k];
        return live && live !== UNUSED ? Float32Array.from(live) : new Float32Array(p.value.data.length).fill(this.initialSlotValue(name));
      }),
    }));
    return { iterations: this.iterations, slots };
  }

  /**
   * Restores a state that getState gave (or a file held) for the same
   * parameters. Checks the step count, the slot names and every length first,
   * and changes nothing when one is wrong; `where` starts each message.
   */
  setState(params: readonly Param[], state: OptimizerState, where: string = this.className): void {
    const { iterations, slots } = state;
    if (typeof iterations !== "number" || !Number.isInteger(iterations) || iterations < 0) {
      throw new Error(`${where}: the step count (iter) must be an integer >= 0, got ${describe(iterations)}`);
    }
    const names = slots.map((s) => s.name);
    if (slots.length > 0 && names.join() !== this.slotNames.join()) {
      throw new Error(`${where}: ${this.describeSelf()} keeps ${listNames(this.savedSlotNames)} for each weight, got ${listNames(names)}`);
    }
    if (slots.length === 0 && this.slotNames.length > 0 && iterations > 0) {
      throw new Error(`${where}: ${this.describeSelf()} at step ${iterations} needs its ${listNames(this.savedSlotNames)} for each weight, got none`);
    }
    for (const s of slots) {
      if (s.values.length !== params.length) {
        throw new Error(`${where}: slot ${s.name} has ${s.values.length} arrays for the ${params.length} trainable weights`);
      }
      s.values.forEach((a, j) => {
        if (a.length !== params[j].value.data.length) {
          throw new Error(`${where}: slot ${s.name} of trainable weight ${j} has ${a.length} values; the weight has ${params[j].value.shapeString}`);
        }
      });
    }
    // Everything checked: now replace the state.
    this.restoreState(params, state);
  }

  /** Replaces the state with one that copyState gave (or setState checked), unchecked. */
  restoreState(params: readonly Param[], { iterations, slots }: OptimizerState): void {
    this.iterations = iterations;
    this.#slots.clear();
    if (slots.length === 0) return;
    params.forEach((p, j) => {
      this.#slots.set(p, slots.map((s) => {
        if (!this.usesSlot(s.name)) return UNUSED;
        const a = allocFloat32(s.values[j].length);
        a.set(s.values[j]);
        return a;
      }));
    });
  }

  /** The class name with the settings that change its state ("SGD (momentum 0.9)"), for messages. */
  protected describeSelf(): string {
    return this.className;
  }

  /** Keras clips before any update; only one kind can be set. */
  private clipGradients(params: readonly Param[]): void {
    if (this.clipnorm !== undefined) {
      for (const p of params) clipByNorm(p.grad.whole().data, this.clipnorm);
    } else if (this.globalClipnorm !== undefined) {
      clipByGlobalNorm(params, this.globalClipnorm);
    } else if (this.clipvalue !== undefined) {
      for (const p of params) clipByValue(p.grad.whole().data, this.clipvalue);
    }
  }
}

function listNames(names: readonly string[]): string {
  return names.length === 0 ? "no state" : names.map((n) => `"${n}"`).join(", ");
}

function checkRate(who: string, lr: unknown): number {
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`${who} learningRate must be a finite number >= 0, got ${describe(lr)} (or pass a LearningRateSchedule such as ExponentialDecay)`);
  }
  return lr;
}
