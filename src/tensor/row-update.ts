/**
 * Plain SGD on a gradient held as its non-zero rows (layers/row-gradient.ts):
 *
 *   W: (din, dout)    G: (count, dout)    cols: count increasing row numbers
 *   W(cols[q], j) −= lr · G(q, j)          for q < count, every column j
 *
 * Every other row of the gradient is 0, and w − lr·0 is w to the bit, so this
 * leaves W exactly as the whole update `w −= lr·g` (elementwise.ts, Loop.Sgd)
 * would, while reading and writing only the rows that change. Under the SIMD
 * backend it is one WebAssembly call (wasm/row-update.ts), and with worker
 * threads it is cut into blocks of columns that the threads claim
 * (thread-protocol.ts): each column's update is the same whoever makes it.
 */
import { sgdStep } from "./reference.js";
import type { SimdModule } from "./wasm/module.js";

/**
 * Below this many weights a row update stays on the calling thread: bound by memory, as an
 * update loop is (elementwise.ts: MIN_UPDATE, measured there), and the tutorial's (~500 rows
 * of 256 at batch 32) was slower split.
 */
const MIN_SPLIT = 1 << 18;

/** Splits a row update between threads (threads.node.ts); false to run it on the caller. */
export interface RowUpdateExecutor {
  runSgdRows(w: Float32Array, g: Float32Array, cols: Int32Array, width: number, lr: number): boolean;
}

let executor: RowUpdateExecutor | undefined;

/** Installs (or removes) the multi-threaded executor. */
export function setRowUpdateExecutor(e: RowUpdateExecutor | undefined): void {
  executor = e;
}

/** W(cols[q], :) −= lr·G(q, :) for every q; W rows and G rows are `width` floats; in WebAssembly when `simd` is given. */
export function sgdRows(w: Float32Array, g: Float32Array, cols: Int32Array, width: number, lr: number, simd?: SimdModule): void {
  if (simd && executor !== undefined && cols.length * width >= MIN_SPLIT && executor.runSgdRows(w, g, cols, width, lr)) return;
  sgdRowsColumns(w, g, cols, width, lr, 0, width, simd);
}

/** The same for columns [j0, j1) only: one thread's share. */
export function sgdRowsColumns(
  w: Float32Array, g: Float32Array, cols: Int32Array, width: number, lr: number, j0: number, j1: number, simd?: SimdModule,
): void {
  if (simd !== undefined) {
    simd.sgdRows(w.byteOffset, g.byteOffset, cols.byteOffset, cols.length, width, j0, j1, lr);
    return;
  }
  const lr32 = Math.fround(lr);
  for (let q = 0; q < cols.length; q++) {
    const wRow = cols[q] * width, gRow = q * width;
    for (let j = j0; j < j1; j++) w[wRow + j] = sgdStep(w[wRow + j], g[gRow + j], lr32);
  }
}
