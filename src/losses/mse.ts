/**
 * Mean squared error, as Keras computes it: the mean over the columns of each
 * row, then the mean over the batch.   p, t: (n, c)
 *   L          = (1/n) Σ_i (1/c) Σ_j (p_ij − t_ij)²
 *   backward:  ∂L/∂p_ij = 2 (p_ij − t_ij) / (n · c)
 */
import type { Loss } from "./loss.js";

export const meanSquaredError: Loss = {
  name: "mean_squared_error",
  forward(p, t) {
    const pd = p.data, td = t.data;
    let total = 0;
    for (let i = 0; i < pd.length; i++) {
      const d = pd[i] - td[i];
      total += d * d;
    }
    return total / pd.length;
  },
  backward(dp, p, t) {
    const pd = p.data, td = t.data, out = dp.data;
    const scale = 2 / pd.length;
    for (let i = 0; i < pd.length; i++) out[i] = scale * (pd[i] - td[i]);
  },
};
