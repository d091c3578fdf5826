/**
 * Sequential: a stack of layers, trained as Keras trains it.
 *
 * One training step on a batch (x: (n, din), t: (n, classes)):
 *   forward:   a₀ = x,  a_l = layer_l.forward(a_{l−1}),  p = a_L
 *   loss:      L = loss(p, t)                      (mean over the batch)
 *   backward:  g = ∂L/∂p, then g = layer_l.backward(g) for l = L … 1,
 *              each layer filling its parameters' gradients on the way;
 *              softmax + categorical cross-entropy start from g = (p − t)/n
 *   update:    optimizer.step(parameters)
 *
 * The layer list is the tape: backward is forward reversed, one line per layer.
 */
import { Matrix, type MatrixLike, toMatrix, describe } from "../tensor/matrix.js";
import { Layer, uniqueName } from "../layers/layer.js";
import { getLoss, resolveMetric, type Loss, type LossName, type Metric, type MetricName } from "../losses/index.js";
import { getOptimizer, type Optimizer, type OptimizerName } from "../optim/index.js";
import { optimizerToConfig } from "../optim/serialize.js";
import { History } from "./history.js";
import { ProgressBar } from "./progress.js";
import { CallbackList } from "./callbacks.js";
import { folderIO } from "./folder-io.js";
import { checkFitOptions, FIT_OPTIONS, splitValidation, classWeightsFor, type FitOptions } from "./fit-options.js";
import { train, measure, forEachBatch } from "./trainer.js";
import { mustNotBeFitting, whileFitting } from "./fit-guard.js";
import { summaryText } from "./summary.js";
import * as check from "./checks.js";
import { checkXY, checkInput } from "./data-checks.js";
import { checkOptions, optionNames } from "../tensor/names.js";

// backward's options, made once rather than per layer per batch; index 1: a layer below needs dx.
const THROUGH = [{ needInputGradient: false }, { needInputGradient: true }] as const;
const FROM_PRE_ACTIVATION = [
  { fromPreActivation: true, needInputGradient: false },
  { fromPreActivation: true, needInputGradient: true },
] as const;

export interface CompileOptions {
  /** An optimizer name ("sgd": SGD with learningRate 0.01) or an instance. */
  optimizer: OptimizerName | Optimizer;
  /** A loss name: "categorical_crossentropy" or "mean_squared_error" (either spelling). */
  loss: LossName;
  /** Metric names reported during fit and evaluate, e.g. ["accuracy"]. */
  metrics?: MetricName[];
}

export interface EvaluateOptions {
  /** Samples per forward pass; default 32. */
  batchSize?: number;
  /** 0 silent, 1 progress bar (Keras's default); default 1. */
  verbose?: 0 | 1 | 2;
}

export interface PredictOptions {
  /** Samples per forward pass; default 32. */
  batchSize?: number;
}

export interface SequentialOptions {
  /** The model's name; default "sequential", "sequential_1", ... */
  name?: string;
}

/** The input row shape a layer was given (inputShape, or inputDim as [inputDim]), if any. */
function declaredShape(layer: Layer): number[] | undefined {
  return layer.inputShape ?? (layer.inputDim === undefined ? undefined : [layer.inputDim]);
}

const COMPILE_OPTIONS = optionNames<CompileOptions>({ optimizer: true, loss: true, metrics: true });
const EVALUATE_OPTIONS = optionNames<EvaluateOptions>({ batchSize: true, verbose: true });
const PREDICT_OPTIONS = optionNames<PredictOptions>({ batchSize: true });
const SEQUENTIAL_OPTIONS = optionNames<SequentialOptions>({ name: true });

export interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metrics: [string, Metric][];
}

export class Sequential {
  readonly name: string;
  readonly layers: Layer[] = [];
  private compiled: Compiled | undefined;
  /** Set to true (from a callback or a timer) to end fit after the current batch, as in Keras. */
  stopTraining = false;

