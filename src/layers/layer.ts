/**
 * The Layer contract. A Sequential model is a list of layers and is its own
 * tape: the forward pass calls `forward` on each layer in order, the backward
 * pass calls `backward` on each layer in reverse. There is no general autograd.
 *
 *   build(din)            fixes the input width, creates the weights, returns dout
 *   forward(x, training)  x: (n, din) → y: (n, dout); saves what backward needs
 *   backward(dy)          dy = ∂loss/∂y: (n, dout) → dx = ∂loss/∂x: (n, din);
 *                         fills each parameter's `grad` with ∂loss/∂value
 *
 *   training              true in fit (Dropout drops, BatchNormalization uses the
 *                         batch's statistics), false in evaluate and predict
 *   params()              the trainable weights, which the optimizer updates
 *   weights()             every weight, trainable or not, in Keras's order
 *                         (what getWeights / setWeights / save see)
 *   regularizationLoss()  the penalty of the layer's regularizers on its current
 *                         weights; the model adds it to the loss, and backward
 *                         has already added its gradient into each param's grad
 *
 * Layers own their output buffers: they are sized on the first batch and reused
 * (see `workspace` in tensor/matrix.ts), so `forward` returns the same storage
 * every batch. Callers read it before the next forward.
 */
import { describe, type Matrix } from "../tensor/matrix.js";
import type { Param } from "../tensor/parameter.js";
import type { ActivationFunction } from "./activations.js";

export { Param } from "../tensor/parameter.js";

export interface BackwardOptions {
  /**
   * dy is already the gradient with respect to the input of this layer's
   * final activation (the fused softmax + cross-entropy gradient): skip it.
   */
  fromPreActivation?: boolean;
  /** false when no layer below needs dx (the first layer): skip computing it. */
  needInputGradient?: boolean;
}

export abstract class Layer {
  /** Keras's class name: "Dense", "Activation", "Dropout", "BatchNormalization". */
  abstract readonly className: string;
  /** Unique name as Keras makes them: "dense", "dense_1", "activation", ... */
  readonly name: string;
  /** The input width, once built. */
  inputDim: number | undefined;
  /** The output width, once built. */
  outputDim: number | undefined;

  constructor(name: string | undefined, defaultPrefix: string) {
    this.name = name ?? uniqueName(defaultPrefix);
  }

  get built(): boolean {
    return this.outputDim !== undefined;
  }

  /**
   * The output width for an input of `inputDim` columns, without building
   * anything; throws when the layer cannot take such an input.
   */
  outputDimFor(inputDim: number): number {
    if (this.inputDim !== undefined && this.inputDim !== inputDim) {
      throw new Error(`${this} expects input of ${this.inputDim} columns, got ${inputDim}`);
    }
    return this.widthFor(inputDim);
  }

  /** The output width for a (valid) input width; by default the same (Activation, Dropout, …). */
  protected widthFor(inputDim: number): number {
    return inputDim;
  }

  /**
   * Fixes the input width and returns the output width. Layers with weights
   * (Dense, BatchNormalization) override it to create them as well.
   */
  build(inputDim: number): number {
    this.outputDim = this.outputDimFor(inputDim);
    this.inputDim = inputDim;
    return this.outputDim;
  }
  abstract forward(x: Matrix, training: boolean): Matrix;
  /** Returns dx, or null when options.needInputGradient is false. */
  abstract backward(dy: Matrix, options?: BackwardOptions): Matrix | null;

  /** The trainable parameters, in Keras's order (kernel, then bias). */
  params(): Param[] {
    return [];
  }

  /**
   * Every weight, trainable and non-trainable, in Keras's order (Keras's
   * `layer.weights`, what `get_weights()` returns): by default the params.
   */
  weights(): Param[] {
    return this.params();
  }

  /**
   * The regularization penalty on the current weights (Keras's `layer.losses`),
   * e.g. 0.01·Σ w² for an l2 kernel regularizer; 0 without regularizers.
   */
  regularizationLoss(): number {
    return 0;
  }

  /** The activation this layer applies last, if any (for the fused softmax + cross-entropy). */
  get finalActivation(): ActivationFunction | undefined {
    return undefined;
  }

  /** How the layer names itself in error messages: "Dense(256)". */
  abstract toString(): string;
}

const nameCounts = new Map<string, number>();

/** "dense", then "dense_1", "dense_2", ... per prefix, as Keras names layers. */
export function uniqueName(prefix: string): string {
  const count = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, count + 1);
  return count === 0 ? prefix : `${prefix}_${count}`;
}

/** inputDim and inputShape say the same thing; accept either, check both. */
export function resolveInputDim(
  who: string, inputDim: number | undefined, inputShape: number[] | undefined,
): number | undefined {
  if (inputDim !== undefined && (!Number.isInteger(inputDim) || inputDim <= 0)) {
    throw new Error(`${who} inputDim must be a positive integer, got ${describe(inputDim)}`);
  }
  if (inputShape === undefined) return inputDim;
  if (!Array.isArray(inputShape) || inputShape.length !== 1 || !Number.isInteger(inputShape[0]) || inputShape[0] <= 0) {
    throw new Error(`${who} inputShape must be [width] with a positive integer width, got ${JSON.stringify(inputShape)}`);
  }
  if (inputDim !== undefined && inputDim !== inputShape[0]) {
    throw new Error(`${who} got inputDim ${inputDim} and inputShape [${inputShape[0]}], which disagree`);
  }
  return inputShape[0];
}
