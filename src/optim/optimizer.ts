/**
 * The Optimizer contract: after each batch's backward pass, `step` moves every
 * parameter against its gradient. Optimizers that keep state (momentum,
 * moving averages) keep one buffer per parameter, created on its first step.
 */
import type { Matrix } from "../tensor/matrix.js";

/** What an optimizer updates: a value and the gradient of the loss with respect to it. */
export interface Trainable {
  readonly value: Matrix;
  readonly grad: Matrix;
}

export abstract class Optimizer {
  /** Keras's class name. */
  abstract readonly className: string;
  /** Number of steps taken so far (Keras `iterations`). */
  iterations = 0;

  /** Applies one update to every parameter, from its current gradient. */
  step(params: readonly Trainable[]): void {
    for (const p of params) this.update(p);
    this.iterations++;
  }

  /** The update rule for one parameter. */
  protected abstract update(p: Trainable): void;
}
