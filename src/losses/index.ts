/** The loss name table (Keras and TensorFlow.js spellings both accepted). */
import { lookupName } from "../tensor/names.js";
import type { Loss } from "./loss.js";
import { categoricalCrossentropy } from "./crossentropy.js";
import { meanSquaredError } from "./mse.js";

export type { Loss } from "./loss.js";
export { categoricalCrossentropy, softmaxCrossEntropyBackward } from "./crossentropy.js";
export { meanSquaredError } from "./mse.js";
export { getMetric, METRICS, type Metric } from "./metrics.js";

export const LOSSES: Record<string, Loss> = {
  categorical_crossentropy: categoricalCrossentropy,
  mean_squared_error: meanSquaredError,
  mse: meanSquaredError,
};

export function getLoss(name: unknown): Loss {
  return lookupName(LOSSES, name, "loss");
}
