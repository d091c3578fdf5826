/**
 * Matrix multiplication in the three forms backprop needs.
 *
 * Legend for a Dense layer:  n rows in the batch, din inputs, dout units.
 *   forward      Y  = X · W        X: (n, din)    W: (din, dout)   Y: (n, dout)
 *   input grad   dX = dY · Wᵀ      dY: (n, dout)  W: (din, dout)   dX: (n, din)
 *   weight grad  dW = Xᵀ · dY      X: (n, din)    dY: (n, dout)    dW: (din, dout)
 *
 * Each form writes into a preallocated `out` and returns nothing, computed by
 * the backend in use (backend.ts); `matmulNaive` is the definition, the
 * reference backend's three loops.
 */
import { Matrix } from "./matrix.js";
import { backend } from "./backend.js";
import { matmulLoops } from "./reference.js";

/** out = a · b.   a: (m, k)   b: (k, n)   out: (m, n) */
export function matmul(out: Matrix, a: Matrix, b: Matrix): void {
  checkShapes("matmul(out, a, b) computing a·b", out, a.rows, a.cols, b.rows, b.cols, a, b);
  backend().matmul(out, a, b);
}

/** out = a · bᵀ.   a: (m, k)   b: (n, k)   out: (m, n) */
export function matmulTransB(out: Matrix, a: Matrix, b: Matrix): void {
  checkShapes("matmulTransB(out, a, b) computing a·bᵀ", out, a.rows, a.cols, b.cols, b.rows, a, b);
  backend().matmulTransB(out, a, b);
}

/** out = aᵀ · b.   a: (k, m)   b: (k, n)   out: (m, n) */
export function matmulTransA(out: Matrix, a: Matrix, b: Matrix): void {
  checkShapes("matmulTransA(out, a, b) computing aᵀ·b", out, a.cols, a.rows, b.rows, b.cols, a, b);
  backend().matmulTransA(out, a, b);
}

/**
 * The definition, three plain loops:  out[i][j] = Σ_p A(i, p) · B(p, j),
 * where A = aᵀ when transA and B = bᵀ when transB. Sums in float64, rounds once.
 */
export function matmulNaive(out: Matrix, a: Matrix, b: Matrix, transA = false, transB = false): void {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [kb, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  checkShapes("matmulNaive(out, a, b)", out, m, k, kb, n, a, b);
  matmulLoops(out, a, b, transA, transB);
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
