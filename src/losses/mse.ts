/**
 * Mean squared error, as Keras computes it: the mean over the columns of each
 * row, then the mean over the batch (pointwise.ts).   p, t: (n, c),  d = p − t
 *   h(d)  = d²
 *   h′(d) = 2d                so ∂L/∂p_ij = 2 (p_ij − t_ij) / (n · c)
 */
import { pointwiseLoss } from "./pointwise.js";

export const meanSquaredError = pointwiseLoss("mean_squared_error", (d) => d * d, (d) => 2 * d);
