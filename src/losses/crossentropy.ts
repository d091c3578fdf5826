/**
 * Categorical cross-entropy, as Keras and TensorFlow.js compute it from
 * probabilities.  p, t: (n, c); t is one-hot (or any distribution).
 *
 *   q_ij = clip(p_ij / s_i, ε, 1 − ε)        s_i = Σ_j p_ij,  ε = 1e-7
 *   L    = −(1/n) Σ_i Σ_j t_ij · log q_ij
 *
 *   backward (general):  with g_ij = −t_ij / q_ij where q is inside the clip
 *                        range (0 where the clip is active),
 *                        ∂L/∂p_ik = (1/n) · (g_ik / s_i − Σ_j g_ij · p_ij / s_i²)
 *
 * Fused with softmax (the usual last layer): when p = softmax(z) and Σ_j t_ij = 1,
 * the chain rule through softmax collapses to
 *
 *   ∂L/∂z = (p − t) / n
 *
 * which `softmaxCrossEntropyBackward` computes directly, skipping both the
 * loss's and the softmax's backward. (The clip is ignored there, as in Keras
 * on logits; it only matters for probabilities below 1e-7.)
 */
import type { Matrix } from "../tensor/matrix.js";
import type { Loss } from "./loss.js";

export const EPSILON = 1e-7;

export const categoricalCrossentropy: Loss = {
  name: "categorical_crossentropy",
  fused: { activation: "softmax", backward: softmaxCrossEntropyBackward },
  forward(p, t) {
    const { rows: n, cols: c } = p;
    const pd = p.data, td = t.data;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let s = 0;
      for (let j = 0; j < c; j++) s += pd[row + j];
      for (let j = 0; j < c; j++) {
        if (td[row + j] === 0) continue;
        const q = Math.min(Math.max(pd[row + j] / s, EPSILON), 1 - EPSILON);
        total -= td[row + j] * Math.log(q);
      }
    }
    return total / n;
  },
  backward(dp, p, t) {
    const { rows: n, cols: c } = p;
    const pd = p.data, td = t.data, out = dp.data;
    for (let i = 0; i < n; i++) {
      const row = i * c;
      let s = 0;
      for (let j = 0; j < c; j++) s += pd[row + j];
      // g_j / s into out, and Σ_j g_j · p_j accumulated alongside.
      let gp = 0;
      for (let j = 0; j < c; j++) {
        const q = pd[row + j] / s;
        const g = q > EPSILON && q < 1 - EPSILON ? -td[row + j] / q : 0;
        out[row + j] = g;
        gp += g * pd[row + j];
      }
      for (let j = 0; j < c; j++) out[row + j] = (out[row + j] / s - gp / (s * s)) / n;
    }
  },
};

/** The fused softmax + categorical cross-entropy gradient:  dz = (p − t) / n. */
export function softmaxCrossEntropyBackward(dz: Matrix, p: Matrix, t: Matrix): void {
  const n = p.rows;
  const pd = p.data, td = t.data, out = dz.data;
  for (let i = 0; i < pd.length; i++) out[i] = (pd[i] - td[i]) / n;
}
