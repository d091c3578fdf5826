/**
 * Losses on each prediction's own error d = p − t, averaged as Keras does
 * (the mean over the last axis, then over the batch, which for equal rows is
 * the mean over all n·c entries).   p, t: (n, c)
 *
 *   L         = (1/(n·c)) Σ_ij h(d_ij)
 *   backward: ∂L/∂p_ij = h′(d_ij) / (n·c)
 *
 * mse.ts, mae.ts and huber.ts each give h and h′.
 */
import type { Loss } from "./loss.js";

export function pointwiseLoss(name: string, h: (d: number) => number, dh: (d: number) => number): Loss {
  return {
    name,
    forward(p, t) {
      const pd = p.data, td = t.data;
      let total = 0;
      for (let i = 0; i < pd.length; i++) total += h(pd[i] - td[i]);
      return total / pd.length;
    },
    backward(dp, p, t) {
      const pd = p.data, td = t.data, out = dp.data;
      const m = pd.length;
      for (let i = 0; i < m; i++) out[i] = dh(pd[i] - td[i]) / m;
    },
  };
}
