/**
 * The Loss contract. p: (n, c) predictions, t: (n, c) targets — or, for a
 * `sparse` loss, t: (n, 1), one class index per row.
 *   forward(p, t)       the batch loss L = (1/n) Σ_i ℓ(p_i, t_i)   (Keras's
 *                       "sum over batch size" reduction)
 *   backward(dp, p, t)  dp = ∂L/∂p, so every row carries the 1/n
 *   fused               when p = f(z) for the last activation f named here,
 *                       the chain rule through f collapses to a simple
 *                       ∂L/∂z (softmax + cross-entropy: (p − t)/n); the model
 *                       then skips both f's backward and the loss's.
 */
import type { Matrix } from "../tensor/matrix.js";

export interface Loss {
  /** The Keras name. */
  readonly name: string;
  /** True when t holds one class index per row, (n, 1), instead of a row shaped like p's. */
  readonly sparse?: boolean;
  /** The gradient with respect to the last activation's input, when that activation is `fused.activation`. */
  readonly fused?: FusedGradient;
  forward(p: Matrix, t: Matrix): number;
  backward(dp: Matrix, p: Matrix, t: Matrix): void;
}

export interface FusedGradient {
  /** The activation name ("softmax", "sigmoid") the shortcut applies to. */
  readonly activation: string;
  /** dz = ∂L/∂z where p = activation(z). */
  backward(dz: Matrix, p: Matrix, t: Matrix): void;
}
