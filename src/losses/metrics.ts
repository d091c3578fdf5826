/**
 * Metrics: numbers reported during training that are not optimised.
 * Each returns the mean over the batch; the model weights batch means by
 * batch size over an epoch, so the epoch figure is the mean over all samples.
 * p: (n, c) predictions; t: (n, c) targets, or (n, 1) class indices for the
 * sparse_ metrics (the same targets a sparse loss reads).
 *
 *   binary_accuracy:             mean_ij [ (p_ij > 0.5) = t_ij ]        (strictly greater, as Keras)
 *   categorical_accuracy:        mean_i  [ argmax_j p_ij = argmax_j t_ij ]
 *   sparse_categorical_accuracy: mean_i  [ argmax_j p_ij = k_i ]
 *   top_k_categorical_accuracy:  mean_i  [ k_i is among the k largest p_i ]   k = 5, k_i = argmax t_i
 *   sparse_top_k_…:              the same with k_i = t_i
 *   mse, mae:                    the losses of those names
 * argmax takes the first of equal values. "Among the k largest" is
 * TensorFlow's in_top_k: fewer than k classes score strictly higher than k_i,
 * so ties at the boundary count as in.
 *
 * "accuracy" / "acc" is not one function: `resolveMetric` picks one from the
 * loss and the output width, as Keras's compile does.
 */
import type { Matrix } from "../tensor/matrix.js";
import { argmaxRow } from "../tensor/ops.js";
import { lookupName, type Spelled } from "../tensor/names.js";
import type { Loss } from "./loss.js";
import { binaryCrossentropy } from "./binary-crossentropy.js";
import { meanSquaredError } from "./mse.js";
import { meanAbsoluteError } from "./mae.js";

export type Metric = (p: Matrix, t: Matrix) => number;

const THRESHOLD = 0.5;
const TOP_K = 5;

export const binaryAccuracy: Metric = (p, t) => {
  const pd = p.data, td = t.data;
  let correct = 0;
  for (let i = 0; i < pd.length; i++) if ((pd[i] > THRESHOLD ? 1 : 0) === td[i]) correct++;
  return correct / pd.length;
};

export const categoricalAccuracy: Metric = (p, t) => {
  const { rows: n, cols: c } = p;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (argmaxRow(p.data, i * c, c) === argmaxRow(t.data, i * c, c)) correct++;
  }
  return correct / n;
};

export const sparseCategoricalAccuracy: Metric = (p, t) => {
  const { rows: n, cols: c } = p;
  let correct = 0;
  for (let i = 0; i < n; i++) if (argmaxRow(p.data, i * c, c) === t.data[i]) correct++;
  return correct / n;
};

/** Whether class `cls` of row i is among the TOP_K largest: fewer than TOP_K classes score strictly higher. */
function inTopK(p: Matrix, i: number, cls: number): boolean {
  const c = p.cols, row = i * c, target = p.data[row + cls];
  let higher = 0;
  for (let j = 0; j < c; j++) if (p.data[row + j] > target) higher++;
  return higher < TOP_K;
}

export const topKCategoricalAccuracy: Metric = (p, t) => {
  let correct = 0;
  for (let i = 0; i < p.rows; i++) if (inTopK(p, i, argmaxRow(t.data, i * t.cols, t.cols))) correct++;
  return correct / p.rows;
};

export const sparseTopKCategoricalAccuracy: Metric = (p, t) => {
  let correct = 0;
  for (let i = 0; i < p.rows; i++) if (inTopK(p, i, t.data[i])) correct++;
  return correct / p.rows;
};

const mse: Metric = (p, t) => meanSquaredError.forward(p, t);
const mae: Metric = (p, t) => meanAbsoluteError.forward(p, t);

/**
 * Keras 3's reading of "accuracy" from the shapes alone
 * (keras/src/trainers/compile_utils.py): binary when p has one column, sparse
 * when t has one column and p more, categorical otherwise.
 */
export const accuracy: Metric = (p, t) => {
  if (p.cols === 1) return binaryAccuracy(p, t);
  if (t.cols === 1) return sparseCategoricalAccuracy(p, t);
  return categoricalAccuracy(p, t);
};

/** The metric name table (Keras and TensorFlow.js spellings both accepted). */
const metrics = {
  accuracy,
  acc: accuracy,
  binary_accuracy: binaryAccuracy,
  categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy,
  top_k_categorical_accuracy: topKCategoricalAccuracy,
  sparse_top_k_categorical_accuracy: sparseTopKCategoricalAccuracy,
  mse,
  mean_squared_error: mse,
  mae,
  mean_absolute_error: mae,
} satisfies Record<string, Metric>;

/** A metric name in either spelling, "categorical_accuracy" or "categoricalAccuracy". */
export type MetricName = Spelled<keyof typeof metrics>;
export const METRICS: Record<string, Metric> = metrics;

/** The metrics whose targets are class indices, (n, 1). */
const SPARSE_METRICS = new Set<Metric>([sparseCategoricalAccuracy, sparseTopKCategoricalAccuracy]);
/** What to use instead when a metric's targets do not match the loss's. */
const COUNTERPART = new Map<Metric, string>([
  [categoricalAccuracy, "sparse_categorical_accuracy"],
  [topKCategoricalAccuracy, "sparse_top_k_categorical_accuracy"],
  [sparseCategoricalAccuracy, "categorical_accuracy"],
  [sparseTopKCategoricalAccuracy, "top_k_categorical_accuracy"],
]);

export function getMetric(name: unknown): Metric {
  return lookupName(METRICS, name, "metric");
}

/**
 * The metric that compile() uses for `name`, given the compiled loss and the
 * model's output width (undefined while the model is not built yet).
 * "accuracy" / "acc" (any case) follow Keras's rule (tf.keras, TF.js):
 *   binary_accuracy               when the output has 1 column or the loss is binary_crossentropy
 *   sparse_categorical_accuracy   when the loss is sparse
 *   categorical_accuracy          otherwise
 * (Keras 3 looks at shapes only, so binary_crossentropy on several columns
 * gets categorical accuracy there; with the width unknown, `accuracy` decides
 * from the shapes of each batch as Keras 3 does.)
 * Any other name is looked up in METRICS, and must read the same kind of
 * target as the loss: class indices for a sparse loss, rows like p otherwise.
 */
export function resolveMetric(name: unknown, loss: Loss, outputCols: number | undefined): Metric {
  if (typeof name === "string" && ["accuracy", "acc"].includes(name.toLowerCase())) {
    if (outputCols === 1 || loss === binaryCrossentropy) return binaryAccuracy;
    if (outputCols === undefined) return accuracy;
    return loss.sparse ? sparseCategoricalAccuracy : categoricalAccuracy;
  }
  const metric = getMetric(name);
  const sparseMetric = SPARSE_METRICS.has(metric);
  if (sparseMetric !== Boolean(loss.sparse)) {
    const targets = (sparse: boolean) => (sparse ? "class indices" : "targets shaped like the output");
    const instead = COUNTERPART.get(metric);
    throw new Error(
      `compile: metric "${name}" reads ${targets(sparseMetric)}, but loss "${loss.name}" takes ${targets(Boolean(loss.sparse))}; ` +
        `use ${instead ? `"${instead}" or ` : ""}"accuracy"`,
    );
  }
  return metric;
}
