/**
 * Convolutions as products ("im2col"), for the fast backends: they compute
 * what conv-reference.ts defines, with the backend's own matmul (packed tiles
 * in the js backend, SIMD in the wasm one, split between threads in both).
 *
 * The trick: lay every window out as one row, and a convolution is one product.
 *   cols:  (n·oh·ow, kh·kw·c + 1)   row (n, i, j) holds the window of output
 *          pixel (i, j) of image n in (p, q, c) order — the order of K's rows —
 *          with 0 for padding, then a 1 (for the bias; no 1 without a bias)
 *   Kb = [K; b]                     K with b as one more row
 *   y     = cols · Kb = cols·K + b  y (n, oh·ow·f) seen as (n·oh·ow, f): the same
 *                                   memory, since a row of y is (i, j, o) channels-last
 *   [dK; db] = colsᵀ · dy           (dy seen as (n·oh·ow, f)): the 1s column sums dy into db
 *   dcols = dy · Kᵀ,  then dx = col2im(dcols): each window's values added back
 *                                   onto the pixels they came from
 * The whole batch is one product, so the matmul is large (for Keras's
 * mnist_convnet at batch 128: 15488 x 289 by 289 x 64) rather than one small
 * product per image, and the bias costs no pass of its own. cols is kept from
 * the forward pass for the weight gradients.
 *
 * Sums: the products sum in the backend's order, so results agree with the
 * loops to rounding (as the products themselves do).
 */
import { Matrix, workspace } from "./matrix.js";
import type { WindowGeometry } from "./conv-geometry.js";

/** The backend's products this file builds on. */
export interface Products {
  matmul(out: Matrix, a: Matrix, b: Matrix): void;
  matmulTransA(out: Matrix, a: Matrix, b: Matrix): void;
}

/** Per convolution (its geometry): the buffers, and which input (with or without the 1s) cols holds. */
interface Scratch {
  cols: Matrix | undefined;
  kernelBias: Matrix | undefined;
  gradients: Matrix | undefined;
  kernelT: Matrix | undefined;
  dcols: Matrix | undefined;
  source: Float32Array | undefined;
  rows: number;
  ones: boolean;
}
const scratches = new WeakMap<WindowGeometry, Scratch>();

function scratchFor(g: WindowGeometry): Scratch {
  let s = scratches.get(g);
  if (s === undefined) {
    s = { cols: undefined, kernelBias: undefined, gradients: undefined, kernelT: undefined, dcols: undefined, source: undefined, rows: 0, ones: false };
    scratches.set(g, s);
  }
  return s;
}

/** (n, oh·ow·f) seen as (n·oh·ow, f): no copy. */
function pixelRows(m: Matrix, f: number): Matrix {
  return new Matrix(m.data.length / f, f, m.data);
}

/** y = cols·[K; b] */
export function conv2dByProduct(be: Products, y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry): void {
  const s = scratchFor(g);
  const cols = colsOf(x, g, s, b !== undefined);
  let weights = K;
  if (b !== undefined) {
    weights = s.kernelBias = workspace(s.kernelBias, K.rows + 1, K.cols);
    weights.data.set(K.data);
    weights.data.set(b.data, K.data.length);
  }
  be.matmul(pixelRows(y, K.cols), cols, weights);
}

/** [dK; db] = colsᵀ·dy, with the cols of the forward pass when x is its input */
export function conv2dWeightGradientsByProduct(
  be: Products, dK: Matrix, db: Matrix | undefined, x: Matrix, dy: Matrix, g: WindowGeometry,
): void {
  const s = scratchFor(g);
  const ones = db !== undefined;
  const cols = s.cols && s.source === x.data && s.rows === x.rows && s.ones === ones ? s.cols : colsOf(x, g, s, ones);
  if (db === undefined) {
    be.matmulTransA(dK, cols, pixelRows(dy, dK.cols));
    return;
  }
  const both = (s.gradients = workspace(s.gradients, dK.rows + 1, dK.cols));
  be.matmulTransA(both, cols, pixelRows(dy, dK.cols));
  dK.data.set(both.data.subarray(0, dK.data.length));
  db.data.set(both.data.subarray(dK.data.length));
}

/** dcols = dy·Kᵀ, dx = col2im(dcols) */
export function conv2dInputGradientByProduct(be: Products, dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry): void {
  const s = scratchFor(g);
  // Kᵀ, so that dy·Kᵀ runs as a plain product (measured faster than the transposed form here)
  const kernelT = (s.kernelT = workspace(s.kernelT, K.cols, K.rows));
  const k = K.rows, f = K.cols, kd = K.data, td = kernelT.data;
  for (let p = 0; p < k; p++) for (let o = 0; o < f; o++) td[o * k + p] = kd[p * f + o];
  const dyRows = pixelRows(dy, f);
  const dcols = (s.dcols = workspace(s.dcols, dyRows.rows, k));
  be.matmul(dcols, dyRows, kernelT);
  col2im(dx.data, dcols.data, dx.rows, g);
}

