// Losses and metrics (src/losses/): values worked out by hand (many are the
// examples in Keras 3's docstrings), finite-difference checks of every loss and
// every fused gradient on the targets each one really takes, the metric rules
// of compile(), and the name tables.
import { describe, it, expect } from "vitest";
import { Matrix, Activation, LOSSES, toCategorical, type ActivationName } from "../src/core.js";
import {
  getLoss, getMetric, resolveMetric, toClassIndices,
  binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy, meanSquaredError, meanAbsoluteError, huber,
  binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy,
  softmaxCrossEntropyBackward, softmaxSparseCrossentropyBackward, sigmoidBinaryCrossentropyBackward,
  type Loss,
} from "../src/losses/index.js";
import { P_MIN, P_MAX } from "../src/losses/clip.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { numericGradient, relativeError, TOLERANCE } from "./helpers/gradcheck.js";

const M = (rows: number[][]) => Matrix.fromArray(rows);
const labels = (ks: number[]) => new Matrix(ks.length, 1, ks);
const f32 = Math.fround;

/** m with every entry replaced by f(entry), in place. */
function mapInPlace(m: Matrix, f: (v: number) => number): Matrix {
  m.data.forEach((v, i) => (m.data[i] = f(v)));
  return m;
}

function gradient(loss: Loss, p: Matrix, t: Matrix): number[] {
  const dp = new Matrix(p.rows, p.cols);
  loss.backward(dp, p, t);
  return Array.from(dp.data);
}

