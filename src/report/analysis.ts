/**
 * The numbers behind the training report, computed from a trained model and
 * its test set (browser-safe: no Node module).
 *
 *   p = model.predict(xTest)             (n, classes) probabilities
 *   ŷ_i = argmax_j p_ij                  the predicted class of sample i
 *   confusion[t][c] = #{ i : y_i = t and ŷ_i = c }      Σ over all cells = n
 *   accuracy = Σ_t confusion[t][t] / n   (the same figure as evaluate's "accuracy")
 *   mistakes = { i : ŷ_i ≠ y_i }, in test-set order
 *
 * The first layer's kernel W is (din, units); column j holds the weights unit j
 * gives to each input pixel, so for MNIST it is a 28x28 image of the pattern
 * that excites (red, w > 0) or inhibits (blue, w < 0) that unit.
 */
import { Matrix, describe, type MatrixLike, toMatrix } from "../tensor/matrix.js";
import { argmax } from "../tensor/ops.js";
import { toCategorical } from "../data/categorical.js";
import type { Sequential } from "../model/sequential.js";
import type { History } from "../model/history.js";
import type { Layer } from "../layers/layer.js";

/** The test set the report is drawn from; a `loadMnist()` result fits as is. */
export interface ReportData {
  /** (n, din) inputs, e.g. 10000 x 784 MNIST pixels in [0, 1] (or 0..255). */
  xTest: MatrixLike;
  /** n integer labels 0 … classes − 1 (e.g. a Uint8Array), or (n, classes) one-hot rows. */
  yTest: ArrayLike<number> | Matrix;
}

export interface Analysis {
  /** Test samples. */
  n: number;
  classes: number;
  labels: Int32Array;
  predicted: Int32Array;
  /** The predicted class's probability, per sample. */
  confidence: Float32Array;
  confusion: number[][];
  /** Indices of the misclassified samples, in test-set order. */
  mistakes: number[];
  /** Σ confusion[t][t] / n. */
  accuracy: number;
  /** model.evaluate on the test set, by name ("loss", "accuracy", ...), when the model is compiled. */
  evaluation: Record<string, number> | undefined;
  /** The kernel of the first layer that has one, if any: a Dense's (din, units), or a Conv2D's (kh·kw·cin, filters). */
  firstKernel: Matrix | undefined;
  /** That layer: its className says how to draw the kernel (a Conv2D's also holds its kernelSize). */
  firstKernelLayer: Layer | undefined;
  /** The largest input value, so images can be drawn from [0, 1] or 0..255 pixels. */
  inputMax: number;
  x: Matrix;
}

/** Checks the arguments, predicts the test set once and counts. */
export function analyze(history: History, model: Sequential, data: ReportData, who = "writeReport"): Analysis {
  if (typeof history !== "object" || history === null || typeof history.history !== "object") {
    throw new Error(`${who}: history must be the History that fit returns, got ${describe(history)}`);
  }
  if (typeof model !== "object" || model === null || typeof (model as Sequential).predict !== "function") {
    throw new Error(`${who}: model must be a Sequential, got ${describe(model)}`);
  }
  if (model.outputDim === undefined) throw new Error(`${who}: the model "${model.name}" is not built yet; give the first layer an inputDim`);
  if (typeof data !== "object" || data === null || data.xTest === undefined || data.yTest === undefined) {
    throw new Error(`${who}: data must be { xTest, yTest } (a loadMnist() result works), got ${describe(data)}`);
  }
  const x = toMatrix(data.xTest, `${who} data.xTest`);
  const classes = model.outputDim;
  const labels = toLabels(data.yTest, x.rows, classes, who);
  if (x.cols !== model.inputDim) {
    throw new Error(`${who}: data.xTest has shape ${x.shapeString} but the model expects ${model.inputDim} columns`);
  }

  const probs = model.predict(x, { batchSize: 256 });
  const predicted = argmax(probs, 1);
  const confidence = new Float32Array(x.rows);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const mistakes: number[] = [];
  let correct = 0;
  for (let i = 0; i < x.rows; i++) {
    confidence[i] = probs.data[i * classes + predicted[i]];
    confusion[labels[i]][predicted[i]]++;
    if (predicted[i] === labels[i]) correct++;
    else mistakes.push(i);
  }

  let inputMax = 0;
  for (let i = 0; i < x.data.length; i++) if (x.data[i] > inputMax) inputMax = x.data[i];

  return {
    n: x.rows, classes, labels, predicted, confidence, confusion, mistakes,
    accuracy: x.rows === 0 ? 0 : correct / x.rows,
    evaluation: evaluateIfCompiled(model, x, labels, classes),
    ...firstKernel(model),
    inputMax: inputMax > 1 ? inputMax : 1,
    x,
  };
}

/** Integer labels from labels or one-hot rows, each checked to be a class index. */
function toLabels(y: ArrayLike<number> | Matrix, n: number, classes: number, who: string): Int32Array {
  if (y instanceof Matrix && y.cols !== 1 && y.cols !== classes) {
    throw new Error(`${who}: data.yTest must be labels or one-hot rows of ${classes} columns (the model's outputs), got ${y.shapeString}`);
  }
  const labels = y instanceof Matrix
    ? (y.cols === 1 ? Int32Array.from(y.data) : argmax(y, 1))
    : typeof y === "object" && y !== null && typeof y.length === "number" ? Int32Array.from(y) : undefined;
  if (!labels) throw new Error(`${who}: data.yTest must be integer labels or one-hot rows, got ${describe(y)}`);
  if (labels.length !== n) throw new Error(`${who}: data.xTest has ${n} rows but data.yTest has ${labels.length} labels`);
  const source = y as ArrayLike<number>;
  for (let i = 0; i < n; i++) {
    const raw = y instanceof Matrix ? (y.cols === 1 ? y.data[i] : labels[i]) : source[i];
    if (!Number.isInteger(raw) || raw < 0 || raw >= classes) {
      throw new Error(`${who}: data.yTest label at index ${i} is ${describe(raw)}, expected an integer in [0, ${classes})`);
    }
  }
  return labels;
}

/** evaluate() with the compiled loss and metrics, named as compile() named them. */
function evaluateIfCompiled(model: Sequential, x: Matrix, labels: Int32Array, classes: number): Record<string, number> | undefined {
  const config = model.trainingConfig() as { loss: string; metrics: string[] } | null;
  if (!config) return undefined;
  const values = model.evaluate(x, toCategorical(labels, classes), { verbose: 0, batchSize: 256 });
  const names = ["loss", ...config.metrics];
  return Object.fromEntries(values.map((v, i) => [names[i] ?? `metric_${i}`, v]));
}

/** The kernel of the first layer that has one (a Dense or a Conv2D), and that layer. */
function firstKernel(model: Sequential): { firstKernel: Matrix | undefined; firstKernelLayer: Layer | undefined } {
  for (const layer of model.layers) {
    const kernel = layer.params().find((p) => p.name === "kernel");
    if (kernel) return { firstKernel: kernel.value, firstKernelLayer: layer };
  }
  return { firstKernel: undefined, firstKernelLayer: undefined };
}
