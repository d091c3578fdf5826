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
import { inHeap } from "./heap.js";
import { transposeInto } from "./ops.js";

/** The loops around the products as SIMD: the wasm backend's module has them (wasm/conv-loops.ts), on every thread. */
export interface ConvLoops {
  copyRows(dst: number, src: number, span: number, rows: number, dstStep: number, srcStep: number): void;
  addRows(dst: number, src: number, span: number, rows: number, dstStep: number, srcStep: number): void;
  maxPool(y: number, at: number, x: number, n: number, h: number, w: number, c: number, kh: number, kw: number,
    sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number): void;
  scatterAdd(dx: number, dy: number, at: number, count: number): void;
  zero(dst: number, count: number): void;
}

/** The SIMD loops when given (the wasm backend) and every array is in the heap, else undefined: the TypeScript loops. */
function loops(simd: ConvLoops | undefined, ...arrays: ArrayBufferView[]): ConvLoops | undefined {
  return simd !== undefined && arrays.every(inHeap) ? simd : undefined;
}

/**
 * The backend's products this file builds on. Two of their operands are mostly
 * zeros: the first convolution's windows of an MNIST image (~80% black), and
 * every dy that comes back through max pooling (one pixel of each window gets
 * a gradient, and a ReLU zeroes more: 9% and 15% non-zero in mnist_convnet).
 * So they go as products that take a mostly-zero operand by its entries in the
 * wasm backend (wasm/sparse.ts), with the dense product's bits.
 */
export interface Products {
  /** z = x·W (+ b): x may be mostly zeros */
  affine(z: Matrix, x: Matrix, W: Matrix, b: Matrix | undefined): void;
  /** out = aᵀ·b: b may be mostly zeros */
  gradientProduct(out: Matrix, a: Matrix, b: Matrix): void;
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
export function conv2dByProduct(be: Products, y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry, simd?: ConvLoops): void {
  const s = scratchFor(g);
  const cols = colsOf(x, g, s, b !== undefined, simd);
  let weights = K;
  if (b !== undefined) {
    weights = s.kernelBias = workspace(s.kernelBias, K.rows + 1, K.cols);
    weights.data.set(K.data);
    weights.data.set(b.data, K.data.length);
  }
  be.affine(pixelRows(y, K.cols), cols, weights, undefined);
}

/** [dK; db] = colsᵀ·dy, with the cols of the forward pass when x is its input */
export function conv2dWeightGradientsByProduct(
  be: Products, dK: Matrix, db: Matrix | undefined, x: Matrix, dy: Matrix, g: WindowGeometry, simd?: ConvLoops,
): void {
  const s = scratchFor(g);
  const ones = db !== undefined;
  const cols = s.cols && s.source === x.data && s.rows === x.rows && s.ones === ones ? s.cols : colsOf(x, g, s, ones, simd);
  if (db === undefined) {
    be.gradientProduct(dK, cols, pixelRows(dy, dK.cols));
    return;
  }
  const both = (s.gradients = workspace(s.gradients, dK.rows + 1, dK.cols));
  be.gradientProduct(both, cols, pixelRows(dy, dK.cols));
  dK.data.set(both.data.subarray(0, dK.data.length));
  db.data.set(both.data.subarray(dK.data.length));
}

/** dcols = dy·Kᵀ, dx = col2im(dcols) */
export function conv2dInputGradientByProduct(be: Products, dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry, simd?: ConvLoops): void {
  const s = scratchFor(g);
  // Kᵀ, so that dy·Kᵀ runs as a plain product (measured faster than the transposed form here)
  const kernelT = (s.kernelT = workspace(s.kernelT, K.cols, K.rows));
  transposeInto(kernelT, K);
  const k = K.rows, f = K.cols;
  const dyRows = pixelRows(dy, f);
  const dcols = (s.dcols = workspace(s.dcols, dyRows.rows, k));
  be.affine(dcols, dyRows, kernelT, undefined);
  col2im(dx.data, dcols.data, dx.rows, g, loops(simd, dx.data, dcols.data));
}

/** x's windows as the rows of the scratch's cols (with the 1s column when `ones`), kept for the backward pass. */
function colsOf(x: Matrix, g: WindowGeometry, s: Scratch, ones: boolean, simd: ConvLoops | undefined): Matrix {
  const k = g.kh * g.kw * g.c + (ones ? 1 : 0);
  const cols = (s.cols = workspace(s.cols, x.rows * g.oh * g.ow, k));
  im2col(cols.data, x.data, x.rows, g, ones, loops(simd, cols.data, x.data));
  s.source = x.data;
  s.rows = x.rows;
  s.ones = ones;
  return cols;
}

/** From this many values a window row is copied with TypedArray.set (measured: 3x faster at 96, slower at 3). */
const COPY_SPAN = 16;

/**
 * The output columns j whose windows lie inside the image across, jLo ≤ j < jHi:
 * their window rows are runs of kw·c consecutive values in x.
 */
function insideColumns(g: WindowGeometry): [number, number] {
  const jLo = Math.min(g.ow, Math.ceil(g.padLeft / g.sw));
  const jHi = Math.max(jLo, Math.min(g.ow, Math.floor((g.w + g.padLeft - g.kw) / g.sw) + 1));
  return [jLo, jHi];
}

/**
 * The windows of x as rows of cols (see the top of this file), each followed by a 1
 * when `ones`; x's n images. Loops over (image, output row i, kernel row p), then
 * the output columns j: the inside ones are one strided copy of window rows
 * (SIMD with `simd`), the ones at the edges go pixel by pixel with zeros for padding.
 */
export function im2col(cols: Float32Array, x: Float32Array, n: number, g: WindowGeometry, ones = false, simd?: ConvLoops): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const span = kw * c, K = kh * span + (ones ? 1 : 0);
  const [jLo, jHi] = insideColumns(g);
  const vector = simd !== undefined;
  for (let s = 0; s < n; s++) {
    const image = s * h * w * c;
    for (let i = 0; i < oh; i++) {
      const row0 = (s * oh + i) * ow;
      for (let p = 0; p < kh; p++) {
        const ih = i * sh + p - padTop, col0 = p * span;
        if (ih < 0 || ih >= h) {
          for (let j = 0; j < ow; j++) cols.fill(0, (row0 + j) * K + col0, (row0 + j) * K + col0 + span);
          continue;
        }
        const line = image + ih * w * c;
        for (let j = 0; j < ow; j++) {
          if (j === jLo && jHi > jLo) {
            const to = (row0 + j) * K + col0, from = line + (j * sw - padLeft) * c, rows = jHi - jLo;
            if (vector) simd.copyRows(cols.byteOffset + 4 * to, x.byteOffset + 4 * from, span, rows, K, sw * c);
            else for (let r = 0; r < rows; r++) copy(cols, to + r * K, x, from + r * sw * c, span);
            j = jHi - 1;
            continue;
          }
          for (let q = 0; q < kw; q++) { // an edge window: pixel by pixel
            const iw = j * sw + q - padLeft, to = (row0 + j) * K + col0 + q * c;
            if (iw < 0 || iw >= w) cols.fill(0, to, to + c);
            else copy(cols, to, x, line + iw * c, c);
          }
        }
      }
      if (ones) for (let j = 0; j < ow; j++) cols[(row0 + j) * K + K - 1] = 1;
    }
  }
}

