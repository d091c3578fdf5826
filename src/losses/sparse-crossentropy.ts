/**
 * Sparse categorical cross-entropy: categorical cross-entropy with the target
 * given as a class index instead of a one-hot row, as Keras computes it from
 * probabilities.   p: (n, c)   t: (n, 1), t_i = k_i ∈ {0, …, c − 1}
 *
 *   q_ij = clip(p_ij)         s_i = Σ_j q_ij             (clip.ts: [1e-7, 1 − 1e-7])
 *   ℓ_i  = −log(q_ik / s_i) = log s_i − log q_ik         k = k_i
 *   L    = (1/n) Σ_i ℓ_i
 *
 *   backward:  ∂L/∂p_ij = (1/s_i − [j = k_i] / q_ik) / n   where the clip passes p_ij, else 0
 *
 * Keras 3 (TensorFlow backend) takes log(clip(p)) as logits of a softmax, which
 * is the formula above; TF.js clips, normalises and clips again. They differ only
 * when q_ik / s_i itself leaves [1e-7, 1 − 1e-7]. (categorical_crossentropy
 * normalises first and clips after: crossentropy.ts.)
 *
 * Fused with softmax: when p = softmax(z),
 *
 *   ∂L/∂z_ij = (p_ij − [j = k_i]) / n
 *
 * the one-hot gradient (p − t)/n without building the one-hot row
 * (`softmaxSparseCrossentropyBackward`; the clip is ignored there, as in Keras,
 * which uses the softmax's logits).
 *
 * The kernels read k_i = t.data[i] and trust it: the model checks the labels
 * once, at the door, with `toClassIndices`.
 */
import { Matrix, describe } from "../tensor/matrix.js";
import type { Loss } from "./loss.js";
import { clipProbability, insideClip } from "./clip.js";

export const sparseCategoricalCrossentropy: Loss = {
  name: "sparse_categorical_crossentropy",
  sparse: true,
  fused: { activation: "softmax", backward: softmaxSparseCrossentropyBackward },
  forward(p, t) {
    const { rows: n, cols: c } = p;
    const pd = p.data, td = t.data;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let s = 0;
      for (let j = 0; j < c; j++) s += clipProbability(pd[row + j]);
      total += Math.log(s) - Math.log(clipProbability(pd[row + td[i]]));
    }
    return total / n;
  },
  backward(dp, p, t) {
    const { rows: n, cols: c } = p;
    const pd = p.data, td = t.data, out = dp.data;
    for (let i = 0; i < n; i++) {
      const row = i * c;
      const k = td[i];
      let s = 0;
      for (let j = 0; j < c; j++) s += clipProbability(pd[row + j]);
      for (let j = 0; j < c; j++) {
        const g = j === k ? 1 / s - 1 / clipProbability(pd[row + j]) : 1 / s;
        out[row + j] = insideClip(pd[row + j]) ? g / n : 0;
      }
    }
  },
};

/** The fused softmax + sparse categorical cross-entropy gradient:  dz_ij = (p_ij − [j = k_i]) / n. */
export function softmaxSparseCrossentropyBackward(dz: Matrix, p: Matrix, t: Matrix): void {
  const { rows: n, cols: c } = p;
  const pd = p.data, td = t.data, out = dz.data;
  for (let i = 0; i < pd.length; i++) out[i] = pd[i] / n;
  // The target class: (p − 1)/n, rounded as the one-hot path rounds it.
  for (let i = 0; i < n; i++) out[i * c + td[i]] = (pd[i * c + td[i]] - 1) / n;
}

/**
 * Integer labels as the (n, 1) target Matrix a sparse loss reads, checked
 * once: every label must be an integer in [0, classes). Accepts a typed array
 * (Uint8Array, Int32Array, ...) or number[] of n labels, an (n, 1) Matrix, or
 * [[k₀], [k₁], ...]. Always returns a new Matrix.
 *   who: the calling method, for errors ("fit", "evaluate")
 */
export function toClassIndices(who: string, y: unknown, classes: number): Matrix {
  const expected = `class indices for sparse_categorical_crossentropy (n integer labels, or an [n, 1] Matrix)`;
  let values: ArrayLike<unknown>;
  if (y instanceof Matrix) {
    if (y.cols !== 1) {
      throw new Error(`${who}: y must be ${expected}, got a Matrix of shape ${y.shapeString}; for one-hot rows use loss "categorical_crossentropy"`);
    }
    values = y.data;
  } else if (Array.isArray(y) && y.every((r) => Array.isArray(r))) {
    const bad = (y as unknown[][]).findIndex((r) => r.length !== 1);
    if (bad >= 0) {
      throw new Error(`${who}: y must be ${expected}, got row ${bad} with ${(y as unknown[][])[bad].length} values; for one-hot rows use loss "categorical_crossentropy"`);
    }
    values = (y as unknown[][]).map((r) => r[0]);
  } else if (Array.isArray(y) || (ArrayBuffer.isView(y) && !(y instanceof DataView))) {
    values = y as ArrayLike<unknown>;
  } else {
    throw new Error(`${who}: y must be ${expected}, got ${describe(y)}`);
  }
  if (values.length === 0) throw new Error(`${who}: y is empty`);
  const t = new Matrix(values.length, 1);
  for (let i = 0; i < values.length; i++) {
    const k = values[i];
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k >= classes) {
      throw new Error(
        `${who}: y holds ${describe(k)} at row ${i}; sparse_categorical_crossentropy expects integer class indices ` +
          `0 … ${classes - 1} (the model has ${classes} outputs)`,
      );
    }
    t.data[i] = k;
  }
  return t;
}
