/**
 * Huber loss with Keras's delta δ = 1: squared error near the target, absolute
 * error far from it, joined so that h and h′ are continuous at |d| = δ.
 * Mean over the columns, then over the batch (pointwise.ts).   d = p − t
 *   h(d)  = ½ d²               for |d| ≤ δ
 *           δ·|d| − ½ δ²       for |d| > δ
 *   h′(d) = d                  for |d| ≤ δ
 *           δ · sign(d)        for |d| > δ
 * TF.js has no "huber" model loss; tf.losses.huberLoss(t, p) (delta 1, mean
 * over all entries) computes the same number.
 */
import { pointwiseLoss } from "./pointwise.js";

const DELTA = 1;

export const huber = pointwiseLoss(
  "huber",
  (d) => (Math.abs(d) <= DELTA ? 0.5 * d * d : DELTA * Math.abs(d) - 0.5 * DELTA * DELTA),
  (d) => (Math.abs(d) <= DELTA ? d : DELTA * Math.sign(d)),
);
