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
 */
import { allocFloat32 } from "../tensor/alloc.js";
import { flag, fraction, positive } from "./checks.js";
import { Optimizer, type OptimizerOptions, type Trainable } from "./optimizer.js";

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

/** An RMSprop parameter's state: mean square v; mean gradient a (centered); momentum b. */
interface Averages {
  v: Float32Array;
  a: Float32Array | null;
  b: Float32Array | null;
}

export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private readonly averages = new Map<Trainable, Averages>();

  constructor(options: RMSpropOptions = {}) {
    super("RMSprop", options, 0.001, ["rho", "momentum", "epsilon", "centered"]);
    const { rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    this.rho = fraction("RMSprop", "rho", rho);
    this.momentum = fraction("RMSprop", "momentum", momentum);
    this.epsilon = positive("RMSprop", "epsilon", epsilon);
    this.centered = flag("RMSprop", "centered", centered);
  }

  protected update(p: Trainable, lr: number): void {
    const w = p.value.data, g = p.grad.data;
    const { rho, momentum: mu, epsilon: eps } = this;
    const { v, a, b } = this.state(p);
    for (let i = 0; i < w.length; i++) {
      v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
      let d: number;
      if (a) {
        a[i] = rho * a[i] + (1 - rho) * g[i];
        d = v[i] - a[i] * a[i] + eps;
      } else {
        d = v[i] + eps;
      }
      const step = (lr * g[i]) / Math.sqrt(d);
      if (b) {
        b[i] = mu * b[i] + step;
        w[i] -= b[i];
      } else {
        w[i] -= step;
      }
    }
  }

  private state(p: Trainable): Averages {
    let s = this.averages.get(p);
    if (!s) {
      const n = p.value.data.length;
      s = { v: allocFloat32(n), a: this.centered ? allocFloat32(n) : null, b: this.momentum > 0 ? allocFloat32(n) : null };
      this.averages.set(p, s);
    }
    return s;
  }
}
