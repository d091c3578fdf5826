/** The optimizer name table: a name gives a new optimizer with Keras's defaults. */
import { lookupName, type Spelled } from "../tensor/names.js";
import type { Optimizer } from "./optimizer.js";
import { SGD } from "./sgd.js";
import { Adam } from "./adam.js";
import { AdamW } from "./adamw.js";
import { RMSprop } from "./rmsprop.js";
import { Adagrad } from "./adagrad.js";

export { Optimizer, type OptimizerOptions, type OptimizerState, type OptimizerSlot } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, type AdamOptions } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export {
  LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay,
  type ExponentialDecayOptions, type PiecewiseConstantDecayOptions, type CosineDecayOptions,
} from "./schedules.js";

const optimizers = {
  sgd: () => new SGD(),
  adam: () => new Adam(),
  rmsprop: () => new RMSprop(),
  adagrad: () => new Adagrad(),
  adamw: () => new AdamW(),
} satisfies Record<string, () => Optimizer>;

/** An optimizer's name: "sgd", "adam", "rmsprop", "adagrad", "adamw". */
export type OptimizerName = Spelled<keyof typeof optimizers>;
export const OPTIMIZERS: Record<string, () => Optimizer> = optimizers;

/** A name ("sgd", "adam", ...) gives a fresh optimizer with default settings; an instance is used as is. */
export function getOptimizer(nameOrInstance: unknown): Optimizer {
  if (typeof nameOrInstance === "object" && nameOrInstance !== null && "step" in nameOrInstance) {
    return nameOrInstance as Optimizer;
  }
  return lookupName(OPTIMIZERS, nameOrInstance, "optimizer")();
}
