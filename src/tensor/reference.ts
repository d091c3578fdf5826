/**
 * The reference backend: every operation as plain loops under its formula.
 * These are the definitions; the fast backends (js-backend.ts,
 * wasm-backend.ts) are tested against them. Read this file to see what a
 * training step computes, with nothing in the way.
 *
 * Legend: n rows in the batch (one sample a row), din inputs, dout units.
 *   x: (n, din)   W: (din, dout)   b: (1, dout)   z, y, dz, dy: (n, dout)
 * Convolutions and pooling have their loops, and their legend, in conv-reference.ts.
 */
import { UINT32_RANGE } from "./random.js";
import type { Backend } from "./backend.js";
import type { Matrix } from "./matrix.js";
import type { Gradient } from "./parameter.js";
import type { WindowGeometry } from "./conv-geometry.js";
import * as conv from "./conv-reference.js";

/** σ(x) = 1 / (1 + e^(−x)), the logistic sigmoid. */
export function sigmoidOf(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * One plain SGD step on one weight, w − lr·g, in float32 arithmetic as
 * TensorFlow.js's sgd (w + (−lr)·g on float32 tensors) and Keras (lr cast to
 * the variable's float32) compute it: lr32 is lr rounded to float32, lr32·g is
 * rounded to float32, and the difference of two float32 values, computed in
 * float64, rounds correctly when stored.
 */
export function sgdStep(w: number, g: number, lr32: number): number {
  return w - Math.fround(lr32 * g);
}

/**
 * C = A·B, the definition, three loops:  C(i, j) = Σ_p A(i, p) · B(p, j)
 * with A = aᵀ when transA and B = bᵀ when transB. Sums in float64, rounds once.
 */
export function matmulLoops(out: Matrix, a: Matrix, b: Matrix, transA: boolean, transB: boolean): void {
  const m = out.rows, n = out.cols, k = transA ? a.rows : a.cols;
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

export class ReferenceBackend implements Backend {
  readonly name: Backend["name"] = "reference";

  matmul(out: Matrix, a: Matrix, b: Matrix): void {
    matmulLoops(out, a, b, false, false);
  }

  matmulTransB(out: Matrix, a: Matrix, b: Matrix): void {
    matmulLoops(out, a, b, false, true);
  }

  matmulTransA(out: Matrix, a: Matrix, b: Matrix): void {
    matmulLoops(out, a, b, true, false);
  }

  /** z = x·W + b:   z(i, j) = Σ_p x(i, p)·W(p, j) + b(j)      (the sum in float64, rounded once) */
  affine(z: Matrix, x: Matrix, W: Matrix, b: Matrix | undefined): void {
    const din = x.cols, dout = W.cols;
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < dout; j++) {
        let s = 0;
        for (let p = 0; p < din; p++) s += x.data[i * din + p] * W.data[p * dout + j];
        z.data[i * dout + j] = s + (b === undefined ? 0 : b.data[j]);
      }
    }
  }

  /** dW = xᵀ·dz, held whole */
  weightGradient(dW: Gradient, x: Matrix, dz: Matrix): void {
    this.matmulTransA(dW.wholeForWriting(), x, dz);
  }

  /** out(0, j) = Σ_i x(i, j), summed in float64 */
  columnSums(out: Matrix, x: Matrix): void {
    for (let j = 0; j < x.cols; j++) {
      let s = 0;
      for (let i = 0; i < x.rows; i++) s += x.data[i * x.cols + j];
      out.data[j] = s;
    }
  }

  // Convolutions and pooling: the loops under their formulas are in conv-reference.ts.
  conv2d(y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry): void {
    conv.conv2dLoops(y, x, K, b, g);
  }

  conv2dWeightGradients(dK: Matrix, db: Matrix | undefined, x: Matrix, dy: Matrix, g: WindowGeometry): void {
    conv.conv2dKernelGradientLoops(dK, x, dy, g);
    if (db !== undefined) conv.conv2dBiasGradientLoops(db, dy);
  }

  conv2dInputGradient(dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry): void {
    conv.conv2dInputGradientLoops(dx, dy, K, g);
  }

  maxPool(y: Matrix, at: Int32Array, x: Matrix, g: WindowGeometry): void {
    conv.maxPoolLoops(y, at, x, g);
  }

  maxPoolBackward(dx: Matrix, dy: Matrix, at: Int32Array): void {
    conv.maxPoolBackwardLoops(dx, dy, at);
  }

  avgPool(y: Matrix, x: Matrix, g: WindowGeometry): void {
    conv.avgPoolLoops(y, x, g);
  }

  avgPoolBackward(dx: Matrix, dy: Matrix, g: WindowGeometry): void {
    conv.avgPoolBackwardLoops(dx, dy, g);
  }

  /** y = σ(x) = 1 / (1 + exp(−x)) */
  sigmoid(y: Float32Array, x: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] = sigmoidOf(x[i]);
  }

  /** dx = dy · σ′ = dy · y · (1 − y), from the saved output y */
  sigmoidBackward(dx: Float32Array, dy: Float32Array, y: Float32Array): void {
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
  }

  /** y = max(0, x) */
  relu(y: Float32Array, x: Float32Array): void {
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
  }

  /** dx = dy where y > 0, else 0 (at x = 0 the slope is 0, as in TensorFlow) */
  reluBackward(dx: Float32Array, dy: Float32Array, y: Float32Array): void {
    for (let i = 0; i < dy.length; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
  }

  /** mask = draws ≥ rate · 2³² ? scale : 0 (u = draw / 2³² ≥ rate, exactly), y = x · mask */
  dropout(y: Float32Array, mask: Float32Array, x: Float32Array, draws: Uint32Array, rate: number, scale: number): void {
    const least = rate * UINT32_RANGE;
    for (let i = 0; i < x.length; i++) {
      mask[i] = draws[i] >= least ? scale : 0;
      y[i] = x[i] * mask[i];
    }
  }

  /** w −= lr·g, in float32 arithmetic (sgdStep) */
  sgd(w: Matrix, g: Gradient, lr: number): void {
    const wd = w.data, gd = g.whole().data, lr32 = Math.fround(lr);
    for (let i = 0; i < wd.length; i++) wd[i] = sgdStep(wd[i], gd[i], lr32);
  }

  /** v = m·v − lr·g;  w += v   (nesterov: w += m·v − lr·g), Keras's convention */
  momentum(w: Matrix, g: Matrix, v: Float32Array, lr: number, m: number, nesterov: boolean): void {
    const wd = w.data, gd = g.data;
    for (let i = 0; i < wd.length; i++) {
      v[i] = m * v[i] - lr * gd[i];
      wd[i] += nesterov ? m * v[i] - lr * gd[i] : v[i];
    }
  }

  /** true when no value is NaN, +Infinity or −Infinity */
  allFinite(a: Float32Array): boolean {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
    return true;
  }
}
