/**
 * The "js" backend: the reference's operations (reference.ts), made fast in
 * TypeScript. Each override computes what the reference defines; the trick
 * it uses is named above it.
 *
 *   products        packed, register-tiled gemm (gemm.ts), large ones split
 *                   between worker threads (threads.node.ts)
 *   x·W, xᵀ·dz      terms from all-zero columns of x are skipped (they add exactly
 *                   0), and dW is kept as the rows of the other columns (parameter.ts)
 *   convolutions    as products over the whole batch's windows laid out as rows
 *                   (im2col, conv-fast.ts), so they run on the products above
 *   long loops      the sigmoid and the optimizer updates split between threads
 *                   (elementwise.ts), each element by the reference's formula
 *
 * Sums: gemm adds in float64 within slices of 256 terms, the reference in one
 * float64 sum: results agree to rounding (about 1e-6 relative).
 */
import { ReferenceBackend } from "./reference.js";
import { gemm, type Selection } from "./gemm.js";
import { elementwise, Loop } from "./elementwise.js";
import { sgdRows } from "./row-update.js";
import { nonzeroColumns } from "./ops.js";
import { heapInt32 } from "./heap.js";
import { Matrix, workspace } from "./matrix.js";
import type { Gradient } from "./parameter.js";
import type { SimdModule } from "./wasm/module.js";
import type { WindowGeometry } from "./conv-geometry.js";
import { conv2dByProduct, conv2dWeightGradientsByProduct, conv2dInputGradientByProduct, maxPoolChannelsInner, maxPoolBackwardScatter } from "./conv-fast.js";

/** Below this fraction of non-zero input columns, products skip the zero ones. */
const SPARSE_FRACTION = 0.8;

export class JsBackend extends ReferenceBackend {
  override readonly name: ReferenceBackend["name"] = "js";
  /** Per gradient held as rows: its rows and row numbers, which the Gradient reads until the next backward pass. */
  private readonly rowBuffers = new WeakMap<Gradient, { rows: Matrix | undefined; index: Int32Array }>();
  /** Scratch: the non-zero columns of the input at hand. */
  private columns: Int32Array = new Int32Array(0);

  /** The SIMD module for these arrays (up to four), in the wasm backend (wasm-backend.ts); none here. */
  protected simdFor(_a?: ArrayBufferView, _b?: ArrayBufferView, _c?: ArrayBufferView, _d?: ArrayBufferView): SimdModule | undefined {
    return undefined;
  }

  /** C = A·B on the packed tiles (or, in the wasm backend, the SIMD module). */
  protected product(out: Matrix, a: Matrix, b: Matrix, transA: boolean, transB: boolean, sel?: Selection): void {
    gemm(out, a, b, transA, transB, sel);
  }

  override matmul(out: Matrix, a: Matrix, b: Matrix): void {
    this.product(out, a, b, false, false);
  }

  override matmulTransB(out: Matrix, a: Matrix, b: Matrix): void {
    this.product(out, a, b, false, true);
  }

  override matmulTransA(out: Matrix, a: Matrix, b: Matrix): void {
    this.product(out, a, b, true, false);
  }

  /** out = aᵀ·b, for a b that may be mostly zeros (a convolution's weight gradients): the wasm backend takes b by its entries */
  gradientProduct(out: Matrix, a: Matrix, b: Matrix): void {
    this.matmulTransA(out, a, b);
  }

  /** x's non-zero columns when they are few enough to pay for skipping the others, else undefined. */
  protected sparseColumns(x: Matrix): Int32Array | undefined {
    if (this.columns.length < x.cols) this.columns = heapInt32(x.cols) ?? new Int32Array(x.cols);
    const count = this.countNonzeroColumns(x, this.columns);
    return count < SPARSE_FRACTION * x.cols ? this.columns.subarray(0, count) : undefined;
  }

  protected countNonzeroColumns(x: Matrix, out: Int32Array): number {
    return nonzeroColumns(x, out);
  }

  /** z = x·W + b, the sum over x's non-zero columns only */
  override affine(z: Matrix, x: Matrix, W: Matrix, b: Matrix | undefined): void {
    const ks = this.sparseColumns(x);
    this.product(z, x, W, false, false, ks && { ks });
    if (b !== undefined) this.addBias(z, b);
  }

