/** The optimizer name table: a name gives a new optimizer with Keras's defaults. */
import { lookupName } from "../tensor/names.js";
import type { Optimizer } from "./optimizer.js";
import { SGD } from "./sgd.js";

export { Optimizer, type Trainable } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";

export const OPTIMIZERS: Record<string, () => Optimizer> = {
  sgd: () => new SGD(),
};

/** A name ("sgd") gives a fresh optimizer with default settings; an instance is used as is. */
export function getOptimizer(nameOrInstance: unknown): Optimizer {
  if (typeof nameOrInstance === "object" && nameOrInstance !== null && "step" in nameOrInstance) {
    return nameOrInstance as Optimizer;
  }
  return lookupName(OPTIMIZERS, nameOrInstance, "optimizer")();
}
