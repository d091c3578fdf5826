/**
 * Metrics: numbers reported during training that are not optimised.
 * Each returns the mean over the batch; the model weights batch means by
 * batch size over an epoch, so the epoch figure is the mean over all samples.
 *
 *   accuracy (categorical): the fraction of rows where argmax p = argmax t
 *   mse:                    the mean squared error, as the loss
 */
import type { Matrix } from "../tensor/matrix.js";
import { argmaxRow } from "../tensor/ops.js";
import { lookupName } from "../tensor/names.js";
import { meanSquaredError } from "./mse.js";

export type Metric = (p: Matrix, t: Matrix) => number;

export const categoricalAccuracy: Metric = (p, t) => {
  const { rows: n, cols: c } = p;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (argmaxRow(p.data, i * c, c) === argmaxRow(t.data, i * c, c)) correct++;
  }
  return correct / n;
};

const mse: Metric = (p, t) => meanSquaredError.forward(p, t);

/** The metric name table; "accuracy" here is categorical accuracy, for one-hot targets. */
export const METRICS: Record<string, Metric> = {
  accuracy: categoricalAccuracy,
  acc: categoricalAccuracy,
  categorical_accuracy: categoricalAccuracy,
  mse,
  mean_squared_error: mse,
};

export function getMetric(name: unknown): Metric {
  return lookupName(METRICS, name, "metric");
}
