/**
 * Matrix multiplication in the three forms backprop needs.
 *
 * Legend for a Dense layer:  n rows in the batch, din inputs, dout units.
 *   forward      Y  = X · W        X: (n, din)    W: (din, dout)   Y: (n, dout)
 *   input grad   dX = dY · Wᵀ      dY: (n, dout)  W: (din, dout)   dX: (n, din)
 *   weight grad  dW = Xᵀ · dY      X: (n, din)    dY: (n, dout)    dW: (din, dout)
 *
 * Each form writes into a preallocated `out` and returns nothing. The fast
 * path is `gemm` (gemm.ts), one packed, register-tiled kernel that serves all
 * three forms; `matmulNaive` below is the definition it must agree with.
 */
import { Matrix } from "./matrix.js";
import { gemm } from "./gemm.js";

/** out = a · b.   a: (m, k)   b: (k, n)   out: (m, n) */
export function matmul(out: Matrix, a: Matrix, b: Matrix): void {
  checkShapes("matmul(out, a, b) computing a·b", out, a.rows, a.cols, b.rows, b.cols, a, b);
  gemm(out, a, b, false, false);
}

/** out = a · bᵀ.   a: (m, k)   b: (n, k)   out: (m, n) */
export function matmulTransB(out: Matrix, a: Matrix, b: Matrix): void {
  checkShapes("matmulTransB(out, a, b) computing a·bᵀ", out, a.rows, a.cols, b.cols, b.rows, a, b);
  gemm(out, a, b, false, true);
}

/** out = aᵀ · b.   a: (k, m)   b: (k, n)   out: (m, n) */
export function matmulTransA(out: Matrix, a: Matrix, b: Matrix): void {
  checkShapes("matmulTransA(out, a, b) computing aᵀ·b", out, a.cols, a.rows, b.rows, b.cols, a, b);
  gemm(out, a, b, true, false);
}

/**
 * Products over inputs with all-zero columns (an MNIST batch of 32 digits has
 * pixels that are 0 in every image: about 42% of the 784 columns). When x's
 * columns outside `cols` are all zero, the terms they contribute are exactly 0:
 *
 *   Y  = x·W:   Σ over p ∈ cols only               matmulSelectK(out, x, W, cols)
 *   dW = xᵀ·dY: rows p ∉ cols of dW are 0; rows p ∈ cols, in order,
 *               are computed into out (cols.length x n)   matmulTransASelectRows(out, x, dY, cols)
 */
export function matmulSelectK(out: Matrix, a: Matrix, b: Matrix, cols: Int32Array): void {
  checkShapes("matmulSelectK(out, a, b, cols) computing a·b", out, a.rows, a.cols, b.rows, b.cols, a, b);
  gemm(out, a, b, false, false, { ks: cols });
}

export function matmulTransASelectRows(out: Matrix, a: Matrix, b: Matrix, cols: Int32Array): void {
  checkShapes("matmulTransASelectRows(out, a, b, cols) computing aᵀ·b", out, cols.length, a.rows, b.rows, b.cols, a, b);
  gemm(out, a, b, true, false, { aRows: cols });
}

/**
 * The definition, three plain loops:  out[i][j] = Σ_p A(i, p) · B(p, j),
 * where A = aᵀ when transA and B = bᵀ when transB. Sums in float64, rounds once.
 */
export function matmulNaive(out: Matrix, a: Matrix, b: Matrix, transA = false, transB = false): void {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [kb, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  checkShapes("matmulNaive(out, a, b)", out, m, k, kb, n, a, b);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? a.data[p * a.cols + i] : a.data[i * a.cols + p];
        const bpj = transB ? b.data[j * b.cols + p] : b.data[p * b.cols + j];
        sum += aip * bpj;
      }
      out.data[i * n + j] = sum;
    }
  }
}

/** One check per call, never per element: (m, k)·(kb, n) must give out (m, n). */
function checkShapes(
  what: string, out: Matrix, m: number, k: number, kb: number, n: number, a: Matrix, b: Matrix,
): void {
  if (k !== kb) {
    throw new Error(
      `${what}: inner sizes differ, a is ${a.shapeString} and b is ${b.shapeString} (${k} vs ${kb})`,
    );
  }
  if (out.rows !== m || out.cols !== n) {
    throw new Error(`${what}: out must be [${m}, ${n}], got ${out.shapeString}`);
  }
  if (out.data === a.data || out.data === b.data) {
    throw new Error(`${what}: out must not share storage with a or b`);
  }
}
