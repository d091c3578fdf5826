/**
 * The Loss contract. p: (n, c) predictions, t: (n, c) targets.
 *   forward(p, t)       the batch loss L = (1/n) Σ_i ℓ(p_i, t_i)   (Keras's
 *                       "sum over batch size" reduction)
 *   backward(dp, p, t)  dp = ∂L/∂p, so every row carries the 1/n
 */
import type { Matrix } from "../tensor/matrix.js";

export interface Loss {
  /** The Keras name. */
  readonly name: string;
  forward(p: Matrix, t: Matrix): number;
  backward(dp: Matrix, p: Matrix, t: Matrix): void;
}
