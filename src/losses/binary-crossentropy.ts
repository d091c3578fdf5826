/**
 * Binary cross-entropy, as Keras computes it from probabilities: each of the
 * c outputs is its own yes/no probability.   p, t: (n, c), t in [0, 1]
 *
 *   q_ij = clip(p_ij)                                    (clip.ts: [1e-7, 1 − 1e-7])
 *   ℓ_i  = −(1/c) Σ_j [t_ij · log q_ij + (1 − t_ij) · log(1 − q_ij)]
 *   L    = (1/n) Σ_i ℓ_i
 *
 *   backward:  ∂L/∂p_ij = (q_ij − t_ij) / (q_ij · (1 − q_ij)) / (n·c)
 *              where the clip passes p_ij, else 0
 *
 * Fused with sigmoid (the usual last layer): when p = σ(z), σ′ = p(1 − p)
 * cancels the denominator and
 *
 *   ∂L/∂z = (p − t) / (n·c)
 *
 * which `sigmoidBinaryCrossentropyBackward` computes directly. This is what
 * Keras 3 trains with (it keeps the sigmoid's logits and uses them, unclipped);
 * TF.js backpropagates through the clipped probabilities instead. The two agree
 * while p stays inside the clip range; once a sigmoid saturates (p = 1 in
 * float32) TF.js's gradient is 0 and Keras 3's is still p − t.
 */
import type { Matrix } from "../tensor/matrix.js";
import type { Loss } from "./loss.js";
import { clipProbability, insideClip } from "./clip.js";

export const binaryCrossentropy: Loss = {
  name: "binary_crossentropy",
  fused: { activation: "sigmoid", backward: sigmoidBinaryCrossentropyBackward },
  forward(p, t) {
    const pd = p.data, td = t.data;
    let total = 0;
    for (let i = 0; i < pd.length; i++) {
      const q = clipProbability(pd[i]);
      total -= td[i] * Math.log(q) + (1 - td[i]) * Math.log(1 - q);
    }
    return total / pd.length;
  },
  backward(dp, p, t) {
    const pd = p.data, td = t.data, out = dp.data;
    const m = pd.length;
    for (let i = 0; i < m; i++) {
      const q = clipProbability(pd[i]);
      out[i] = insideClip(pd[i]) ? (q - td[i]) / (q * (1 - q)) / m : 0;
    }
  },
};

/** The fused sigmoid + binary cross-entropy gradient:  dz = (p − t) / (n·c). */
export function sigmoidBinaryCrossentropyBackward(dz: Matrix, p: Matrix, t: Matrix): void {
  const pd = p.data, td = t.data, out = dz.data;
  const m = pd.length;
  for (let i = 0; i < m; i++) out[i] = (pd[i] - td[i]) / m;
}
