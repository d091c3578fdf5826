// Losses and metrics against TensorFlow.js 4.22 'cpu' on the same numbers: the
// batch loss, ∂L/∂p, the fused ∂L/∂z, the accuracies, and which accuracy
// compile() picks. TF.js's own functions are used: the per-sample loss that
// `model.compile({ loss })` resolves the name to (tfjs-layers losses.ts), then
// the batch mean, as fit does; tf.losses.huberLoss for huber (tfjs-layers has none).
import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix, LOSSES } from "../src/core.js";
import { resolveMetric, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, type Loss } from "../src/losses/index.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { useTfjsCpu, toTensor } from "./helpers/tfjs.js";

type TfLoss = (t: tf.Tensor, p: tf.Tensor) => tf.Tensor;

/** The function TF.js trains with for a compile() loss name: the per-sample loss, then the batch mean. */
function tfjsLoss(name: string): TfLoss {
  const input = tf.input({ shape: [1] });
  const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor });
  m.compile({ optimizer: "sgd", loss: name });
  const perSample = m.lossFunctions[0];
  m.dispose();
  return (t, p) => tf.mean(perSample(t, p));
}

/** Largest |a − b| relative to the largest |b| (so tiny entries are judged on the gradient's scale), and where. */
function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / (scale || 1);
    if (!(d <= max)) { max = d; at = i; }
  }
  return { max, at };
}

/** Ours and TF.js on (p, t): the loss and ∂L/∂p. */
function compareLoss(loss: Loss, theirs: TfLoss, p: Matrix, t: Matrix) {
  const ours = loss.forward(p, t);
  const dp = new Matrix(p.rows, p.cols);
  loss.backward(dp, p, t);
  const [value, grad] = tf.tidy(() => {
    const pT = toTensor(p), tT = toTensor(t);
    return [theirs(tT, pT).dataSync()[0], tf.grad((q: tf.Tensor) => theirs(tT, q))(pT).dataSync()];
  });
  return { loss: Math.abs(ours - value) / Math.abs(value), ours, value, grad: largestDifference(dp.data, grad), dp: dp.data, theirGrad: grad };
}

// Tolerances. TF.js sums in float32 (relative rounding ~6e-8 per term), purenn
// in float64; over these 24–40 entries the batch loss agrees to 1e-6 relative
// and every gradient entry to 1e-6 of the gradient's largest entry.
const LOSS_TOL = 1e-6;
const GRAD_TOL = 1e-6;

