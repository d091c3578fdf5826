/**
 * Checks at the door. Every public entry point of Sequential validates its
 * arguments here, before any work and before any weight changes; each error
 * names the call, the value it got and what it expected.
 */
import { Matrix, type MatrixLike, toMatrix, describe } from "../tensor/matrix.js";
import { findNonFinite } from "../tensor/ops.js";
import { backend } from "../tensor/backend.js";

/** A positive integer option, e.g. batchSize. */
export function checkPositiveInt(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${who}: ${name} must be a positive integer, got ${describe(v)}`);
  }
  return v;
}

/** A non-negative integer option, e.g. epochs. */
export function checkNonNegativeInt(who: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new Error(`${who}: ${name} must be a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

/** verbose is 0 (silent), 1 (progress bar) or 2 (one line per epoch). */
export function checkVerbose(who: string, v: unknown): 0 | 1 | 2 {
  if (v !== 0 && v !== 1 && v !== 2) throw new Error(`${who}: verbose must be 0, 1 or 2, got ${describe(v)}`);
  return v;
}

export function checkBoolean(who: string, name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new Error(`${who}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** A data argument: a non-empty Matrix (or nested arrays) of finite numbers. */
export function checkData(who: string, name: string, value: MatrixLike): Matrix {
  const m = toMatrix(value, `${who} ${name}`);
  if (m.rows === 0 || m.cols === 0) throw new Error(`${who}: ${name} is empty, shape ${m.shapeString}`);
  // One fast pass over the values (tensor/finite.ts); only when it fails, the plain loop finds the first bad one to name it.
  const bad = backend().allFinite(m.data) ? null : findNonFinite(m);
  if (bad) {
    const [i, j] = bad;
    throw new Error(
      `${who}: ${name} holds ${m.data[i * m.cols + j]} at row ${i}, column ${j}; ` +
        `expected finite numbers (check for missing values or a division by zero)`,
    );
  }
  return m;
}

/**
 * Targets as a Matrix: a Matrix or nested arrays as they are (checkData); a
 * flat list of n numbers (number[], Uint8Array, Int32Array, …) as one column,
 * n x 1, as Keras reads a 1-D y.
 */
export function checkTargets(who: string, y: MatrixLike | ArrayLike<number>): Matrix {
  const flat = ArrayBuffer.isView(y) || (Array.isArray(y) && y.length > 0 && !Array.isArray(y[0]));
  if (!flat) return checkData(who, "y", y as MatrixLike);
  const values = y as ArrayLike<unknown>;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== "number") throw new Error(`${who}: y holds ${describe(values[i])} at row ${i}; expected numbers`);
  }
  return checkData(who, "y", new Matrix(values.length, 1, Float32Array.from(values as ArrayLike<number>)));
}

/**
 * y has one column where the model has `classes` outputs, and every value is
 * an integer 0 … classes − 1: class numbers where one-hot rows were expected.
 */
export function holdsClassNumbers(y: Matrix, classes: number): boolean {
  if (y.cols !== 1 || classes < 2) return false;
  for (const k of y.data) if (!(Number.isInteger(k) && k >= 0 && k < classes)) return false;
  return true;
}

/** x and y must have one row per sample, the same number of them. */
export function checkSameRows(who: string, x: Matrix, y: Matrix): void {
  if (x.rows !== y.rows) {
    throw new Error(
      `${who}: x and y must have the same number of rows (samples), got x ${x.shapeString} and y ${y.shapeString}`,
    );
  }
}
