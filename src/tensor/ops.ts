/**
 * Element-wise and row-wise helpers. Each writes into `out` and returns nothing
 * (argmax and rowOrder return what they make). A batch's gather may be split
 * between threads (setGatherExecutor, threads.node.ts), with the same values.
 *
 * Legend: x, y, out are (n, c) matrices, one sample per row; b is (1, c).
 */
import { Matrix, type MatrixLike, toMatrix, describe } from "./matrix.js";
import { allocInt32 } from "./alloc.js";
import { inHeap, wholeHeap } from "./heap.js";

/**
 * Index of the largest value along an axis (the first one on ties).
 *   axis 1: one index per row, the predicted class of each sample;
 *   axis 0: one index per column.
 */
export function argmax(m: MatrixLike, axis: 0 | 1 = 1): Int32Array {
  const x = toMatrix(m, "argmax");
  if (axis !== 0 && axis !== 1) throw new Error(`argmax axis must be 0 or 1, got ${describe(axis)}`);
  const { rows, cols, data } = x;
  if (axis === 1) {
    const out = new Int32Array(rows);
    for (let i = 0; i < rows; i++) out[i] = argmaxRow(data, i * cols, cols);
    return out;
  }
  const out = new Int32Array(cols);
  for (let j = 0; j < cols; j++) {
    let best = 0;
    for (let i = 1; i < rows; i++) if (data[i * cols + j] > data[best * cols + j]) best = i;
    out[j] = best;
  }
  return out;
}

/** Index (0-based, relative to `start`) of the largest of data[start .. start+len). */
export function argmaxRow(data: Float32Array, start: number, len: number): number {
  let best = 0;
  let max = data[start];
  for (let j = 1; j < len; j++) {
    if (data[start + j] > max) {
      max = data[start + j];
      best = j;
    }
  }
  return best;
}

/** The row numbers 0 … n − 1, in the heap where there is one: threads can then gather the rows it lists (gatherRows). */
export function rowOrder(n: number): Int32Array {
  const order = allocInt32(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** Splits a gather between threads (threads.node.ts); false to run it on the caller. */
export interface GatherExecutor {
  runGather(out: Float32Array, src: Float32Array, index: Int32Array, from: number, rows: number, width: number): boolean;
}

let gatherExecutor: GatherExecutor | undefined;

/** Installs (or removes) the multi-threaded executor. */
export function setGatherExecutor(e: GatherExecutor | undefined): void {
  gatherExecutor = e;
}

/**
 * Below this many floats a gather stays on the calling thread. A batch's rows come from all over
 * a training set of 188 MB, so each row is a wait on memory. Copied one at a time (copyWithin a
 * row), two threads waiting side by side paid: 256 rows 106–148 µs split on 2 threads against
 * 197–220 on one. The wasm backend's gather keeps several rows in flight on one thread
 * (wasm/gather.ts), and splitting it no longer pays at a batch's size: µs a gather of MNIST rows,
 * every batch of an epoch, three rounds (a throwaway script, one process, the split policy off):
 *   rows            64        128        256
 *   one thread      43–50     80–86      174–189
 *   two threads     63–120    97–114     125–202
 * So from 2¹⁸ floats: 335 MNIST rows.
 */
export const MIN_SPLIT_FLOATS = 1 << 18;

/** Whether two views share no byte (heap arrays are views of one buffer). */
export function apart(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.byteOffset + a.byteLength <= b.byteOffset || b.byteOffset + b.byteLength <= a.byteOffset;
}

/** The gather split between threads, when it is large enough and the pool takes it; false to run it on this thread. */
export function splitGather(out: Matrix, src: Matrix, index: Int32Array, from: number): boolean {
  const c = src.cols;
  return gatherExecutor !== undefined && out.rows * c >= MIN_SPLIT_FLOATS && gatherExecutor.runGather(out.data, src.data, index, from, out.rows, c);
}

/** Copies the rows of `src` listed in `index[from .. from+n)` into `out` (n rows): the same values on any number of threads. */
export function gatherRows(out: Matrix, src: Matrix, index: Int32Array, from: number): void {
  const c = src.cols;
  if (splitGather(out, src, index, from)) return;
  // Both in the heap: each row copied within one view of it, no view made per row. A full epoch's
  // gathers at batch 32, one thread, MNIST's x and y: 85–95 and 17–25 ms as subarray + set, 76–85
  // and 11–15 this way. A row number outside src takes the view's way (it copies nothing, or
  // counts from the end), as it always has.
  const heap = inHeap(out.data) && inHeap(src.data) ? wholeHeap()!.f32 : undefined;
  const to = out.data.byteOffset / 4, at = src.data.byteOffset / 4;
  for (let r = 0; r < out.rows; r++) {
    const row = index[from + r], s = row * c;
    if (heap !== undefined && row >= 0 && row < src.rows) heap.copyWithin(to + r * c, at + s, at + s + c);
    else out.data.set(src.data.subarray(s, s + c), r * c);
  }
}

/** The first row and column where `m` holds NaN or ±Infinity, or null when all are finite. */
export function findNonFinite(m: Matrix): [number, number] | null {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) return [Math.floor(i / m.cols), i % m.cols];
  }
  return null;
}

