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
 * and the two give the same weights.
 */
import { describe } from "../tensor/matrix.js";
import { allocFloat32 } from "../tensor/alloc.js";
import { Optimizer, type Trainable } from "./optimizer.js";

export interface SGDOptions {
  /** Step size; default 0.01 (Keras). */
  learningRate?: number;
  /** Momentum m in [0, 1); default 0. */
  momentum?: number;
  /** Use Nesterov momentum; default false. */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly className = "SGD";
  learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<Trainable, Float32Array>();

  constructor(options: SGDOptions = {}) {
    super();
    const { learningRate = 0.01, momentum = 0, nesterov = false } = options;
    if (typeof learningRate !== "number" || !Number.isFinite(learningRate) || learningRate < 0) {
      throw new Error(`SGD learningRate must be a finite number >= 0, got ${describe(learningRate)}`);
    }
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum < 1)) {
      throw new Error(`SGD momentum must be a number in [0, 1), got ${describe(momentum)}`);
    }
    if (typeof nesterov !== "boolean") {
      throw new Error(`SGD nesterov must be true or false, got ${describe(nesterov)}`);
    }
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected update(p: Trainable): void {
    const w = p.value.data, g = p.grad.data;
    const lr = this.learningRate, m = this.momentum;
    if (m === 0) {
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
      return;
    }
    let v = this.velocity.get(p);
    if (!v) this.velocity.set(p, (v = allocFloat32(w.length)));
    if (this.nesterov) {
      for (let i = 0; i < w.length; i++) {
        v[i] = m * v[i] - lr * g[i];
        w[i] += m * v[i] - lr * g[i];
      }
    } else {
      for (let i = 0; i < w.length; i++) {
        v[i] = m * v[i] - lr * g[i];
        w[i] += v[i];
      }
    }
  }
}
