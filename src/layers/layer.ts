/**
 * The Layer contract. A Sequential model is a list of layers and is its own
 * tape: the forward pass calls `forward` on each layer in order, the backward
 * pass calls `backward` on each layer in reverse. There is no general autograd.
 *
 *   build(din)            fixes the input width, creates the weights, returns dout
 *   buildFor(shape)       the same from the shape of an input row ([784], or
 *                         [28, 28, 1] for an image, channels-last), returns the
 *                         output row's shape; Sequential builds layers this way
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
  /**
   * The shape of one input row without the batch axis, once known (Keras's
   * input_shape): [784] for a vector, [28, 28, 1] for an image. A row of the
   * input Matrix holds that array in row-major order, so its width is the product.
   */
  inputShape: number[] | undefined;
  /** The output row's shape as buildFor found it. */
  private builtShape: number[] | undefined;
  /**
   * Whether the layer reads a row as one flat vector (Dense, BatchNormalization),
   * so that an image must be flattened first. purenn says so where Keras would
   * apply such a layer to the last axis alone.
   */
  protected readonly flatRows: boolean = false;

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

  /**
   * The output row's shape for input rows of `shape`, without building
   * anything; throws when the layer cannot take such rows. By default the shape
   * is kept (Activation, Dropout: value by value); a flat-row layer gives
   * [its output width]; Conv2D, pooling, Flatten and Reshape compute theirs.
   */
  outputShapeFor(shape: readonly number[]): number[] {
    if (this.flatRows && shape.length !== 1) {
      throw new Error(`${this} takes flat rows, one vector per sample, got input of shape ${shapeText(shape)}; add Flatten() before it`);
    }
    const width = this.outputDimFor(shapeSize(shape));
    return this.flatRows ? [width] : [...shape];
  }

  /** The output row's shape, once built: summary() prints it as (None, ...shape). */
  get outputShape(): number[] | undefined {
    return this.builtShape ?? (this.outputDim === undefined ? undefined : [this.outputDim]);
  }

  /** Fixes the input row's shape, builds the layer (its weights) and returns the output row's shape. */
  buildFor(shape: readonly number[]): number[] {
    const out = this.outputShapeFor(shape);
    this.inputShape = [...shape];
    this.build(shapeSize(shape));
    this.builtShape = out;
    return out;
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

/** The number of values in an array of this shape: the width of a row. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A row shape as Keras prints a batch of them: "(None, 26, 26, 32)". */
export function shapeText(shape: readonly number[]): string {
  return `(None, ${shape.join(", ")})`;
}
