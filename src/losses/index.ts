/**
 * The loss name table (Keras and TensorFlow.js spellings both accepted, plus
 * Keras 3's short aliases "mse", "mae" and "bce").
 */
import { lookupName, type Spelled } from "../tensor/names.js";
import type { Loss } from "./loss.js";
import { categoricalCrossentropy } from "./crossentropy.js";
import { sparseCategoricalCrossentropy } from "./sparse-crossentropy.js";
import { binaryCrossentropy } from "./binary-crossentropy.js";
import { meanSquaredError } from "./mse.js";
import { meanAbsoluteError } from "./mae.js";
import { huber } from "./huber.js";

export type { Loss, FusedGradient } from "./loss.js";
export { categoricalCrossentropy, softmaxCrossEntropyBackward } from "./crossentropy.js";
export { sparseCategoricalCrossentropy, softmaxSparseCrossentropyBackward, toClassIndices } from "./sparse-crossentropy.js";
export { binaryCrossentropy, sigmoidBinaryCrossentropyBackward } from "./binary-crossentropy.js";
export { meanSquaredError } from "./mse.js";
export { meanAbsoluteError } from "./mae.js";
export { huber } from "./huber.js";
export {
  getMetric, resolveMetric, METRICS, type Metric, type MetricName,
  binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy,
} from "./metrics.js";

const losses = {
  categorical_crossentropy: categoricalCrossentropy,
  mean_squared_error: meanSquaredError,
  mse: meanSquaredError,
  sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
  binary_crossentropy: binaryCrossentropy,
  bce: binaryCrossentropy,
  mean_absolute_error: meanAbsoluteError,
  mae: meanAbsoluteError,
  huber,
} satisfies Record<string, Loss>;

/** A loss name in either spelling, "categorical_crossentropy" or "categoricalCrossentropy". */
export type LossName = Spelled<keyof typeof losses>;
export const LOSSES: Record<string, Loss> = losses;

export function getLoss(name: unknown): Loss {
  return lookupName(LOSSES, name, "loss");
}