describe("losses agree with TensorFlow.js 4.22 'cpu'", () => {
  beforeAll(useTfjsCpu);
  const rand = lcg(61);
  const n = 8;

  /** Rows of probabilities: a softmax of random logits. */
  const probabilities = (rows: number, cols: number) => {
    const m = randomMatrix(rows, cols, rand, -3, 3);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += (m.data[i * cols + j] = Math.exp(m.data[i * cols + j]));
      for (let j = 0; j < cols; j++) m.data[i * cols + j] /= s;
    }
    return m;
  };
  const binaryTargets = (rows: number, cols: number) => {
    const m = randomMatrix(rows, cols, rand, 0, 1);
    m.data.forEach((v, i) => (m.data[i] = v < 0.5 ? 0 : 1));
    return m;
  };

  const CASES: [string, string | TfLoss, () => [Matrix, Matrix]][] = [
    ["binary_crossentropy", "binaryCrossentropy", () => [randomMatrix(n, 3, rand, 0.02, 0.98), binaryTargets(n, 3)]],
    ["categorical_crossentropy", "categoricalCrossentropy", () => [probabilities(n, 5), randomOneHot(n, 5, rand)]],
    ["sparse_categorical_crossentropy", "sparseCategoricalCrossentropy", () => [probabilities(n, 5), new Matrix(n, 1, Array.from({ length: n }, () => Math.floor(rand() * 5)))]],
    ["mean_squared_error", "meanSquaredError", () => [randomMatrix(n, 4, rand, -2, 2), randomMatrix(n, 4, rand, -2, 2)]],
    // d = p − t is never exactly 0 here: there TF.js's abs gradient is −1, TensorFlow's (and ours) 0.
    ["mean_absolute_error", "meanAbsoluteError", () => [randomMatrix(n, 4, rand, -2, 2), randomMatrix(n, 4, rand, -2, 2)]],
    // Errors in [-3, 3]: both the squared and the linear part of huber.
    ["huber", (t, p) => tf.losses.huberLoss(t, p), () => [randomMatrix(n, 4, rand, -2, 2), randomMatrix(n, 4, rand, -1, 1)]],
  ];

  it("every loss in the table has a TF.js twin here", () => {
    const names = new Set(Object.values(LOSSES).map((l) => l.name));
    expect([...names].sort()).toEqual(CASES.map(([name]) => name).sort());
  });

  for (const [name, tfName, data] of CASES) {
    it(`${name}: loss to ${LOSS_TOL}, ∂L/∂p to ${GRAD_TOL} of its largest entry`, () => {
      const theirs = typeof tfName === "string" ? tfjsLoss(tfName) : tfName;
      const [p, t] = data();
      const r = compareLoss(LOSSES[name], theirs, p, t);
      expect(r.loss, `${name}: ${r.ours} vs ${r.value}`).toBeLessThan(LOSS_TOL);
      expect(r.grad.max, `${name} ∂L/∂p: largest difference ${r.grad.max} at ${r.grad.at}: ${r.dp[r.grad.at]} vs ${r.theirGrad[r.grad.at]}`).toBeLessThan(GRAD_TOL);
    });
  }

  it("binary_crossentropy where the clip is active (p = 0, 1, 1e-9): the same 15.942385-sized terms and zero gradient", () => {
    const p = Matrix.fromArray([[1, 0, 1e-9, 0.5], [0, 1, 1 - 1e-9, 0.25]]);
    const t = Matrix.fromArray([[0, 1, 1, 1], [0, 1, 0, 0]]);
    const r = compareLoss(LOSSES.binary_crossentropy, tfjsLoss("binaryCrossentropy"), p, t);
    expect(r.loss, `${r.ours} vs ${r.value}`).toBeLessThan(LOSS_TOL);
    expect(r.grad.max, `largest difference ${r.grad.max} at ${r.grad.at}`).toBeLessThan(GRAD_TOL);
  });

  it("sparse_categorical_crossentropy with a zero probability on the target: same loss; TF.js's second clip zeroes that row's gradient", () => {
    const p = Matrix.fromArray([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
    const t = new Matrix(2, 1, [2, 1]);
    const r = compareLoss(LOSSES.sparse_categorical_crossentropy, tfjsLoss("sparseCategoricalCrossentropy"), p, t);
    expect(r.loss, `${r.ours} vs ${r.value}`).toBeLessThan(LOSS_TOL);
    // Row 0: q = clip(p) = [0.05, 0.95, 1e-7], s = Σq. Keras 3 (log q as logits) gives
    // 1/(n·s) to the other classes, 0 to the clipped target; TF.js clips q_t/s ≈ 0.99999990e-7
    // again, below 1e-7, so its whole row is 0. Row 1 (nothing clipped) agrees.
    const s = Math.fround(0.05) + Math.fround(0.95) + Math.fround(1e-7);
    expect(Array.from(r.dp.slice(0, 3))).toEqual([1 / s / 2, 1 / s / 2, 0].map(Math.fround));
    expect(Array.from(r.theirGrad.slice(0, 3), Math.abs)).toEqual([0, 0, 0]);
    const row1 = largestDifference(r.dp.slice(3), r.theirGrad.slice(3));
    expect(row1.max, `row 1: largest difference ${row1.max} at ${row1.at}`).toBeLessThan(GRAD_TOL);
  });

  // The fused gradients against TF.js differentiating the loss through the activation.
  it.each([
    ["sparse_categorical_crossentropy", "sparseCategoricalCrossentropy", "softmax"],
    ["categorical_crossentropy", "categoricalCrossentropy", "softmax"],
    ["binary_crossentropy", "binaryCrossentropy", "sigmoid"],
  ] as const)("fused %s (TF.js %s) after %s: ∂L/∂z", (name, tfName, activation) => {
    const loss = LOSSES[name];
    const z = randomMatrix(n, 4, rand, -3, 3);
    const t = name.startsWith("sparse") ? new Matrix(n, 1, Array.from({ length: n }, () => Math.floor(rand() * 4)))
      : name.startsWith("binary") ? binaryTargets(n, 4) : randomOneHot(n, 4, rand);
    const act = activation === "softmax" ? tf.softmax : tf.sigmoid;
    const p = new Matrix(n, 4, tf.tidy(() => act(toTensor(z)).dataSync() as Float32Array).slice());
    const dz = new Matrix(n, 4);
    loss.fused!.backward(dz, p, t);
    const theirs = tfjsLoss(tfName);
    const grad = tf.tidy(() => tf.grad((v: tf.Tensor) => theirs(toTensor(t), act(v)))(toTensor(z)).dataSync());
    const d = largestDifference(dz.data, grad);
    expect(d.max, `${name} ∂L/∂z: largest difference ${d.max} at ${d.at}: ${dz.data[d.at]} vs ${grad[d.at]}`).toBeLessThan(GRAD_TOL);
  });
});

describe("metrics agree with TensorFlow.js", () => {
  beforeAll(useTfjsCpu);
  const rand = lcg(67);
  const n = 40;

  it.each([
    ["binaryAccuracy", binaryAccuracy, () => [randomMatrix(n, 3, rand, 0, 1), randomOneHot(n, 3, rand)]],
    ["categoricalAccuracy", categoricalAccuracy, () => [randomMatrix(n, 6, rand, 0, 1), randomOneHot(n, 6, rand)]],
    ["sparseCategoricalAccuracy", sparseCategoricalAccuracy, () => [randomMatrix(n, 6, rand, 0, 1), new Matrix(n, 1, Array.from({ length: n }, () => Math.floor(rand() * 6)))]],
  ] as const)("%s", (tfName, ours, data) => {
    const [p, t] = data();
    const theirs = tf.tidy(() => tf.mean(tf.metrics[tfName](toTensor(t), toTensor(p))).dataSync()[0]);
    expect(ours(p, t)).toBeCloseTo(theirs, 6);
  });

  // compile({ metrics: ["accuracy"] }) in both engines, evaluated on p itself
  // (an identity Dense: the model's output is its input).
  it.each([
    ["binary_crossentropy", "binaryCrossentropy", 3],
    ["sparse_categorical_crossentropy", "sparseCategoricalCrossentropy", 4],
    ["categorical_crossentropy", "categoricalCrossentropy", 4],
    ["mean_squared_error", "meanSquaredError", 1],
  ] as const)('"accuracy" with %s (TF.js %s) on %i columns: the same metric, the same loss', async (name, tfName, c) => {
    const loss = LOSSES[name];
    const p = randomMatrix(n, c, rand, 0.01, 0.99);
    const t = loss.sparse ? new Matrix(n, 1, Array.from({ length: n }, () => Math.floor(rand() * c)))
      : name === "categorical_crossentropy" ? randomOneHot(n, c, rand)
      : new Matrix(n, c, Array.from({ length: n * c }, () => (rand() < 0.5 ? 0 : 1))); // independent 0/1 labels
    const model = tf.sequential({ layers: [tf.layers.dense({ units: c, inputShape: [c], useBias: false, kernelInitializer: "identity" })] });
    model.compile({ optimizer: "sgd", loss: tfName, metrics: ["accuracy"] });
    const [theirLoss, theirAcc] = tf.tidy(() => (model.evaluate(toTensor(p), toTensor(t), { batchSize: n }) as tf.Scalar[]).map((s) => s.dataSync()[0]));
    model.dispose();
    expect(Math.abs(loss.forward(p, t) - theirLoss) / theirLoss).toBeLessThan(LOSS_TOL);
    expect(resolveMetric("accuracy", loss, c)(p, t)).toBeCloseTo(theirAcc, 6);
  });
});
