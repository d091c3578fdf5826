/**
 * Keras clips probabilities to [ε, 1 − ε], ε = 1e-7, before taking a log.
 * TensorFlow does that in float32, so the bounds are the float32 numbers
 * nearest to them, and purenn uses the same ones:
 *   P_MIN = fround(1e-7)       = 1.0000000116860974e-7
 *   P_MAX = fround(1 − 1e-7)   = 0.9999998807907104      (1 − P_MAX = 2⁻²³ ≈ 1.19e-7)
 * This matters for log(1 − p): binary cross-entropy of p = 1 against t = 0 is
 * −log(2⁻²³) = 15.942385 in Keras and TF.js, not −log(1e-7) = 16.118.
 *
 *   clip(p)  = min(max(p, P_MIN), P_MAX)
 *   clip′(p) = 1 for P_MIN ≤ p ≤ P_MAX, else 0    (TensorFlow's clip_by_value
 *              gradient, both ends included)
 */
import { EPSILON } from "./crossentropy.js";

export const P_MIN = Math.fround(EPSILON);
export const P_MAX = Math.fround(1 - EPSILON);

export function clipProbability(p: number): number {
  return p < P_MIN ? P_MIN : p > P_MAX ? P_MAX : p;
}

/** clip′(p): whether the gradient passes through the clip at p. */
export function insideClip(p: number): boolean {
  return p >= P_MIN && p <= P_MAX;
}
