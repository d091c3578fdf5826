// TensorFlow.js as the reference engine for the parity tests: the same network
// built in both engines from the same weights, and the small conversions
// between purenn's Matrix and tfjs tensors. Only tests import this file.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Sequential, Dense, Activation, setRandomSeed, type ActivationName } from "../../src/core.js";

/**
 * Selects the 'cpu' backend (pure JavaScript, float32, like purenn).
 * PROD mode only silences tfjs's "install tfjs-node" banner and its debug
 * checks; it changes no arithmetic.
 */
export async function useTfjsCpu(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
}

/** One network, once in each engine, with tfjs holding a copy of purenn's initial weights. */
export interface Twins {
  ours: Sequential;
  theirs: tf.Sequential;
}

type TfjsActivation = NonNullable<Parameters<typeof tf.layers.activation>[0]["activation"]>;

/**
 * Dense(widths[l]) followed by a separate Activation(activations[l − 1]) for
 * l = 1 … L, as the tutorial writes it, in both engines. purenn draws the
 * initial weights (Glorot-uniform, from `seed`); tfjs gets a copy of them.
 */
export function buildTwins(widths: number[], activations: string[], seed: number): Twins {
  if (activations.length !== widths.length - 1) throw new Error("buildTwins: one activation per Dense layer");
  setRandomSeed(seed);
  const ours = new Sequential();
  const theirs = tf.sequential();
  for (let l = 1; l < widths.length; l++) {
    ours.add(new Dense(widths[l], l === 1 ? { inputDim: widths[0] } : {}));
    ours.add(new Activation(activations[l - 1] as ActivationName));
    theirs.add(tf.layers.dense({ units: widths[l], ...(l === 1 ? { inputShape: [widths[0]] } : {}) }));
    theirs.add(tf.layers.activation({ activation: activations[l - 1] as TfjsActivation }));
  }
  copyWeights(ours, theirs);
  return { ours, theirs };
}

/**
 * Copies purenn's weights into the tfjs model. purenn gives kernel (din x dout)
 * then bias (1 x dout) per Dense; tfjs wants the kernel [din, dout] and the
 * bias as a 1-D [dout] tensor, in the same order. Both are row-major.
 */
export function copyWeights(ours: Sequential, theirs: tf.Sequential): void {
  const ws = ours.getWeights();
  const shapes = theirs.getWeights().map((t) => t.shape);
  if (ws.length !== shapes.length) throw new Error(`copyWeights: purenn has ${ws.length} weights, tfjs ${shapes.length}`);
  const tensors = ws.map((w, i) => tf.tensor(w.data, shapes[i], "float32"));
  theirs.setWeights(tensors);
  tf.dispose(tensors);
}

/** The tfjs weights as flat float32 arrays, in purenn's order. */
export function tfjsWeights(theirs: tf.Sequential): Float32Array[] {
  return theirs.getWeights().map((t) => t.dataSync() as Float32Array);
}

export function toTensor(m: Matrix): tf.Tensor2D {
  return tf.tensor2d(m.data, [m.rows, m.cols]);
}

/** tfjs predict on a Matrix, as a flat row-major array. */
export function tfjsPredict(theirs: tf.Sequential, x: Matrix): Float32Array {
  return tf.tidy(() => (theirs.predict(toTensor(x)) as tf.Tensor).dataSync() as Float32Array);
}

/** tfjs evaluate on Matrices: [loss, ...metrics] as plain numbers. */
export function tfjsEvaluate(theirs: tf.Sequential, x: Matrix, y: Matrix, batchSize = 32): number[] {
  return tf.tidy(() => {
    const out = theirs.evaluate(toTensor(x), toTensor(y), { batchSize });
    return (Array.isArray(out) ? out : [out]).map((s) => s.dataSync()[0]);
  });
}

/**
 * ∂loss/∂weight for every tfjs weight (kernel then bias per Dense).
 *   "categoricalCrossentropy", "meanSquaredError": the batch mean of
 *     tfjs-layers' per-sample loss, the function `compile({ loss })` trains
 *     with (cross-entropy on probabilities: normalise, clip to [1e-7, 1 − 1e-7],
 *     −Σ t·log q; the clip's gradient is 0 outside that range);
 *   "softmaxCrossEntropyFromLogits": the last layer (the softmax) is skipped and
 *     tf.losses.softmaxCrossEntropy is taken on the logits, mean over the
 *     batch — Keras's path for a softmax output, whose gradient is (p − t)/n
 *     with no clip.
 */
export function tfjsGradients(
  theirs: tf.Sequential, x: Matrix, y: Matrix,
  loss: "categoricalCrossentropy" | "meanSquaredError" | "softmaxCrossEntropyFromLogits",
): { loss: number; grads: Float32Array[] } {
  const vars = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
  const xT = toTensor(x), yT = toTensor(y);
  const f = (): tf.Scalar => {
    if (loss === "softmaxCrossEntropyFromLogits") {
      let h: tf.Tensor = xT;
      for (const layer of theirs.layers.slice(0, -1)) h = layer.apply(h, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(yT, h) as tf.Scalar;
    }
    const perSample = loss === "categoricalCrossentropy" ? tf.metrics.categoricalCrossentropy : tf.metrics.meanSquaredError;
    return tf.mean(perSample(yT, theirs.apply(xT, { training: true }) as tf.Tensor)) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(f, vars);
  const result = { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
  tf.dispose([xT, yT, value, ...Object.values(grads)]);
  return result;
}

/**
 * Saves a TensorFlow.js model as model.json + weights.bin in a new folder `dir`
 * (what tfjs-node's file:// handler writes), with its optimizer when asked.
 */
export async function saveTfjsFolder(t: tf.LayersModel, dir: string, includeOptimizer = false): Promise<string> {
  await mkdir(dir);
  await t.save(tf.io.withSaveHandler(async (a) => {
    const { weightData, weightSpecs, ...rest } = a;
    await writeFile(join(dir, "model.json"), JSON.stringify({ ...rest, weightsManifest: [{ paths: ["weights.bin"], weights: weightSpecs }] }));
    await writeFile(join(dir, "weights.bin"), new Uint8Array(weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }), { includeOptimizer });
  return dir;
}
