/**
 * Callbacks: code that runs at fixed points of `fit`, as Keras's
 * `keras.callbacks.Callback`. The order of calls in one fit:
 *
 *   onTrainBegin
 *     onEpochBegin(e)
 *       onBatchBegin(b), onBatchEnd(b, logs)     for each batch
 *     onEpochEnd(e, logs)                         logs: loss, metrics, val_…
 *   onTrainEnd
 *
 * A callback may set `model.stopTraining = true`; fit then ends after the
 * current batch. Plain objects with any of these methods (TensorFlow.js style)
 * work too; a method that returns a promise is awaited.
 */
import type { Sequential } from "./sequential.js";
import { describe } from "../tensor/matrix.js";
import { inCallback } from "./fit-guard.js";

export type Logs = Record<string, number>;

/** The hooks a callback may implement; every one is optional. */
export interface CallbackHooks {
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** Base class for callbacks: `this.model` is the model being trained. */
export class Callback {
  model!: Sequential;

  setModel(model: Sequential): void {
    this.model = model;
  }
}

const HOOKS = ["onTrainBegin", "onTrainEnd", "onEpochBegin", "onEpochEnd", "onBatchBegin", "onBatchEnd"] as const;

/** All of a fit's callbacks, called in the order given. */
export class CallbackList {
  private readonly list: CallbackHooks[];

  constructor(private readonly model: Sequential, callbacks: unknown) {
    if (callbacks === undefined) callbacks = [];
    const given = Array.isArray(callbacks) ? callbacks : [callbacks];
    given.forEach((c, i) => {
      const ok = typeof c === "object" && c !== null && HOOKS.some((h) => typeof (c as Record<string, unknown>)[h] === "function");
      if (!ok) {
        throw new Error(
          `fit: callbacks[${i}] must be a Callback or an object with any of ${HOOKS.join(", ")}, got ${describe(c)}`,
        );
      }
    });
    this.list = given as CallbackHooks[];
    for (const c of this.list) if (c instanceof Callback) c.setModel(model);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  async call(hook: "onTrainBegin" | "onTrainEnd", logs: Logs): Promise<void>;
  async call(hook: "onEpochBegin" | "onEpochEnd" | "onBatchBegin" | "onBatchEnd", index: number, logs: Logs): Promise<void>;
  async call(hook: (typeof HOOKS)[number], a: number | Logs, b?: Logs): Promise<void> {
    // While a callback runs, it may call model.predict and model.evaluate (fit-guard.ts).
    await inCallback(this.model, async () => {
      for (const c of this.list) {
        const fn = c[hook] as ((x: unknown, y?: unknown) => unknown) | undefined;
        if (!fn) continue;
        const result = b === undefined ? fn.call(c, a) : fn.call(c, a, b);
        if (result instanceof Promise) await result;
      }
    });
  }
}

/** Stops training when the batch loss turns NaN or infinite (Keras TerminateOnNaN). */
export class TerminateOnNaN extends Callback {
  onBatchEnd(batch: number, logs: Logs): void {
    if (!Number.isFinite(logs.loss)) {
      console.log(`Batch ${batch}: invalid loss ${logs.loss}, terminating training`);
      this.model.stopTraining = true;
    }
  }
}

/**
 * Sets the learning rate at the start of each epoch from `schedule(epoch, lr)`
 * (Keras LearningRateScheduler; epochs count from 0).
 */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: (epoch: number, learningRate: number) => number, private readonly verbose = 0) {
    super();
    if (typeof schedule !== "function") {
      throw new Error(`LearningRateScheduler expects a function (epoch, learningRate) => number, got ${describe(schedule)}`);
    }
  }

  onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, getLearningRate(this.model, "LearningRateScheduler"));
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`LearningRateScheduler: the schedule returned ${describe(lr)} for epoch ${epoch}; expected a number >= 0`);
    }
    setLearningRate(this.model, lr);
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }
}

/** The compiled optimizer's learning rate; a callback cannot change a rate that follows a schedule. */
export function getLearningRate(model: Sequential, who: string): number {
  const opt = model.optimizer as { learningRate?: unknown; learningRateSchedule?: unknown } | undefined;
  if (!opt || typeof opt.learningRate !== "number") {
    throw new Error(`${who} needs an optimizer whose learningRate is a number, got ${describe(opt?.learningRate)}`);
  }
  if (opt.learningRateSchedule) {
    throw new Error(`${who} cannot change a learning rate that follows a schedule (${describe(opt.learningRateSchedule)}); give the optimizer a number`);
  }
  return opt.learningRate;
}

export function setLearningRate(model: Sequential, lr: number): void {
  (model.optimizer as unknown as { learningRate: number }).learningRate = lr;
}
