/**
 * RMSprop (Hinton, 2012), Keras's form (keras.optimizers.RMSprop). With g the
 * gradient, lr the learning rate, ρ the decay, μ the momentum, and v (mean
 * square), a (mean gradient, centered only) and b (momentum) starting at 0:
 *
 *   v = ρ·v + (1 − ρ)·g²
 *   plain:     d = v + ε
 *   centered:  a = ρ·a + (1 − ρ)·g;   d = v − a² + ε       (v − a² estimates the variance)
 *   step = lr·g / √d
 *   momentum = 0:   w = w − step
 *   momentum > 0:   b = μ·b + step;   w = w − b
 *
 * ε sits inside the square root. TensorFlow.js (tf.train.rmsprop) follows the
 * same rule (its "decay" is ρ) except in the centered form, where it takes
 * d = v − (a² + ε): ε subtracted, so where a gradient has stayed 0 it gives
 * √(−ε) = NaN. PyTorch puts ε outside the root: step = lr·g / (√d + ε).
 *
 * State per parameter (slots, in TF.js's order and names): "rms" (v),
 * "momentum" (b), and "mg" (a) when centered. TF.js keeps b even at momentum 0
 * (where it holds the last step, which it never reads); this class does not,
 * and saves zeros there so that files keep TF.js's layout.
 */
import type { Param } from "../tensor/parameter.js";
import { flag, fraction, positive } from "./checks.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface RMSpropOptions extends OptimizerOptions {
  /** Step size (or a schedule); default 0.001 (Keras). */
  learningRate?: OptimizerOptions["learningRate"];
  /** Decay ρ of the mean square, in [0, 1); default 0.9. */
  rho?: number;
  /** Momentum μ in [0, 1); default 0. */
  momentum?: number;
  /** ε added under the square root, > 0; default 1e-7 (Keras). */
  epsilon?: number;
  /** Divide by the estimated variance v − a² rather than the mean square v; default false. */
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super("RMSprop", options, 0.001, ["rho", "momentum", "epsilon", "centered"]);
    const { rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    this.rho = fraction("RMSprop", "rho", rho);
    this.momentum = fraction("RMSprop", "momentum", momentum);
    this.epsilon = positive("RMSprop", "epsilon", epsilon);
    this.centered = flag("RMSprop", "centered", centered);
  }

  protected update(p: Param, lr: number): void {
    const w = p.value.data, g = p.grad.whole().data;
    const { rho, momentum: mu, epsilon: eps } = this;
    const [v, b, a] = this.slots(p);
    for (let i = 0; i < w.length; i++) {
      v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
      let d: number;
      if (a) { // centered
        a[i] = rho * a[i] + (1 - rho) * g[i];
        d = v[i] - a[i] * a[i] + eps;
      } else {
        d = v[i] + eps;
      }
      const step = (lr * g[i]) / Math.sqrt(d);
      if (mu > 0) {
        b[i] = mu * b[i] + step;
        w[i] -= b[i];
      } else {
        w[i] -= step;
      }
    }
  }

  get slotNames(): readonly string[] {
    return this.centered ? ["rms", "momentum", "mg"] : ["rms", "momentum"];
  }

  protected override usesSlot(slot: string): boolean {
    return slot !== "momentum" || this.momentum > 0;
  }
}
