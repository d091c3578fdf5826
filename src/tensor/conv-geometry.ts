/**
 * The geometry of a 2-D window sliding over an image: a convolution's kernel
 * or a pooling window. Images are channels-last, as in Keras: one row of a
 * Matrix is one image, its values in (h, w, c) order,
 *
 *   x(n, ih, iw, c) lives at data[n·(h·w·c) + (ih·w + iw)·c + c]
 *
 * A window of kh x kw at stride (sh, sw) starts output pixel (oh, ow) at input
 * pixel (oh·sh − padTop, ow·sw − padLeft); input pixels outside the image are
 * padding (zeros for a convolution, left out for pooling).
 *
 * Keras's (TensorFlow's) two paddings:
 *   "valid"  no padding:  out = ⌊(in − k) / s⌋ + 1      (= ⌈(in − k + 1) / s⌉)
 *   "same"   out = ⌈in / s⌉, padded by  total = max((out − 1)·s + k − in, 0),
 *            ⌊total / 2⌋ before and the rest after (the odd one goes after)
 */
export type Padding = "valid" | "same";

export interface WindowGeometry {
  /** Input image: height, width, channels. */
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** Window height and width. */
  readonly kh: number;
  readonly kw: number;
  /** Strides down and across. */
  readonly sh: number;
  readonly sw: number;
  /** Padding before the first row and the first column. */
  readonly padTop: number;
  readonly padLeft: number;
  /** Output height and width. */
  readonly oh: number;
  readonly ow: number;
}

/** One axis: the output length and the padding before it. */
function axis(length: number, k: number, s: number, padding: Padding): { out: number; before: number } {
  if (padding === "valid") return { out: Math.floor((length - k) / s) + 1, before: 0 };
  const out = Math.ceil(length / s);
  const total = Math.max((out - 1) * s + k - length, 0);
  return { out, before: Math.floor(total / 2) };
}

/**
 * The geometry of a window [kh, kw] at strides [sh, sw] over an image [h, w, c].
 * The caller has checked every number is a positive integer and that, for
 * "valid", the window fits (kh ≤ h, kw ≤ w).
 */
export function windowGeometry(
  image: readonly number[], kernel: readonly [number, number], strides: readonly [number, number], padding: Padding,
): WindowGeometry {
  const [h, w, c] = image;
  const [kh, kw] = kernel;
  const [sh, sw] = strides;
  const rows = axis(h, kh, sh, padding), cols = axis(w, kw, sw, padding);
  return { h, w, c, kh, kw, sh, sw, padTop: rows.before, padLeft: cols.before, oh: rows.out, ow: cols.out };
}
