/**
 * Adagrad (Duchi et al., 2011), Keras's form (keras.optimizers.Adagrad). With
 * g the gradient, lr the learning rate and an accumulator s that starts at
 * initialAccumulatorValue:
 *
 *   s = s + g²
 *   w = w − lr·g / √(s + ε)
 *
 * The per-element rate lr/√s only shrinks. TensorFlow.js (tf.train.adagrad)
 * follows the same rule and the same initial value 0.1, with ε fixed at its
 * backend epsilon (1e-7 on 'cpu', Keras's default too); PyTorch starts s at 0
 * and puts ε outside the root: w = w − lr·g / (√s + ε).
 *
 * State per parameter (slot, TF.js's name): "accumulator" (s).
 */
import type { Param } from "../tensor/parameter.js";
import { nonNegative, positive } from "./checks.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";

export interface AdagradOptions extends OptimizerOptions {
  /** Step size (or a schedule); default 0.001 (Keras). */
  learningRate?: OptimizerOptions["learningRate"];
  /** Starting value of every accumulator, >= 0; default 0.1 (Keras). */
  initialAccumulatorValue?: number;
  /** ε added under the square root, > 0; default 1e-7 (Keras). */
  epsilon?: number;
}

export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super("Adagrad", options, 0.001, ["initialAccumulatorValue", "epsilon"]);
    const { initialAccumulatorValue = 0.1, epsilon = 1e-7 } = options;
    this.initialAccumulatorValue = nonNegative("Adagrad", "initialAccumulatorValue", initialAccumulatorValue);
    this.epsilon = positive("Adagrad", "epsilon", epsilon);
  }

  protected update(p: Param, lr: number): void {
    const w = p.value.data, g = p.grad.whole().data, eps = this.epsilon;
    const [s] = this.slots(p);
    for (let i = 0; i < w.length; i++) {
      s[i] += g[i] * g[i];
      w[i] -= (lr * g[i]) / Math.sqrt(s[i] + eps);
    }
  }

  get slotNames(): readonly string[] {
    return ["accumulator"];
  }

  protected override initialSlotValue(): number {
    return this.initialAccumulatorValue;
  }
}