/**
 * The columns of x that hold a non-zero value in some row, in increasing order,
 * written to out; returns how many. (The products skip the others: they add
 * nothing.) The wasm backend has a SIMD pass for it (wasm/columns.ts): same list.
 */
export function nonzeroColumns(x: Matrix, out: Int32Array): number {
  const { rows: n, cols: c, data } = x;
  let count = 0;
  for (let j = 0; j < c; j++) {
    for (let i = 0; i < n; i++) {
      if (data[i * c + j] !== 0) {
        out[count++] = j;
        break;
      }
    }
  }
  return count;
}

/**
 * out[cols[r]] = rows[r] for each r, and 0 in every other row: rows computed
 * for some rows of out only. `cols` is increasing (as nonzeroColumns writes
 * it), so each row of out is written once: the gaps are zeroed as we pass them.
 */
export function scatterRows(out: Matrix, rows: Matrix, cols: Int32Array): void {
  for (let r = 1; r < cols.length; r++) {
    if (cols[r] <= cols[r - 1]) throw new Error(`scatterRows: cols must be increasing, got ${cols[r - 1]} then ${cols[r]}`);
  }
  const c = out.cols, o = out.data;
  let next = 0; // the first row of out not yet written
  for (let r = 0; r < cols.length; r++) {
    const at = cols[r];
    o.fill(0, next * c, at * c);
    o.set(rows.data.subarray(r * c, (r + 1) * c), at * c);
    next = at + 1;
  }
  o.fill(0, next * c);
}

/** out = xᵀ: out(j, i) = x(i, j), out of shape x.cols x x.rows. */
export function transposeInto(out: Matrix, x: Matrix): void {
  const r = x.rows, c = x.cols, xd = x.data, od = out.data;
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) od[j * r + i] = xd[i * c + j];
}

/** max_j x[row + j]: subtracting it before exp changes nothing mathematically and keeps exp from overflowing. */
export function rowMax(x: Float32Array, row: number, c: number): number {
  let max = -Infinity;
  for (let j = 0; j < c; j++) if (x[row + j] > max) max = x[row + j];
  return max;
}

/**
 * softmax over each of n rows of c values: y_j = exp(x_j − m) / Σ_k exp(x_k − m), m = max_k x_k
 * (layers/activations.ts: softmax). The rows start at index `from` of both arrays (a block of the
 * heap, dense-stack.ts, without a view made for it). y may be x: each row's max is found before the
 * row is written.
 */
export function softmaxRows(y: Float32Array, x: Float32Array, n: number, c: number, from = 0): void {
  for (let i = 0; i < n; i++) {
    const row = from + i * c;
    const max = rowMax(x, row, c);
    let sum = 0;
    for (let j = 0; j < c; j++) {
      const e = Math.exp(x[row + j] - max);
      y[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < c; j++) y[row + j] /= sum;
  }
}