/** x's windows as the rows of the scratch's cols (with the 1s column when `ones`), kept for the backward pass. */
function colsOf(x: Matrix, g: WindowGeometry, s: Scratch, ones: boolean): Matrix {
  const k = g.kh * g.kw * g.c + (ones ? 1 : 0);
  const cols = (s.cols = workspace(s.cols, x.rows * g.oh * g.ow, k));
  im2col(cols.data, x.data, x.rows, g, ones);
  s.source = x.data;
  s.rows = x.rows;
  s.ones = ones;
  return cols;
}

/** From this many values a window row is copied with TypedArray.set (measured: 3x faster at 96, slower at 3). */
const COPY_SPAN = 16;

/** The windows of x as rows of cols (see the top of this file), each followed by a 1 when `ones`; x's n images. */
export function im2col(cols: Float32Array, x: Float32Array, n: number, g: WindowGeometry, ones = false): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const span = kw * c; // one row of a window: kw pixels of c channels, consecutive in x when inside the image
  let r = 0;
  for (let s = 0; s < n; s++) {
    const image = s * h * w * c;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const iw0 = j * sw - padLeft;
        const inside = iw0 >= 0 && iw0 + kw <= w;
        for (let p = 0; p < kh; p++) {
          const ih = i * sh + p - padTop;
          if (ih < 0 || ih >= h) {
            cols.fill(0, r, r + span);
            r += span;
          } else if (inside) {
            const from = image + (ih * w + iw0) * c;
            if (span >= COPY_SPAN) cols.set(x.subarray(from, from + span), r); // a block copy beats the loop for long rows
            else for (let t = 0; t < span; t++) cols[r + t] = x[from + t];
            r += span;
          } else {
            for (let q = 0; q < kw; q++, r += c) {
              const iw = iw0 + q;
              const from = image + (ih * w + iw) * c;
              if (iw < 0 || iw >= w) for (let t = 0; t < c; t++) cols[r + t] = 0;
              else for (let t = 0; t < c; t++) cols[r + t] = x[from + t];
            }
          }
        }
        if (ones) cols[r++] = 1;
      }
    }
  }
}

/** im2col's adjoint: dx = 0, then every value of dcols added onto the pixel im2col took it from. */
export function col2im(dx: Float32Array, dcols: Float32Array, n: number, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const span = kw * c;
  dx.fill(0, 0, n * h * w * c);
  let r = 0;
  for (let s = 0; s < n; s++) {
    const image = s * h * w * c;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const iw0 = j * sw - padLeft;
        const inside = iw0 >= 0 && iw0 + kw <= w;
        for (let p = 0; p < kh; p++) {
          const ih = i * sh + p - padTop;
          if (ih < 0 || ih >= h) {
            r += span;
          } else if (inside) {
            const to = image + (ih * w + iw0) * c;
            for (let t = 0; t < span; t++) dx[to + t] += dcols[r + t];
            r += span;
          } else {
            for (let q = 0; q < kw; q++, r += c) {
              const iw = iw0 + q;
              if (iw < 0 || iw >= w) continue;
              const to = image + (ih * w + iw) * c;
              for (let t = 0; t < c; t++) dx[to + t] += dcols[r + t];
            }
          }
        }
      }
    }
  }
}

/**
 * Max pooling as the reference defines it (conv-reference.ts: the first
 * maximum of each window in row-major order, and where it was), looping with
 * the channels innermost: each window pixel's c channels are consecutive in x.
 */
export function maxPoolChannelsInner(y: Matrix, at: Int32Array, x: Matrix, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const xd = x.data, yd = y.data;
  let o = 0;
  for (let s = 0; s < x.rows; s++) {
    const image = s * h * w * c;
    for (let i = 0; i < oh; i++) {
      const h0 = Math.max(0, i * sh - padTop), h1 = Math.min(h, i * sh - padTop + kh);
      for (let j = 0; j < ow; j++, o += c) {
        const w0 = Math.max(0, j * sw - padLeft), w1 = Math.min(w, j * sw - padLeft + kw);
        const first = image + (h0 * w + w0) * c;
        for (let ch = 0; ch < c; ch++) {
          yd[o + ch] = xd[first + ch];
          at[o + ch] = first + ch;
        }
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = ih === h0 ? w0 + 1 : w0; iw < w1; iw++) {
            const k = image + (ih * w + iw) * c;
            for (let ch = 0; ch < c; ch++) {
              if (xd[k + ch] > yd[o + ch]) {
                yd[o + ch] = xd[k + ch];
                at[o + ch] = k + ch;
              }
            }
          }
        }
      }
    }
  }
}

/** The max's gradient to where it was (conv-reference.ts), with the arrays in locals:  dx = 0,  dx(at(o)) += dy(o) */
export function maxPoolBackwardScatter(dx: Matrix, dy: Matrix, at: Int32Array): void {
  const dxd = dx.data, dyd = dy.data, count = dyd.length;
  dxd.fill(0);
  for (let o = 0; o < count; o++) dxd[at[o]] += dyd[o];
}