  protected addBias(z: Matrix, b: Matrix): void {
    const c = z.cols, zd = z.data, bd = b.data;
    for (let i = 0; i < z.rows; i++) for (let j = 0; j < c; j++) zd[i * c + j] += bd[j];
  }

  /** dW = xᵀ·dz: only the rows of x's non-zero columns (the others are 0), kept as rows */
  override weightGradient(dW: Gradient, x: Matrix, dz: Matrix): void {
    const cols = this.sparseColumns(x);
    if (cols === undefined) {
      this.product(dW.wholeForWriting(), x, dz, true, false);
      return;
    }
    const { rows, index } = this.rowsOf(dW, x.cols, cols.length, dz.cols);
    index.set(cols);
    this.product(rows, x, dz, true, false, { aRows: index });
    dW.setRows(rows, index);
  }

  /** dW's buffers for `count` rows of `width` (and their row numbers, of at most `most`), reused batch after batch. */
  protected rowsOf(dW: Gradient, most: number, count: number, width: number): { rows: Matrix; index: Int32Array } {
    const index = this.rowIndex(dW, most);
    const buffers = this.rowBuffers.get(dW)!;
    buffers.rows = workspace(buffers.rows, count, width);
    return { rows: buffers.rows, index: index.subarray(0, count) };
  }

  /** Room for dW's row numbers, at least `most` of them (kept with its rows). */
  protected rowIndex(dW: Gradient, most: number): Int32Array {
    let buffers = this.rowBuffers.get(dW);
    if (buffers === undefined || buffers.index.length < most) {
      this.rowBuffers.set(dW, (buffers = { rows: buffers?.rows, index: heapInt32(most) ?? new Int32Array(most) }));
    }
    return buffers.index;
  }

  /** y = cols·K + b, dK = colsᵀ·dy, dx = col2im(dy·Kᵀ): convolutions as products (conv-fast.ts) */
  // The loops around them as SIMD (wasm/conv-loops.ts) in the wasm backend, where simdFor gives a module.
  override conv2d(y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry): void {
    conv2dByProduct(this, y, x, K, b, g, this.simdFor());
  }

  override conv2dWeightGradients(dK: Matrix, db: Matrix | undefined, x: Matrix, dy: Matrix, g: WindowGeometry): void {
    conv2dWeightGradientsByProduct(this, dK, db, x, dy, g, this.simdFor());
  }

  override conv2dInputGradient(dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry): void {
    conv2dInputGradientByProduct(this, dx, dy, K, g, this.simdFor());
  }

  /** The reference's max pooling with the channels innermost (conv-fast.ts): the same bits */
  override maxPool(y: Matrix, at: Int32Array, x: Matrix, g: WindowGeometry): void {
    maxPoolChannelsInner(y, at, x, g, this.simdFor());
  }

  override maxPoolBackward(dx: Matrix, dy: Matrix, at: Int32Array): void {
    maxPoolBackwardScatter(dx, dy, at, this.simdFor());
  }

  /** y = σ(x), split between threads for long inputs */
  override sigmoid(y: Float32Array, x: Float32Array): void {
    elementwise(Loop.Sigmoid, [y.length === x.length ? y : y.subarray(0, x.length), x], [], this.simdFor(y, x));
  }

  /** w −= lr·g: only the rows a row-form gradient holds (w − lr·0 = w), else every element, split between threads */
  override sgd(w: Matrix, g: Gradient, lr: number): void {
    const form = g.rowForm;
    if (form !== undefined) sgdRows(w.data, form.rows.data, form.index, w.cols, lr, this.simdFor(w.data, form.rows.data, form.index));
    else elementwise(Loop.Sgd, [w.data, g.whole().data], [lr], this.simdFor(w.data, g.whole().data));
  }

  override momentum(w: Matrix, g: Matrix, v: Float32Array, lr: number, m: number, nesterov: boolean): void {
    elementwise(nesterov ? Loop.Nesterov : Loop.Momentum, [w.data, g.data, v], [lr, m], this.simdFor(w.data, g.data, v));
  }
}
