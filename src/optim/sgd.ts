/**
 * Stochastic gradient descent, with optional momentum and Nesterov momentum.
 * Keras's convention (keras.optimizers.SGD), with g the gradient, lr the
 * learning rate, m the momentum and v a velocity that starts at 0:
 *
 *   momentum = 0:   w = w − lr·g
 *   momentum > 0:   v = m·v − lr·g;   w = w + v
 *   nesterov:       v = m·v − lr·g;   w = w + m·v − lr·g
 *
 * TensorFlow.js (tf.train.momentum) and PyTorch keep b = m·b + g and step
 * w = w − lr·b (nesterov: w = w − lr·(g + m·b)); with a constant lr, v = −lr·b
 * and the two give the same weights. Under a schedule they differ: Keras's v
 * remembers each step's own lr, theirs applies today's lr to all of b.
 */
import { allocFloat32 } from "../tensor/alloc.js";
import { elementwise, Loop } from "../tensor/elementwise.js";
import { flag, fraction } from "./checks.js";
import { Optimizer, type OptimizerOptions, type Trainable } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  /** Step size (or a schedule); default 0.01 (Keras). */
  learningRate?: OptimizerOptions["learningRate"];
  /** Momentum m in [0, 1); default 0. */
  momentum?: number;
  /** Use Nesterov momentum; default false. */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<Trainable, Float32Array>();

  constructor(options: SGDOptions = {}) {
    super("SGD", options, 0.01, ["momentum", "nesterov"]);
    const { momentum = 0, nesterov = false } = options;
    this.momentum = fraction("SGD", "momentum", momentum);
    this.nesterov = flag("SGD", "nesterov", nesterov);
  }

  protected update(p: Trainable, lr: number): void {
    // The loops themselves are in tensor/elementwise.ts, where threads can share them.
    const w = p.value.data, g = p.grad.data;
    const m = this.momentum;
    if (m === 0) {
      elementwise(Loop.Sgd, [w, g], [lr]);
      return;
    }
    let v = this.velocity.get(p);
    if (!v) this.velocity.set(p, (v = allocFloat32(w.length)));
    elementwise(this.nesterov ? Loop.Nesterov : Loop.Momentum, [w, g, v], [lr, m]);
  }
}
