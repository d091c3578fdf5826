/**
 * Mean absolute error, the mean of |p − t| over the columns, then over the
 * batch (pointwise.ts).   p, t: (n, c),  d = p − t
 *   h(d)  = |d|
 *   h′(d) = sign(d)           0 at d = 0, as TensorFlow (Keras 3); TF.js's abs
 *                             gradient gives −1 there
 */
import { pointwiseLoss } from "./pointwise.js";

export const meanAbsoluteError = pointwiseLoss("mean_absolute_error", Math.abs, Math.sign);
