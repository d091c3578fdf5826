/**
 * Gradient clipping, Keras's three kinds (keras.optimizers.Optimizer options
 * clipnorm, clipvalue and global_clipnorm). Each works in place on the
 * gradients: fit recomputes every gradient on the next batch, so nothing is
 * lost and nothing is allocated. Norms are L2 norms, summed in float64.
 *
 *   clipnorm c, per parameter:   g = g · c / max(‖g‖, c)
 *   clipvalue v, per element:    g = min(max(g, −v), v)
 *   globalClipnorm c, all together, with N = √(Σ_params ‖g‖²):
 *                                g = g · c / max(N, c)      (every g, one factor)
 *
 * A gradient whose norm is already ≤ c is left exactly as it is. Keras
 * computes g·c/max(‖g‖, c) anyway, which can differ from g in the last bit.
 */
import type { Param } from "../tensor/parameter.js";

/** Σ g², in float64. */
function sumOfSquares(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

function scale(g: Float32Array, factor: number): void {
  for (let i = 0; i < g.length; i++) g[i] *= factor;
}

/** g = g · c / max(‖g‖, c). */
export function clipByNorm(g: Float32Array, c: number): void {
  const norm = Math.sqrt(sumOfSquares(g));
  if (norm > c) scale(g, c / norm);
}

/** g = min(max(g, −v), v), element-wise. */
export function clipByValue(g: Float32Array, v: number): void {
  for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i], -v), v);
}

/**
 * Every gradient times c / max(N, c), N the norm of all gradients together.
 * As in Keras, a non-finite N (an inf or NaN anywhere) makes every gradient
 * NaN rather than scaling some and not others; fit then stops on the loss.
 */
export function clipByGlobalNorm(params: readonly Param[], c: number): void {
  let squares = 0;
  for (const p of params) squares += sumOfSquares(p.grad.whole().data);
  const norm = Math.sqrt(squares);
  if (!Number.isFinite(norm)) {
    for (const p of params) p.grad.whole().data.fill(NaN);
  } else if (norm > c) {
    for (const p of params) scale(p.grad.whole().data, c / norm);
  }
}
