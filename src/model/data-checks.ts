/**
 * The data checks at the door of fit, evaluate and predict: x and y against
 * each other and against the model (its input width, every layer's, its
 * output width), before any work; builds the model if its input width was
 * left open. Every error names the call, the value and the expectation.
 */
import type { Matrix, MatrixLike } from "../tensor/matrix.js";
import { toClassIndices } from "../losses/index.js";
import type { Sequential } from "./sequential.js";
import * as check from "./checks.js";
import { shapeSize } from "../layers/layer.js";

  /**
   * Validates x and y against each other and the model; builds the model if needed.
   * With a sparse loss (sparse_categorical_crossentropy), y is class indices:
   * a Uint8Array, Int32Array, number[] or n x 1 Matrix, turned into an n x 1 Matrix.
   */
export function checkXY(model: Sequential, who: string, x: MatrixLike, y: MatrixLike | ArrayLike<number>): [Matrix, Matrix] {
    const xs = check.checkData(who, "x", x);
    if (model.lossIsSparse) {
      const ys = toClassIndices(who, y, checkInput(model, who, xs));
      check.checkSameRows(who, xs, ys);
      return [xs, ys];
    }
    const ys = check.checkTargets(who, y);
    check.checkSameRows(who, xs, ys);
    const outDim = checkInput(model, who, xs);
    if (check.holdsClassNumbers(ys, outDim)) {
      throw new Error(
        `${who}: y holds class numbers (a single column of integers); use toCategorical(y, ${outDim}) or loss sparse_categorical_crossentropy`,
      );
    }
    if (ys.cols !== outDim) {
      const last = model.layers[model.layers.length - 1];
      throw new Error(
        `${who}: y must have ${outDim} columns to match the model's output (${last}), got ${ys.shapeString}` +
          (outDim > 1 && ys.cols === 1 ? "; for integer labels use toCategorical(labels, numClasses) or loss \"sparse_categorical_crossentropy\"" : ""),
      );
    }
    return [xs, ys];
  }

  /** Checks x's width against every layer (before any work) and builds if needed; returns the output width. */
export function checkInput(model: Sequential, who: string, x: Matrix): number {
    if (model.layers.length === 0) throw new Error(`${who}: the model has no layers; add some with model.add()`);
    const first = model.layers[0];
    if (first.inputDim !== undefined && first.inputDim !== x.cols) {
      throw new Error(`${first} expects input of ${first.inputDim} columns, got ${x.shapeString}`);
    }
    const input = model.inputShape ?? [x.cols];
    let shape = input;
    for (const layer of model.layers) shape = layer.outputShapeFor(shape);
    if (model.outputDim === undefined) {
      let s = input;
      for (const layer of model.layers) s = layer.built ? (layer.outputShape as number[]) : layer.buildFor(s);
    }
    return shapeSize(shape);
  }
