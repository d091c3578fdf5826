/**
 * Convolutions as products ("im2col"), for the fast backends: they compute
 * what conv-reference.ts defines, with the backend's own matmul (packed tiles
 * in the js backend, SIMD in the wasm one, split between threads in both).
 *
 * The trick: lay every window out as one row, and a convolution is one product.
 *   cols:  (n·oh·ow, kh·kw·c)   row (n, i, j) holds the window of output pixel
 *          (i, j) of image n in (p, q, c) order — the order of K's rows — with 0
 *          for padding
 *   y     = cols · K + b        y (n, oh·ow·f) seen as (n·oh·ow, f): the same memory,
 *                               since a row of y is (i, j, o) channels-last
 *   dK    = colsᵀ · dy          (dy seen as (n·oh·ow, f))
 *   dcols = dy · Kᵀ,  then dx = col2im(dcols): each window's values added back
 *                               onto the pixels they came from
 * The whole batch is one product, so the matmul is large (for Keras's
 * mnist_convnet at batch 128: 15488 x 288 by 288 x 64) rather than one small
 * product per image. cols is kept from the forward pass for dK.
 *
 * Sums: the products sum in the backend's order, so results agree with the
 * loops to rounding (as the products themselves do).
 */
import { Matrix, workspace } from "./matrix.js";
import type { WindowGeometry } from "./conv-geometry.js";

/** The backend's operations this file builds on. */
export interface Products {
  affine(z: Matrix, x: Matrix, W: Matrix, b: Matrix | undefined): void;
  matmulTransA(out: Matrix, a: Matrix, b: Matrix): void;
  matmulTransB(out: Matrix, a: Matrix, b: Matrix): void;
}

/** Per convolution (its geometry): cols and dcols, and which input cols was made from. */
interface Scratch {
  cols: Matrix | undefined;
  dcols: Matrix | undefined;
  source: Float32Array | undefined;
  rows: number;
}
const scratches = new WeakMap<WindowGeometry, Scratch>();

function scratchFor(g: WindowGeometry): Scratch {
  let s = scratches.get(g);
  if (s === undefined) scratches.set(g, (s = { cols: undefined, dcols: undefined, source: undefined, rows: 0 }));
  return s;
}

/** A 1x1 window at stride 1 without padding: cols is x itself, seen as (n·h·w, c). */
function isPointwise(g: WindowGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0;
}

/** (n, oh·ow·f) seen as (n·oh·ow, f): no copy. */
function pixelRows(m: Matrix, f: number): Matrix {
  return new Matrix(m.data.length / f, f, m.data);
}

/** The windows of x as rows of cols (see the top of this file); x's n images. */
export function im2col(cols: Float32Array, x: Float32Array, n: number, g: WindowGeometry): void {
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
            for (let t = 0; t < span; t++) cols[r + t] = x[from + t];
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

/** y = cols·K + b */
export function conv2dByProduct(be: Products, y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry): void {
  be.affine(pixelRows(y, K.cols), colsOf(x, g, K.rows), K, b);
}

/** dK = colsᵀ·dy, with the cols of the forward pass when x is its input */
export function conv2dKernelGradientByProduct(be: Products, dK: Matrix, x: Matrix, dy: Matrix, g: WindowGeometry): void {
  const s = scratchFor(g);
  const cols = !isPointwise(g) && s.source === x.data && s.rows === x.rows && s.cols ? s.cols : colsOf(x, g, dK.rows);
  be.matmulTransA(dK, cols, pixelRows(dy, dK.cols));
}

/** dcols = dy·Kᵀ, dx = col2im(dcols) */
export function conv2dInputGradientByProduct(be: Products, dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry): void {
  const dyRows = pixelRows(dy, K.cols);
  if (isPointwise(g)) {
    be.matmulTransB(pixelRows(dx, K.rows), dyRows, K);
    return;
  }
  const s = scratchFor(g);
  const dcols = (s.dcols = workspace(s.dcols, dyRows.rows, K.rows));
  be.matmulTransB(dcols, dyRows, K);
  col2im(dx.data, dcols.data, dx.rows, g);
}

/** x's windows as rows (kept for the backward pass); x itself for a pointwise window. */
function colsOf(x: Matrix, g: WindowGeometry, k: number): Matrix {
  if (isPointwise(g)) return pixelRows(x, k);
  const s = scratchFor(g);
  const cols = (s.cols = workspace(s.cols, x.rows * g.oh * g.ow, k));
  im2col(cols.data, x.data, x.rows, g);
  s.source = x.data;
  s.rows = x.rows;
  return cols;
}
