/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019),
 * Keras's form (keras.optimizers.AdamW): Adam plus a weight decay that acts on
 * the weights directly instead of through the gradient. Each step, with wd the
 * weight decay and lr the current learning rate:
 *
 *   w = w − lr·wd·w            decay first, on every parameter (biases too, as
 *                              Keras does unless told to exclude some)
 *   then Adam's step (adam.ts), from the same gradient g, on the decayed w.
 *
 * The gradient was taken at the undecayed w; Adam's step depends only on g
 * and its moving averages, so decaying before or after it differs by
 * lr·wd·(Adam's step), a second-order amount. PyTorch's AdamW decays the same
 * way (its defaults differ: wd 0.01, ε 1e-8 in Algorithm 1's place). TF.js has
 * no AdamW.
 */
import { nonNegative } from "./checks.js";
import { Adam, type AdamOptions } from "./adam.js";
import type { Param } from "../tensor/parameter.js";

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay wd, a finite number >= 0; default 0.004 (Keras). */
  weightDecay?: number;
}

export class AdamW extends Adam {
  readonly weightDecay: number;

  constructor(options: AdamWOptions = {}) {
    super(options, "AdamW", ["weightDecay"]);
    const { weightDecay = 0.004 } = options;
    this.weightDecay = nonNegative("AdamW", "weightDecay", weightDecay);
  }

  protected override update(p: Param, lr: number): void {
    const w = p.value.data;
    const decay = lr * this.weightDecay;
    for (let i = 0; i < w.length; i++) w[i] -= decay * w[i];
    super.update(p, lr);
  }
}