  constructor(layers: Layer[] = [], options?: SequentialOptions) {
    const { name } = checkOptions("Sequential", options, SEQUENTIAL_OPTIONS);
    this.name = name ?? uniqueName("sequential");
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer; builds it at once when the shape of its input rows is known (as Keras). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) {
      throw new Error(`Sequential.add expects a layer such as new Dense(10), got ${describe(layer)}`);
    }
    const shape = this.layers.length === 0 ? declaredShape(layer) : this.outputShape;
    if (shape === undefined) {
      this.layers.push(layer);
      return;
    }
    layer.outputShapeFor(shape); // throws, naming the layer and the shape, before anything changes
    this.layers.push(layer);
    if (!layer.built) layer.buildFor(shape);
  }

  /** The input width, once known. */
  get inputDim(): number | undefined {
    return this.layers[0]?.inputDim;
  }

  /** The shape of an input row, once known: [784], or [28, 28, 1] for images. */
  get inputShape(): number[] | undefined {
    return this.layers.length === 0 ? undefined : declaredShape(this.layers[0]);
  }

  /** The shape of an output row, once the model is built. */
  get outputShape(): number[] | undefined {
    return this.layers[this.layers.length - 1]?.outputShape;
  }

  /** The output width, once the model is built. */
  get outputDim(): number | undefined {
    return this.layers[this.layers.length - 1]?.outputDim;
  }

  /** Chooses the optimizer, loss and metrics. Required before fit and evaluate. */
  compile(options: CompileOptions): void {
    const { optimizer, loss, metrics = [] } = checkOptions("compile", options, COMPILE_OPTIONS, {
      required: true, example: `{ optimizer: "sgd", loss: "categorical_crossentropy" }`,
    });
    if (optimizer === undefined) throw new Error(`compile: optimizer is required, e.g. { optimizer: "sgd" }`);
    if (loss === undefined) throw new Error(`compile: loss is required, e.g. { loss: "categorical_crossentropy" }`);
    if (!Array.isArray(metrics)) throw new Error(`compile: metrics must be an array of names, got ${describe(metrics)}`);
    const lossFn = getLoss(loss);
    // "accuracy" becomes binary, sparse or categorical accuracy from the loss and output width, as in Keras.
    const metricFns = metrics.map((m): [string, Metric] => [String(m), resolveMetric(m, lossFn, this.outputDim)]);
    this.compiled = { optimizer: getOptimizer(optimizer), loss: lossFn, metrics: metricFns };
  }

  /** Whether the compiled loss takes class numbers (sparse_categorical_crossentropy) rather than one-hot rows. */
  get lossIsSparse(): boolean {
    return this.compiled?.loss.sparse === true;
  }

  /** The compiled optimizer, for reading or changing its settings. */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /**
   * Trains on (x, y) for `epochs` passes in mini-batches; resolves to the History.
   * The loop itself, with validation and callbacks, is in trainer.ts.
   */
  async fit(x: MatrixLike, y: MatrixLike | ArrayLike<number>, options?: FitOptions): Promise<History> {
    const who = "fit";
    mustNotBeFitting(this, who);
    const opts = checkOptions(who, options, FIT_OPTIONS);
    const compiled = this.mustBeCompiled(who);
    const settings = checkFitOptions(opts);
    const [xs, ys] = checkXY(this, who, x, y);
    const data = splitValidation(xs, ys, settings, (vx, vy) => checkXY(this, `${who} validationData`, vx, vy));
    const weights = settings.classWeight && classWeightsFor(data.y, settings.classWeight);
    const callbacks = new CallbackList(this, opts.callbacks);
    this.stopTraining = false;
    return whileFitting(this, () => train(this, compiled, data, settings, callbacks, weights));
  }

  /** Returns [loss, ...metrics] over (x, y), as plain numbers. */
  evaluate(x: MatrixLike, y: MatrixLike | ArrayLike<number>, options?: EvaluateOptions): number[] {
    const who = "evaluate";
    mustNotBeFitting(this, who);
    const opts = checkOptions(who, options, EVALUATE_OPTIONS);
    const compiled = this.mustBeCompiled(who);
    const batchSize = check.checkPositiveInt(who, "batchSize", opts.batchSize ?? 32);
    const verbose = check.checkVerbose(who, opts.verbose ?? 1);
    const [xs, ys] = checkXY(this, who, x, y);
    return measure(this, compiled, xs, ys, batchSize, new ProgressBar(Math.ceil(xs.rows / batchSize), verbose));
  }

  /** The model's outputs for x, one row per sample (probabilities after a softmax). */
  predict(x: MatrixLike, options?: PredictOptions): Matrix {
    const who = "predict";
    mustNotBeFitting(this, who);
    const opts = checkOptions(who, options, PREDICT_OPTIONS);
    const batchSize = check.checkPositiveInt(who, "batchSize", opts.batchSize ?? 32);
    const xs = check.checkData(who, "x", x);
    checkInput(this, who, xs);
    const out = new Matrix(xs.rows, this.outputDim as number);
    forEachBatch(this, xs, batchSize, (p, start) => out.data.set(p.data, start * out.cols));
    return out;
  }

  /** Runs the layers in order; returns the last layer's output buffer. */
  forward(x: Matrix, training: boolean): Matrix {
    let a = x;
    for (const layer of this.layers) a = layer.forward(a, training);
    return a;
  }

  /**
   * The forward pass reversed: from g = ∂L/∂p, each layer fills its
   * parameters' gradients and passes ∂L/∂(its input) down. `fused`: g is
   * already the gradient at the last activation's input (softmax + cross-entropy).
   */
  backward(g: Matrix, fused = false): void {
    let d: Matrix | null = g;
    for (let l = this.layers.length - 1; l >= 0 && d; l--) {
      const options = l === this.layers.length - 1 && fused ? FROM_PRE_ACTIVATION : THROUGH;
      d = this.layers[l].backward(d, options[l > 0 ? 1 : 0]);
    }
  }

  /** Prints Keras's summary table (through printFn, default console.log) and returns it. */
  summary(printFn: (line: string) => void = console.log): string {
    if (this.outputDim === undefined) {
      throw new Error(
        `summary: the model "${this.name}" is not built yet; give the first layer an inputDim, e.g. new Dense(256, { inputDim: 784 })`,
      );
    }
    const text = summaryText(this.name, this.layers);
    printFn(text);
    return text;
  }

  /**
   * Saves the model to a folder as TensorFlow.js's layers-model files
   * (model.json + weights.bin), atomically; load it with loadModel(dir) or
   * tf.loadLayersModel. With includeOptimizer, also the compile settings and
   * the optimizer's state, so that training resumes exactly. Node only.
   */
  async save(dir: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await folderIO().save(this, dir, options);
  }

  /**
   * Keras's training_config, as TensorFlow.js saves it: the loss, the metrics
   * and the optimizer's { class_name, config } (optim/serialize.ts); null
   * before compile. The optimizer's state is saved beside it (training-config.ts).
   */
  trainingConfig(): Record<string, unknown> | null {
    const c = this.compiled;
    if (!c) return null;
    return {
      loss: c.loss.name,
      metrics: c.metrics.map(([name]) => name),
      optimizer_config: optimizerToConfig(c.optimizer),
    };
  }

  /** The summed penalty of every layer's regularizers on its current weights. */
  regularizationLoss(): number {
    let total = 0;
    for (const layer of this.layers) total += layer.regularizationLoss();
    return total;
  }

  /**
   * Copies of all weights in layer order, as Keras: kernel then bias (bias as a
   * 1 x units Matrix); BatchNormalization's gamma, beta, moving_mean, moving_variance.
   */
  getWeights(): Matrix[] {
    return this.layers.flatMap((l) => l.weights().map((p) => p.value.clone()));
  }

  /** Sets all weights, in the order getWeights returns them. Checks every shape first. */
  setWeights(weights: MatrixLike[]): void {
    const params = this.layers.flatMap((l) => l.weights().map((p) => ({ layer: l, p })));
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new Error(
        `setWeights expects ${params.length} matrices (every layer's weights in order, as getWeights returns them), ` +
          `got ${Array.isArray(weights) ? weights.length : describe(weights)}`,
      );
    }
    const ms = weights.map((w, i) => toMatrix(w, `setWeights weight ${i}`));
    ms.forEach((m, i) => {
      const { layer, p } = params[i];
      if (m.rows !== p.value.rows || m.cols !== p.value.cols) {
        throw new Error(
          `setWeights: weight ${i} (${layer.name} ${p.name}) must be ${p.value.shapeString}, got ${m.shapeString}`,
        );
      }
    });
    ms.forEach((m, i) => params[i].p.value.data.set(m.data));
  }

  /**
   * A fit shares the model's buffers and optimizer state with every other
   * call: a second fit, or evaluate and predict from outside its callbacks,
   * must wait for it.
   */

  private mustBeCompiled(who: string): Compiled {
    if (!this.compiled) {
      throw new Error(`${who}: the model must be compiled first: call model.compile({ optimizer, loss, metrics })`);
    }
    if (this.layers.length === 0) throw new Error(`${who}: the model has no layers; add some with model.add()`);
    return this.compiled;
  }
}