describe("loss values worked out by hand", () => {
  // Keras docstring data: y_true = [[0, 1], [0, 0]], y_pred = [[0.6, 0.4], [0.4, 0.6]].
  const kt = M([[0, 1], [0, 0]]), kp = M([[0.6, 0.4], [0.4, 0.6]]);

  it("binary_crossentropy: Keras's example, per sample [0.916, 0.714], mean 0.815", () => {
    const s1 = -(Math.log(f32(0.4)) + Math.log(1 - f32(0.6))) / 2; // 0.9162907
    const s2 = -(Math.log(1 - f32(0.4)) + Math.log(1 - f32(0.6))) / 2; // 0.7135582
    expect(s1).toBeCloseTo(0.916291, 6);
    expect(s2).toBeCloseTo(0.713558, 6);
    expect(binaryCrossentropy.forward(kp, kt)).toBeCloseTo((s1 + s2) / 2, 12);
  });

  it("binary_crossentropy clips p to the float32 [1e-7, 1 − 1e-7]: p = 1 vs t = 0 costs −log(2⁻²³) = 15.942385, p = 0 vs t = 1 costs −log(1e-7)", () => {
    expect(P_MIN).toBe(1.0000000116860974e-7);
    expect(P_MAX).toBe(0.9999998807907104);
    const p = M([[1, 0]]), wrong = M([[0, 1]]), right = M([[1, 0]]);
    expect(binaryCrossentropy.forward(p, wrong)).toBeCloseTo((-Math.log(2 ** -23) - Math.log(P_MIN)) / 2, 10);
    expect(-Math.log(2 ** -23)).toBeCloseTo(15.942385, 6);
    expect(binaryCrossentropy.forward(p, right)).toBeCloseTo((-Math.log(P_MAX) - Math.log(1 - P_MIN)) / 2, 14); // ≈ 1.1e-7
    // Outside the clip range the gradient is 0, as TensorFlow's clip_by_value gradient.
    expect(gradient(binaryCrossentropy, p, wrong)).toEqual([0, 0]);
  });

  it("binary_crossentropy's gradient inside the range: (q − t) / (q(1 − q)) / (n·c)", () => {
    const p = M([[0.25, 0.5]]), t = M([[1, 0]]);
    const g = gradient(binaryCrossentropy, p, t);
    expect(g[0]).toBeCloseTo((0.25 - 1) / (0.25 * 0.75) / 2, 6); // −2
    expect(g[1]).toBeCloseTo(0.5 / 0.25 / 2, 6); // 1
  });

  it("mean_absolute_error: Keras's example gives 0.5; the slope at d = 0 is 0", () => {
    expect(meanAbsoluteError.forward(M([[1, 1], [1, 0]]), kt)).toBe(0.5);
    const p = M([[1, -2], [0.5, 0.5]]), t = M([[0, 0], [0.5, 1]]);
    expect(meanAbsoluteError.forward(p, t)).toBe((1 + 2 + 0 + 0.5) / 4);
    expect(gradient(meanAbsoluteError, p, t)).toEqual([0.25, -0.25, 0, -0.25]);
  });

  it("mean_squared_error: Keras's example gives 0.5; on the data above (0.36·3 + 0.16)/4 = 0.31", () => {
    expect(meanSquaredError.forward(M([[1, 1], [1, 0]]), kt)).toBe(0.5);
    expect(meanSquaredError.forward(kp, kt)).toBeCloseTo(0.31, 7);
  });

  it("huber (δ = 1): Keras's example gives 0.155; ½d² inside |d| ≤ 1, |d| − ½ outside", () => {
    expect(huber.forward(kp, kt)).toBeCloseTo(0.155, 7);
    const p = M([[0.5, 2, -3, 1]]), t = M([[0, 0, 0, 0]]);
    expect(huber.forward(p, t)).toBe((0.125 + 1.5 + 2.5 + 0.5) / 4);
    expect(gradient(huber, p, t)).toEqual([0.5 / 4, 1 / 4, -1 / 4, 1 / 4]);
  });

  it("sparse_categorical_crossentropy: Keras's example, labels [1, 2], gives 1.177 (the 0 is clipped to 1e-7)", () => {
    const p = M([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
    const expected = (Math.log(f32(0.05) + f32(0.95) + P_MIN) - Math.log(f32(0.95)) + Math.log(f32(0.1) + f32(0.8) + f32(0.1)) - Math.log(f32(0.1))) / 2;
    expect(expected).toBeCloseTo(1.177, 3);
    expect(sparseCategoricalCrossentropy.forward(p, labels([1, 2]))).toBeCloseTo(expected, 12);
  });

  it("sparse_categorical_crossentropy equals categorical_crossentropy on the one-hot rows, value and gradient", () => {
    const rand = lcg(3);
    const p = randomMatrix(7, 4, rand, 0.05, 1); // unnormalised: exercises the 1/s terms
    const ks = Array.from({ length: 7 }, () => Math.floor(rand() * 4));
    const oneHot = toCategorical(Uint8Array.from(ks), 4);
    expect(sparseCategoricalCrossentropy.forward(p, labels(ks))).toBeCloseTo(categoricalCrossentropy.forward(p, oneHot), 12);
    const a = gradient(sparseCategoricalCrossentropy, p, labels(ks)), b = gradient(categoricalCrossentropy, p, oneHot);
    expect(relativeError(a, b).error).toBeLessThan(1e-6);
  });
});

describe("finite-difference gradient checks, on the targets each loss takes", () => {
  // The generic loop in gradcheck.test.ts gives every loss one-hot targets and p in
  // [0.05, 1); here binary cross-entropy gets p in [0.05, 0.95] (near 1 with t = 0 its
  // curvature 1/(1 − p)² makes the centred difference at h = 1e-3 itself inaccurate),
  // the sparse loss gets class indices, and mae/huber get errors away from their kinks.
  const rand = lcg(17);
  const n = 6, c = 5;
  const awayFrom = (m: Matrix, t: Matrix, kinks: number[]) => {
    for (let i = 0; i < m.data.length; i++) while (kinks.some((k) => Math.abs(m.data[i] - t.data[i] - k) < 0.01)) m.data[i] += 0.05;
    return m;
  };
  const DATA: Record<string, () => [Matrix, Matrix]> = {
    categorical_crossentropy: () => [randomMatrix(n, c, rand, 0.05, 1), randomOneHot(n, c, rand)],
    sparse_categorical_crossentropy: () => [randomMatrix(n, c, rand, 0.05, 1), labels(Array.from({ length: n }, () => Math.floor(rand() * c)))],
    binary_crossentropy: () => [randomMatrix(n, c, rand, 0.05, 0.95), mapInPlace(randomMatrix(n, c, rand, 0, 1), (v) => (v < 0.3 ? 0 : v < 0.6 ? 1 : v))],
    mean_squared_error: () => [randomMatrix(n, c, rand, -2, 2), randomMatrix(n, c, rand, -2, 2)],
    mean_absolute_error: () => { const t = randomMatrix(n, c, rand, -2, 2); return [awayFrom(randomMatrix(n, c, rand, -2, 2), t, [0]), t]; },
    huber: () => { const t = randomMatrix(n, c, rand, -2, 2); return [awayFrom(randomMatrix(n, c, rand, -2, 2), t, [-1, 1]), t]; },
  };
  for (const name of Object.keys(LOSSES)) {
    it(`loss "${name}"`, () => {
      const loss = LOSSES[name];
      const make = DATA[loss.name];
      expect(make, `no test data for loss "${loss.name}"`).toBeDefined();
      const [p, t] = make();
      const dp = gradient(loss, p, t);
      const numeric = numericGradient(p.data, () => loss.forward(p, t), 1e-3);
      const { error, worst } = relativeError(dp, numeric);
      expect(error, `${name}: relative error ${error}, worst at p = ${p.data[worst]}: ${dp[worst]} vs ${numeric[worst]}`).toBeLessThan(TOLERANCE);
    });
  }
});

describe("fused gradients: ∂L/∂z through the last activation", () => {
  const rand = lcg(29);

  function checkFused(loss: Loss, activation: ActivationName, z: Matrix, t: Matrix): void {
    expect(loss.fused?.activation).toBe(activation);
    const act = new Activation(activation);
    act.build(z.cols);
    const L = () => loss.forward(act.forward(z, false), t);
    const dz = new Matrix(z.rows, z.cols);
    loss.fused!.backward(dz, act.forward(z, false), t);
    const { error } = relativeError(dz.data, numericGradient(z.data, L));
    expect(error, `${loss.name} after ${activation}: relative error ${error}`).toBeLessThan(TOLERANCE);
  }

  it("softmax + sparse categorical cross-entropy: (p − onehot(k))/n is ∂L/∂z", () => {
    checkFused(sparseCategoricalCrossentropy, "softmax", randomMatrix(6, 5, rand, -3, 3), labels([0, 4, 2, 2, 1, 3]));
  });

  it("it is the one-hot fused gradient, without the one-hot matrix", () => {
    const p = randomMatrix(5, 4, rand, 0, 1);
    const ks = [3, 0, 1, 1, 2];
    const a = new Matrix(5, 4), b = new Matrix(5, 4);
    softmaxSparseCrossentropyBackward(a, p, labels(ks));
    softmaxCrossEntropyBackward(b, p, toCategorical(ks, 4));
    expect(Array.from(a.data)).toEqual(Array.from(b.data)); // bit for bit: switching to labels changes no training step
  });

  it("sigmoid + binary cross-entropy: (p − t)/(n·c) is ∂L/∂z (z in [-3, 3], so no p is clipped)", () => {
    const t = mapInPlace(randomMatrix(6, 3, rand, 0, 1), (v) => (v < 0.5 ? 0 : 1));
    checkFused(binaryCrossentropy, "sigmoid", randomMatrix(6, 3, rand, -3, 3), t);
    const p = M([[0.25, 0.75]]), dz = new Matrix(1, 2);
    sigmoidBinaryCrossentropyBackward(dz, p, M([[1, 1]]));
    expect(Array.from(dz.data)).toEqual([-0.375, -0.125]);
  });

  it("softmax + categorical cross-entropy keeps its fused path; regression losses have none", () => {
    expect(categoricalCrossentropy.fused?.backward).toBe(softmaxCrossEntropyBackward);
    for (const loss of [meanSquaredError, meanAbsoluteError, huber]) expect(loss.fused).toBeUndefined();
    expect(sparseCategoricalCrossentropy.sparse).toBe(true);
  });
});

describe("metrics", () => {
  // Keras docstring examples.
  it("binary_accuracy: [[1],[1],[0],[0]] vs [[0.98],[1],[0],[0.6]] → 0.75; 0.5 itself counts as 0", () => {
    expect(binaryAccuracy(M([[0.98], [1], [0], [0.6]]), M([[1], [1], [0], [0]]))).toBe(0.75);
    expect(binaryAccuracy(M([[0.5, 0.51]]), M([[0, 1]]))).toBe(1);
  });

  it("categorical_accuracy and sparse_categorical_accuracy: Keras's examples → 0.5", () => {
    const p = M([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]);
    expect(categoricalAccuracy(p, M([[0, 0, 1], [0, 1, 0]]))).toBe(0.5);
    expect(sparseCategoricalAccuracy(M([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]), labels([2, 1]))).toBe(0.5);
  });

  it("top_k (k = 5): in the five largest; ties at the boundary count as in (TensorFlow's in_top_k)", () => {
    const p = M([
      [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], // class 5 is 6th of 6: out
      [0.1, 0.1, 0.1, 0.1, 0.1, 0.1], // all tied: in
      [0.5, 0.4, 0.3, 0.2, 0.1, 0.0], // class 4 is 5th: in
    ]);
    const ks = [5, 5, 4];
    expect(sparseTopKCategoricalAccuracy(p, labels(ks))).toBeCloseTo(2 / 3, 12);
    expect(topKCategoricalAccuracy(p, toCategorical(ks, 6))).toBeCloseTo(2 / 3, 12);
    // With 5 classes or fewer every target is in the top 5.
    expect(sparseTopKCategoricalAccuracy(M([[0.9, 0.05, 0.05]]), labels([2]))).toBe(1);
  });

  it("mse and mae as metrics are the losses' values", () => {
    const p = M([[1, -2]]), t = M([[0, 0]]);
    expect(getMetric("mse")(p, t)).toBe(2.5);
    expect(getMetric("mean_absolute_error")(p, t)).toBe(1.5);
    expect(getMetric("MAE")(p, t)).toBe(1.5);
  });

  it('"accuracy" in the table decides from the shapes, as Keras 3', () => {
    const acc = getMetric("accuracy");
    expect(acc(M([[0.7], [0.2]]), M([[1], [1]]))).toBe(0.5); // 1 column: binary
    expect(acc(M([[0.1, 0.9], [0.8, 0.2]]), labels([1, 1]))).toBe(0.5); // t (n, 1), p wider: sparse
    expect(acc(M([[0.1, 0.9], [0.8, 0.2]]), M([[0, 1], [0, 1]]))).toBe(0.5); // otherwise categorical
  });
});

describe("resolveMetric: what compile() reports for each metric name", () => {
  const cce = categoricalCrossentropy, scce = sparseCategoricalCrossentropy, bce = binaryCrossentropy;

  it.each([
    ["accuracy", cce, 10, categoricalAccuracy],
    ["accuracy", scce, 10, sparseCategoricalAccuracy],
    ["accuracy", bce, 3, binaryAccuracy], // tf.keras and TF.js; Keras 3 would pick categorical here
    ["accuracy", bce, 1, binaryAccuracy],
    ["accuracy", meanSquaredError, 1, binaryAccuracy], // one output column
    ["acc", cce, 4, categoricalAccuracy],
    ["Accuracy", scce, 4, sparseCategoricalAccuracy],
    ["categorical_accuracy", cce, 4, categoricalAccuracy],
    ["sparseCategoricalAccuracy", scce, 4, sparseCategoricalAccuracy],
    ["top_k_categorical_accuracy", cce, 10, topKCategoricalAccuracy],
    ["sparse_top_k_categorical_accuracy", scce, 10, sparseTopKCategoricalAccuracy],
    ["binary_accuracy", bce, 3, binaryAccuracy],
  ] as const)("%s with %s on %i columns", (name, loss, cols, expected) => {
    expect(resolveMetric(name, loss, cols)).toBe(expected);
  });

  it("with the output width unknown yet, accuracy is decided per batch from the shapes", () => {
    expect(resolveMetric("accuracy", cce, undefined)).toBe(getMetric("accuracy"));
    expect(resolveMetric("accuracy", bce, undefined)).toBe(binaryAccuracy);
  });

  it.each([
    ["categorical_accuracy", scce, /metric "categorical_accuracy" reads targets shaped like the output, but loss "sparse_categorical_crossentropy" takes class indices; use "sparse_categorical_accuracy" or "accuracy"/],
    ["sparse_categorical_accuracy", cce, /metric "sparse_categorical_accuracy" reads class indices, but loss "categorical_crossentropy" takes targets shaped like the output; use "categorical_accuracy" or "accuracy"/],
    ["mse", scce, /metric "mse" reads targets shaped like the output, but loss "sparse_categorical_crossentropy" takes class indices; use "accuracy"/],
    ["acuracy", cce, /unknown metric "acuracy"; known metrics: accuracy, acc, binary_accuracy/],
  ] as const)("%s with %s is an error", (name, loss, message) => {
    expect(() => resolveMetric(name, loss, 10)).toThrow(message);
  });
});

describe("name tables", () => {
  it.each([
    ["binary_crossentropy", binaryCrossentropy], ["binaryCrossentropy", binaryCrossentropy], ["BinaryCrossentropy", binaryCrossentropy], ["bce", binaryCrossentropy],
    ["sparse_categorical_crossentropy", sparseCategoricalCrossentropy], ["sparseCategoricalCrossentropy", sparseCategoricalCrossentropy],
    ["categorical_crossentropy", categoricalCrossentropy], ["categoricalCrossentropy", categoricalCrossentropy],
    ["mean_squared_error", meanSquaredError], ["mse", meanSquaredError], ["MSE", meanSquaredError], ["meanSquaredError", meanSquaredError],
    ["mean_absolute_error", meanAbsoluteError], ["mae", meanAbsoluteError], ["meanAbsoluteError", meanAbsoluteError],
    ["huber", huber], ["Huber", huber],
  ] as const)("loss %s", (name, loss) => {
    expect(getLoss(name)).toBe(loss);
  });

  it("each loss reports its Keras name; unknown names list the known ones, categorical_crossentropy first", () => {
    expect(getLoss("bce").name).toBe("binary_crossentropy");
    expect(getLoss("mae").name).toBe("mean_absolute_error");
    expect(() => getLoss("huber_loss")).toThrow(/unknown loss "huber_loss"; known losses: categorical_crossentropy, .*huber/);
  });
});

describe("toClassIndices: integer labels as the (n, 1) targets of a sparse loss", () => {
  it("takes typed arrays, number[], an (n, 1) Matrix or [[k], ...] and copies them", () => {
    const want = [3, 0, 9];
    for (const y of [Uint8Array.from(want), Int32Array.from(want), want, labels(want), want.map((k) => [k])]) {
      const t = toClassIndices("fit", y, 10);
      expect([t.rows, t.cols]).toEqual([3, 1]);
      expect(Array.from(t.data)).toEqual(want);
      expect(t).not.toBe(y);
    }
  });

  it.each([
    [[0, 1.5], /fit: y holds 1\.5 at row 1; sparse_categorical_crossentropy expects integer class indices 0 … 9 \(the model has 10 outputs\)/],
    [[10], /fit: y holds 10 at row 0; .*0 … 9/],
    [[-1], /fit: y holds -1 at row 0/],
    [[0, NaN], /fit: y holds NaN at row 1/],
    [["3"], /fit: y holds "3" at row 0/],
    [new Matrix(2, 10), /fit: y must be class indices for sparse_categorical_crossentropy \(n integer labels, or an \[n, 1\] Matrix\), got a Matrix of shape \[2, 10\]; for one-hot rows use loss "categorical_crossentropy"/],
    [[[0, 1], [1, 0]], /got row 0 with 2 values; for one-hot rows use loss "categorical_crossentropy"/],
    [[], /fit: y is empty/],
    ["0123", /fit: y must be class indices .*, got "0123"/],
  ])("%j is refused", (y, message) => {
    expect(() => toClassIndices("fit", y, 10)).toThrow(message);
  });
});
