/**
 * A weight of a layer, and the gradient of the loss with respect to it.
 *
 *   value: W, a Matrix (Keras's layout: a Dense kernel is din x dout, a bias 1 x dout)
 *   grad:  ∂loss/∂W, the same shape, filled by the layer's backward pass
 *
 * One type for every weight: trainable ones (kernel, bias, gamma, beta), which
 * the optimizer moves against their gradient, and the others (BatchNormalization's
 * moving mean and variance), which forward updates and no gradient touches.
 */
import { Matrix } from "./matrix.js";
import { scatterRows } from "./ops.js";

export class Param {
  readonly grad: Gradient;

  constructor(
    /** Keras's name: "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance". */
    readonly name: string,
    readonly value: Matrix,
    /** Whether the optimizer trains it. */
    readonly trainable = true,
    /** Keras's shape of the weight where it is not the Matrix's: a Conv2D kernel's [kh, kw, c, filters]. */
    readonly shape?: readonly number[],
  ) {
    this.grad = new Gradient(value.rows, value.cols);
  }
}

/** dW held as its non-zero rows: dW(index[q], :) = rows(q, :), and every other row is 0. */
export interface RowForm {
  readonly rows: Matrix;
  readonly index: Int32Array;
}

/**
 * ∂loss/∂W, held in one of two forms, and always saying which:
 *
 *   whole   the gradient is `whole`, a Matrix shaped like W
 *   rows    the gradient is zero outside the rows `rowForm.index`, which hold
 *           `rowForm.rows` (a Dense layer whose input has all-zero columns:
 *           row p of xᵀ·dz is exactly 0 when column p of x is; an MNIST batch
 *           leaves ~42% of the pixels black in every image)
 *
 * A backward pass writes one form (setRows, or the matrix that wholeForWriting
 * returns); an optimizer that can use the rows asks for rowForm; everything
 * else reads whole(), which writes the rows out into the whole matrix first.
 */
export class Gradient {
  private readonly storage: Matrix;
  private rowsForm: RowForm | undefined;

  constructor(rows: number, cols: number) {
    this.storage = new Matrix(rows, cols);
  }

  /** The gradient as rows, or undefined when it is held whole. */
  get rowForm(): RowForm | undefined {
    return this.rowsForm;
  }

  /** The whole gradient (the rows, if that is the form, are written out into it first, once). */
  whole(): Matrix {
    if (this.rowsForm !== undefined) {
      scatterRows(this.storage, this.rowsForm.rows, this.rowsForm.index);
      this.rowsForm = undefined;
    }
    return this.storage;
  }

  /** The matrix to write the whole gradient into: from now on, that is the form. */
  wholeForWriting(): Matrix {
    this.rowsForm = undefined;
    return this.storage;
  }

  /**
   * From now on the gradient is these rows: index increasing, one per row of
   * `rows`. Both are read later, not copied: their owner leaves them alone
   * until the next backward pass.
   */
  setRows(rows: Matrix, index: Int32Array): void {
    const { rows: din, cols: dout } = this.storage;
    if (rows.rows !== index.length || rows.cols !== dout) {
      throw new Error(`Gradient.setRows: expected [${index.length}, ${dout}] rows for ${index.length} row numbers, got ${rows.shapeString}`);
    }
    // Updates write W(index[q], :) without checks (row-update.ts): each number must be a row of W.
    for (let q = 0; q < index.length; q++) {
      if (!(index[q] >= 0 && index[q] < din && (q === 0 || index[q] > index[q - 1]))) {
        throw new Error(`Gradient.setRows: row numbers must increase within [0, ${din}), got ${q === 0 ? "" : `${index[q - 1]} then `}${index[q]} at position ${q}`);
      }
    }
    this.rowsForm = { rows, index };
  }
}
