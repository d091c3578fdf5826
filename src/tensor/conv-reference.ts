/**
 * Convolution and pooling, the definitions: plain loops, each under its
 * formula. The reference backend runs these; the fast backends compute the
 * convolutions as products instead (conv-fast.ts) and are tested against them.
 *
 * Legend (channels-last, as Keras; the window's geometry is in conv-geometry.ts):
 *   x:  (n, h·w·c)        a row is one image, x(n, ih, iw, c)
 *   K:  (kh·kw·c, f)      Keras's kernel [kh, kw, c, f] row-major, K(p, q, c, o)
 *   b:  (1, f)
 *   y:  (n, oh·ow·f)      y(n, i, j, o);   dy the same shape, dx like x
 *   the window of output pixel (i, j) reads input pixel
 *       (ih, iw) = (i·sh + p − padTop,  j·sw + q − padLeft)   for p < kh, q < kw
 *   and a pixel outside the image is padding: 0 in a convolution, left out of a pool.
 */
import type { Matrix } from "./matrix.js";
import type { WindowGeometry } from "./conv-geometry.js";

/**
 * Convolution (strictly, cross-correlation, as every framework computes it):
 *   y(n, i, j, o) = b(o) + Σ_{p, q, c} x(n, i·sh + p − padTop, j·sw + q − padLeft, c) · K(p, q, c, o)
 * Sums in float64, rounds once.
 */
export function conv2dLoops(y: Matrix, x: Matrix, K: Matrix, b: Matrix | undefined, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const f = K.cols, xd = x.data, kd = K.data, yd = y.data;
  for (let n = 0; n < x.rows; n++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let o = 0; o < f; o++) {
          let s = b === undefined ? 0 : b.data[o];
          for (let p = 0; p < kh; p++) {
            const ih = i * sh + p - padTop;
            if (ih < 0 || ih >= h) continue; // padding: adds 0
            for (let q = 0; q < kw; q++) {
              const iw = j * sw + q - padLeft;
              if (iw < 0 || iw >= w) continue;
              for (let ch = 0; ch < c; ch++) {
                s += xd[((n * h + ih) * w + iw) * c + ch] * kd[((p * kw + q) * c + ch) * f + o];
              }
            }
          }
          yd[((n * oh + i) * ow + j) * f + o] = s;
        }
      }
    }
  }
}

/**
 * The kernel gradient (TensorFlow's Conv2DBackpropFilter): each weight met
 * every input pixel its window position put under it,
 *   dK(p, q, c, o) = Σ_{n, i, j} x(n, i·sh + p − padTop, j·sw + q − padLeft, c) · dy(n, i, j, o)
 */
export function conv2dKernelGradientLoops(dK: Matrix, x: Matrix, dy: Matrix, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const f = dK.cols, xd = x.data, dyd = dy.data;
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      for (let ch = 0; ch < c; ch++) {
        for (let o = 0; o < f; o++) {
          let s = 0;
          for (let n = 0; n < x.rows; n++) {
            for (let i = 0; i < oh; i++) {
              const ih = i * sh + p - padTop;
              if (ih < 0 || ih >= h) continue;
              for (let j = 0; j < ow; j++) {
                const iw = j * sw + q - padLeft;
                if (iw < 0 || iw >= w) continue;
                s += xd[((n * h + ih) * w + iw) * c + ch] * dyd[((n * oh + i) * ow + j) * f + o];
              }
            }
          }
          dK.data[((p * kw + q) * c + ch) * f + o] = s;
        }
      }
    }
  }
}

/** The bias gradient: each bias met every output pixel of its filter,  db(o) = Σ_{n,i,j} dy(n, i, j, o), summed in float64 */
export function conv2dBiasGradientLoops(db: Matrix, dy: Matrix): void {
  const f = db.cols, pixels = dy.data.length / f;
  for (let o = 0; o < f; o++) {
    let s = 0;
    for (let r = 0; r < pixels; r++) s += dy.data[r * f + o];
    db.data[o] = s;
  }
}

/**
 * The input gradient (TensorFlow's Conv2DBackpropInput): each input pixel
 * collects from every output whose window covered it,
 *   dx(n, ih, iw, c) = Σ_{p, q, o} dy(n, i, j, o) · K(p, q, c, o)
 *     over i = (ih + padTop − p) / sh and j = (iw + padLeft − q) / sw
 *     where those are whole numbers inside the output (0 ≤ i < oh, 0 ≤ j < ow).
 */
