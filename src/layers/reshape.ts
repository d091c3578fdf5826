/**
 * Flatten and Reshape: a new shape for each row, and nothing else (Keras's
 * `Flatten()` and `Reshape(target_shape)`). No weights.
 *
 * A row of a Matrix already holds one sample's values in row-major order —
 * an image's (h, w, c) — so changing the shape moves no value:
 *   forward:   y = x          (the same Matrix: no copy)
 *   backward:  dx = dy
 * Only the shape that the next layer sees changes: Flatten makes it [h·w·c],
 * Reshape makes it targetShape.
 */
import { describe, type Matrix } from "../tensor/matrix.js";
import { checkOptions, optionNames } from "../tensor/names.js";
import { Layer, shapeSize, shapeText, type BackwardOptions } from "./layer.js";

/** A layer that passes rows through unchanged and gives them a new shape. */
abstract class ShapeOnly extends Layer {
  forward(x: Matrix, _training: boolean): Matrix {
    return x;
  }

  backward(dy: Matrix, options: BackwardOptions = {}): Matrix | null {
    return options.needInputGradient === false ? null : dy;
  }
}

export interface FlattenOptions {
  /** The shape of one input row, for the first layer, e.g. [28, 28, 1]. */
  inputShape?: number[];
  /** Layer name; default "flatten", "flatten_1", ... */
  name?: string;
}

const FLATTEN_OPTIONS = optionNames<FlattenOptions>({ inputShape: true, name: true });

/** Any row shape → [its number of values]. Keras's Flatten (data_format channels_last). */
export class Flatten extends ShapeOnly {
  readonly className = "Flatten";

  constructor(options?: FlattenOptions) {
    const { inputShape, name } = checkOptions("Flatten", options, FLATTEN_OPTIONS);
    super(name, "flatten");
    if (inputShape !== undefined) {
      this.inputShape = rowShape("Flatten inputShape", inputShape);
      this.inputDim = shapeSize(this.inputShape);
    }
  }

  override outputShapeFor(shape: readonly number[]): number[] {
    return [this.outputDimFor(shapeSize(shape))];
  }

  toString(): string {
    return "Flatten";
  }
}

export interface ReshapeOptions {
  /**
   * The new shape of a row, without the batch axis: [7, 7, 16]. One entry may
   * be −1, meaning whatever makes the sizes agree (as in Keras). Required.
   */
  targetShape: number[];
  /** The shape of one input row, for the first layer. */
  inputShape?: number[];
  /** Layer name; default "reshape", "reshape_1", ... */
  name?: string;
}

const RESHAPE_OPTIONS = optionNames<ReshapeOptions>({ targetShape: true, inputShape: true, name: true });

/** A row of any shape → targetShape, with the same number of values. Keras's Reshape. */
export class Reshape extends ShapeOnly {
  readonly className = "Reshape";
  /** As given, perhaps with one −1. */
  readonly targetShape: number[];

  constructor(options: ReshapeOptions) {
    const { targetShape, inputShape, name } = checkOptions("Reshape", options, RESHAPE_OPTIONS, {
      required: true, example: "{ targetShape: [28, 28, 1] }",
    });
    const ok = Array.isArray(targetShape) && targetShape.length > 0 &&
      targetShape.every((n) => n === -1 || (Number.isInteger(n) && n > 0)) && targetShape.filter((n) => n === -1).length <= 1;
    if (!ok) {
      throw new Error(`Reshape targetShape must be a non-empty list of positive integers with at most one -1, such as [28, 28, 1], ` +
        `got ${Array.isArray(targetShape) ? JSON.stringify(targetShape) : describe(targetShape)}`);
    }
    super(name, "reshape");
    this.targetShape = [...targetShape];
    if (inputShape !== undefined) {
      this.inputShape = rowShape("Reshape inputShape", inputShape);
      this.outputShapeFor(this.inputShape);
      this.inputDim = shapeSize(this.inputShape);
    }
  }

  /** targetShape, its −1 filled in; the sizes must agree. */
  override outputShapeFor(shape: readonly number[]): number[] {
    const size = this.outputDimFor(shapeSize(shape));
    const known = shapeSize(this.targetShape.filter((n) => n !== -1));
    const free = this.targetShape.includes(-1);
    if (free ? size % known !== 0 : size !== known) {
      throw new Error(`${this} cannot hold the ${size} values of an input row of shape ${shapeText(shape)}: ` +
        `[${this.targetShape.join(", ")}] ${free ? `has room for a multiple of ${known}` : `holds ${known}`}`);
    }
    return this.targetShape.map((n) => (n === -1 ? size / known : n));
  }

  toString(): string {
    return `Reshape([${this.targetShape.join(", ")}])`;
  }
}

function rowShape(what: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`${what} must be a non-empty list of positive integers, such as [28, 28, 1], got ${Array.isArray(shape) ? JSON.stringify(shape) : describe(shape)}`);
  }
  return [...shape];
}
