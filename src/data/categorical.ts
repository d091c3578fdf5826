/**
 * toCategorical: integer class labels to one-hot rows (Keras `to_categorical`).
 *   labels: n integers in [0, numClasses)  →  (n, numClasses) with
 *   out[i][labels[i]] = 1 and 0 elsewhere.
 * numClasses defaults to max(labels) + 1, as in Keras. Browser-safe: no node: imports.
 */
import { Matrix, describe } from "../tensor/matrix.js";

export function toCategorical(labels: ArrayLike<number>, numClasses?: number): Matrix {
  if (labels === null || typeof labels !== "object" || typeof labels.length !== "number") {
    throw new Error(`toCategorical expects an array of integer labels, got ${describe(labels)}`);
  }
  if (numClasses !== undefined && !(Number.isInteger(numClasses) && numClasses > 0)) {
    throw new Error(`toCategorical: numClasses must be a positive integer, got ${describe(numClasses)}`);
  }
  const classes = numClasses ?? inferClasses(labels);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new Error(`toCategorical: label at index ${i} is ${describe(v)}, expected an integer in [0, ${classes})`);
    }
  }
  const out = new Matrix(labels.length, classes);
  for (let i = 0; i < labels.length; i++) out.data[i * classes + labels[i]] = 1;
  return out;
}

/** max(labels) + 1, after checking that every label is a non-negative integer. */
function inferClasses(labels: ArrayLike<number>): number {
  if (labels.length === 0) {
    throw new Error("toCategorical: cannot infer numClasses from 0 labels; pass numClasses");
  }
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`toCategorical: label at index ${i} is ${describe(v)}, expected a non-negative integer`);
    }
    if (v > max) max = v;
  }
  return max + 1;
}