export function conv2dInputGradientLoops(dx: Matrix, dy: Matrix, K: Matrix, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const f = K.cols, kd = K.data, dyd = dy.data;
  for (let n = 0; n < dx.rows; n++) {
    for (let ih = 0; ih < h; ih++) {
      for (let iw = 0; iw < w; iw++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let p = 0; p < kh; p++) {
            const ti = ih + padTop - p;
            if (ti < 0 || ti % sh !== 0 || ti / sh >= oh) continue;
            const i = ti / sh;
            for (let q = 0; q < kw; q++) {
              const tj = iw + padLeft - q;
              if (tj < 0 || tj % sw !== 0 || tj / sw >= ow) continue;
              const j = tj / sw;
              for (let o = 0; o < f; o++) s += dyd[((n * oh + i) * ow + j) * f + o] * kd[((p * kw + q) * c + ch) * f + o];
            }
          }
          dx.data[((n * h + ih) * w + iw) * c + ch] = s;
        }
      }
    }
  }
}

/**
 * Max pooling, channel by channel (g.c channels, windows of kh x kw):
 *   y(n, i, j, c) = max over the window's pixels inside the image of x(n, ih, iw, c)
 *   at(n, i, j, c) = the index in x.data of that maximum (the first, on ties,
 *                    in the window's row-major order, as TensorFlow.js)
 * Saved for backward: `at`.
 */
export function maxPoolLoops(y: Matrix, at: Int32Array, x: Matrix, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const xd = x.data;
  for (let n = 0; n < x.rows; n++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -1, max = -Infinity;
          for (let p = 0; p < kh; p++) {
            const ih = i * sh + p - padTop;
            if (ih < 0 || ih >= h) continue;
            for (let q = 0; q < kw; q++) {
              const iw = j * sw + q - padLeft;
              if (iw < 0 || iw >= w) continue;
              const k = ((n * h + ih) * w + iw) * c + ch;
              if (best < 0 || xd[k] > max) {
                best = k;
                max = xd[k];
              }
            }
          }
          const out = ((n * oh + i) * ow + j) * c + ch;
          y.data[out] = max;
          at[out] = best;
        }
      }
    }
  }
}

/** The max's gradient goes to the pixel that was the max:  dx = 0,  dx(at(o)) += dy(o) for every output o. */
export function maxPoolBackwardLoops(dx: Matrix, dy: Matrix, at: Int32Array): void {
  dx.data.fill(0);
  for (let o = 0; o < dy.data.length; o++) dx.data[at[o]] += dy.data[o];
}

/**
 * Average pooling: y(n, i, j, c) = (1 / count) · Σ x(n, ih, iw, c) over the
 * window's pixels inside the image, count of them (padding is left out of the
 * mean, as in Keras and TensorFlow.js). Sums in float64, rounds once.
 */
export function avgPoolLoops(y: Matrix, x: Matrix, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  for (let n = 0; n < x.rows; n++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0, count = 0;
          for (let p = 0; p < kh; p++) {
            const ih = i * sh + p - padTop;
            if (ih < 0 || ih >= h) continue;
            for (let q = 0; q < kw; q++) {
              const iw = j * sw + q - padLeft;
              if (iw < 0 || iw >= w) continue;
              s += x.data[((n * h + ih) * w + iw) * c + ch];
              count++;
            }
          }
          y.data[((n * oh + i) * ow + j) * c + ch] = s / count;
        }
      }
    }
  }
}

/** Each pixel of a window gets its share:  dx = 0,  dx(n, ih, iw, c) += dy(n, i, j, c) / count  over the windows holding it. */
export function avgPoolBackwardLoops(dx: Matrix, dy: Matrix, g: WindowGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow } = g;
  const rows = (i: number) => [Math.max(0, i * sh - padTop), Math.min(h, i * sh - padTop + kh)];
  const cols = (j: number) => [Math.max(0, j * sw - padLeft), Math.min(w, j * sw - padLeft + kw)];
  dx.data.fill(0);
  for (let n = 0; n < dy.rows; n++) {
    for (let i = 0; i < oh; i++) {
      const [h0, h1] = rows(i);
      for (let j = 0; j < ow; j++) {
        const [w0, w1] = cols(j);
        const count = (h1 - h0) * (w1 - w0);
        for (let ch = 0; ch < c; ch++) {
          const share = dy.data[((n * oh + i) * ow + j) * c + ch] / count;
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) dx.data[((n * h + ih) * w + iw) * c + ch] += share;
          }
        }
      }
    }
  }
}
