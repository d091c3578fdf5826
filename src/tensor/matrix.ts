/**
 * Matrix: a rows x cols grid of float32 values, stored row-major.
 *
 *   element (i, j) lives at data[i * cols + j]
 *
 * This is the only tensor type in purenn: a batch of samples is a matrix with
 * one sample per row, a Dense kernel is a (din x dout) matrix, a bias is 1 x dout.
 */
import { allocFloat32 } from "./alloc.js";

/** Anything a public method accepts where it wants a matrix. */
export type MatrixLike = Matrix | number[][];

export class Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values, exactly rows * cols long. */
  readonly data: Float32Array;

  /**
   * `new Matrix(rows, cols)` is zero-filled; `new Matrix(rows, cols, data)`
   * wraps `data` (a Float32Array is used as is, without a copy; a number
   * array is copied).
   */
  constructor(rows: number, cols: number, data?: Float32Array | ArrayLike<number>) {
    checkDim("rows", rows);
    checkDim("cols", cols);
    if (data !== undefined && data.length !== rows * cols) {
      throw new Error(
        `Matrix(${rows}, ${cols}) needs ${rows * cols} values (rows * cols), got ${data.length}`,
      );
    }
    this.rows = rows;
    this.cols = cols;
    if (data instanceof Float32Array) {
      this.data = data;
    } else {
      this.data = allocFloat32(rows * cols);
      if (data !== undefined) this.data.set(data);
    }
  }

  /** Builds a matrix from nested arrays; every row must have the same length. */
  static fromArray(values: number[][], name = "Matrix.fromArray"): Matrix {
    if (!Array.isArray(values) || values.length === 0) {
      throw new Error(`${name} expects a non-empty array of rows, got ${describe(values)}`);
    }
    if (!Array.isArray(values[0]) || values[0].length === 0) {
      const got = Array.isArray(values[0]) ? "an empty row" : describe(values[0]);
      throw new Error(`${name} expects an array of rows, each an array of numbers, got ${got} in row 0`);
    }
    const cols = values[0].length;
    const m = new Matrix(values.length, cols);
    for (let i = 0; i < values.length; i++) {
      const row = values[i];
      if (!Array.isArray(row) || row.length !== cols) {
        throw new Error(
          `${name} expects every row to have ${cols} numbers like row 0, ` +
            `got ${Array.isArray(row) ? row.length : describe(row)} in row ${i}`,
        );
      }
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== "number") {
          throw new Error(`${name} expects numbers, got ${describe(v)} at row ${i}, column ${j}`);
        }
        m.data[i * cols + j] = v;
      }
    }
    return m;
  }

  /** Element (i, j). */
  get(i: number, j: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.rows && Number.isInteger(j) && j >= 0 && j < this.cols)) {
      throw new Error(`Matrix.get(${i}, ${j}) is outside a matrix of shape [${this.rows}, ${this.cols}]`);
    }
    return this.data[i * this.cols + j];
  }

  /** Sets element (i, j) to v. */
  set(i: number, j: number, v: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.rows && Number.isInteger(j) && j >= 0 && j < this.cols)) {
      throw new Error(`Matrix.set(${i}, ${j}) is outside a matrix of shape [${this.rows}, ${this.cols}]`);
    }
    this.data[i * this.cols + j] = v;
  }

  /**
   * Rows [start, end) as a new matrix (a copy). Like Array.prototype.slice:
   * `end` defaults to the number of rows and is clamped to it; negative
   * indices count from the end.
   */
  slice(start = 0, end = this.rows): Matrix {
    const from = clampIndex(start, this.rows, "start");
    const to = clampIndex(end, this.rows, "end");
    if (to <= from) {
      throw new Error(`Matrix.slice(${start}, ${end}) selects no rows of a matrix with ${this.rows} rows`);
    }
    const out = new Matrix(to - from, this.cols);
    out.data.set(this.data.subarray(from * this.cols, to * this.cols));
    return out;
  }

  /** The values as nested arrays of numbers. */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    }
    return out;
  }

  /** A copy with its own storage. */
  clone(): Matrix {
    return new Matrix(this.rows, this.cols, Float32Array.from(this.data));
  }

  /** "[rows, cols]", the way error messages print shapes. */
  get shapeString(): string {
    return `[${this.rows}, ${this.cols}]`;
  }
}

/** Accepts a Matrix or nested arrays; `name` says who asked, for errors. */
export function toMatrix(x: MatrixLike, name: string): Matrix {
  if (x instanceof Matrix) return x;
  if (Array.isArray(x)) return Matrix.fromArray(x, name);
  throw new Error(`${name} expects a Matrix or an array of number arrays, got ${describe(x)}`);
}

/**
 * Working buffers with a fixed capacity. A layer asks for a (rows x cols)
 * buffer every batch; the first call allocates, and later calls with the same
 * or a smaller size reuse that storage (a smaller last batch gets a view of
 * the same memory), so training allocates nothing per batch.
 */
export function workspace(current: Matrix | undefined, rows: number, cols: number): Matrix {
  if (current !== undefined && current.rows === rows && current.cols === cols) return current;
  const store = current === undefined ? undefined : capacityOf.get(current);
  if (store !== undefined && store.length >= rows * cols) {
    const view = new Matrix(rows, cols, store.subarray(0, rows * cols));
    capacityOf.set(view, store);
    return view;
  }
  const fresh = new Matrix(rows, cols);
  capacityOf.set(fresh, fresh.data);
  return fresh;
}
const capacityOf = new WeakMap<Matrix, Float32Array>();

function checkDim(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`Matrix ${what} must be a non-negative integer, got ${describe(n)}`);
  }
}

function clampIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i)) throw new Error(`Matrix.slice ${what} must be an integer, got ${describe(i)}`);
  const k = i < 0 ? n + i : i;
  return Math.min(Math.max(k, 0), n);
}

/** A short description of any value, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Matrix) return `a Matrix of shape ${v.shapeString}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as Float32Array).length}`;
  if (typeof v === "function") return "a function";
  return `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
}

/** Rows [start, end) of m as a view: no copy, the same storage. */
export function rowsView(m: Matrix, start: number, end: number): Matrix {
  return new Matrix(end - start, m.cols, m.data.subarray(start * m.cols, end * m.cols));
}