/** dst[to, to + count) = src[from, from + count) */
function copy(dst: Float32Array, to: number, src: Float32Array, from: number, count: number): void {
  if (count >= COPY_SPAN) dst.set(src.subarray(from, from + count), to);
  else for (let t = 0; t < count; t++) dst[to + t] = src[from + t];
}

/** im2col's adjoint: dx = 0, then every value of dcols added onto the pixel im2col took it from (in im2col's order). */
export function col2im(dx: Float32Array, dcols: Float32Array, n: number, g: WindowGeometry, simd?: ConvLoops): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const span = kw * c, K = kh * span;
  const [jLo, jHi] = insideColumns(g);
  const vector = simd !== undefined;
  if (vector) simd.zero(dx.byteOffset, n * h * w * c);
  else dx.fill(0, 0, n * h * w * c);
  for (let s = 0; s < n; s++) {
    const image = s * h * w * c;
    for (let i = 0; i < oh; i++) {
      const row0 = (s * oh + i) * ow;
      for (let p = 0; p < kh; p++) {
        const ih = i * sh + p - padTop, col0 = p * span;
        if (ih < 0 || ih >= h) continue;
        const line = image + ih * w * c;
        for (let j = 0; j < ow; j++) {
          if (j === jLo && jHi > jLo) {
            const from = (row0 + j) * K + col0, to = line + (j * sw - padLeft) * c, rows = jHi - jLo;
            if (vector) simd.addRows(dx.byteOffset + 4 * to, dcols.byteOffset + 4 * from, span, rows, sw * c, K);
            else for (let r = 0; r < rows; r++) add(dx, to + r * sw * c, dcols, from + r * K, span);
            j = jHi - 1;
            continue;
          }
          for (let q = 0; q < kw; q++) {
            const iw = j * sw + q - padLeft;
            if (iw >= 0 && iw < w) add(dx, line + iw * c, dcols, (row0 + j) * K + col0 + q * c, c);
          }
        }
      }
    }
  }
}

/** dst[to, to + count) += src[from, from + count) */
function add(dst: Float32Array, to: number, src: Float32Array, from: number, count: number): void {
  for (let t = 0; t < count; t++) dst[to + t] += src[from + t];
}

/**
 * Max pooling as the reference defines it (conv-reference.ts: the first
 * maximum of each window in row-major order, and where it was), looping with
 * the channels innermost: each window pixel's c channels are consecutive in x.
 */
export function maxPoolChannelsInner(y: Matrix, at: Int32Array, x: Matrix, g: WindowGeometry, useSimd?: ConvLoops): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const xd = x.data, yd = y.data;
  const simd = c % 4 === 0 ? loops(useSimd, xd, yd, at) : undefined;
  if (simd !== undefined) {
    // The loops below, with maxWindow on each window, in one call (wasm/conv-loops.ts).
    simd.maxPool(yd.byteOffset, at.byteOffset, xd.byteOffset, x.rows, h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow);
    return;
  }
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
export function maxPoolBackwardScatter(dx: Matrix, dy: Matrix, at: Int32Array, useSimd?: ConvLoops): void {
  const dxd = dx.data, dyd = dy.data, count = dyd.length;
  const simd = loops(useSimd, dxd, dyd, at);
  if (simd !== undefined) {
    simd.zero(dxd.byteOffset, dxd.length);
    simd.scatterAdd(dxd.byteOffset, dyd.byteOffset, at.byteOffset, count);
  } else {
    dxd.fill(0);
    for (let o = 0; o < count; o++) dxd[at[o]] += dyd[o];
  }
}
