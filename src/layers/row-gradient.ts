/**
 * A kernel whose gradient may be held as a few of its rows.
 *
 *   x: (n, din)   W: (din, dout)   dW = xᵀ·dz: (din, dout)
 *   dW's row p is Σ_i x(i, p) · dz(i, :), which is exactly 0 when column p of
 *   the batch is all zeros (an MNIST batch of 32 leaves ~42% of its pixels
 *   black in every image). So Dense computes only the rows of the other
 *   columns, `rows` (count x dout), with their row numbers in `cols`:
 *
 *     dW(cols[q], :) = rows(q, :)        every other row of dW is 0
 *
 * `grad` is still the whole dW for whoever asks (gradient clipping, Adam,
 * tests): it is written out, zeros and all, the first time it is read after
 * a backward pass. An update that leaves a weight with zero gradient exactly
 * as it is — plain SGD, w − lr·0 = w — asks `rowGradient()` instead and
 * touches only those rows (optim/sgd.ts), which skips writing out dW at all.
 * So read `grad` again after each backward pass: a Matrix kept from an earlier
 * read holds the earlier gradient, and changes made to it reach no update.
 */
import { Matrix } from "../tensor/matrix.js";
import { scatterRows } from "../tensor/ops.js";
import { heapInt32 } from "../tensor/heap.js";
import type { Param } from "./layer.js";

/** dW as its non-zero rows: dW(cols[q], :) = rows(q, :); all other rows 0. */
export interface RowGradient {
  readonly rows: Matrix;
  readonly cols: Int32Array;
}

export class RowGradientParam implements Param {
  readonly name = "kernel";
  private readonly dense: Matrix;
  /** Set by setRows and cleared once `dense` holds the same gradient. */
  private pending: RowGradient | undefined;
  /** setRows's copy of the row numbers (the layer reuses its own list on the next batch). */
  private readonly cols: Int32Array;

  constructor(readonly value: Matrix) {
    this.dense = new Matrix(value.rows, value.cols);
    this.cols = heapInt32(value.rows) ?? new Int32Array(value.rows); // in the heap, where worker threads read it
  }

  /** The whole gradient (written out from the rows first, if they are newer). */
  get grad(): Matrix {
    if (this.pending !== undefined) {
      scatterRows(this.dense, this.pending.rows, this.pending.cols);
      this.pending = undefined;
    }
    return this.dense;
  }

  /**
   * The gradient is these rows (cols increasing, one per row of `rows`). `rows` is read
   * later, not copied: the caller leaves it alone until its next setRows or denseForWriting.
   */
  setRows(rows: Matrix, cols: Int32Array): void {
    const din = this.value.rows;
    if (rows.rows !== cols.length || rows.cols !== this.value.cols) {
      throw new Error(`RowGradientParam.setRows: expected [${cols.length}, ${this.value.cols}] rows for ${cols.length} row numbers, got ${rows.shapeString}`);
    }
    // The row updates write W(cols[q], :) unchecked (row-update.ts): each number must be a row of W.
    for (let q = 0; q < cols.length; q++) {
      if (!(cols[q] >= 0 && cols[q] < din && (q === 0 || cols[q] > cols[q - 1]))) {
        throw new Error(`RowGradientParam.setRows: row numbers must increase within [0, ${din}), got ${q === 0 ? "" : `${cols[q - 1]} then `}${cols[q]} at position ${q}`);
      }
    }
    this.cols.set(cols);
    this.pending = { rows, cols: this.cols.subarray(0, cols.length) };
  }

  /** The gradient is about to be written whole, into the returned matrix. */
  denseForWriting(): Matrix {
    this.pending = undefined;
    return this.dense;
  }

  /** The gradient as rows, while nobody has asked for (and maybe changed) the whole of it since setRows. */
  rowGradient(): RowGradient | undefined {
    return this.pending;
  }
}
