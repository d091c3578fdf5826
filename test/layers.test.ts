// Dropout, BatchNormalization, the initializers and the regularizers: gradient
// checks (tolerances explained in helpers/gradcheck.ts), training-vs-inference
// behaviour, a hand-computed batch-norm fixture and initializer statistics.
import { describe, it, expect } from "vitest";
import { Matrix, Dense, Activation, Sequential, SGD, setRandomSeed, allocationCount } from "../src/core.js";
import type { Layer } from "../src/core.js";
import { Dropout } from "../src/layers/dropout.js";
import { fillUint32, nextUint32, uniform } from "../src/tensor/random.js";
import { BatchNormalization } from "../src/layers/batch-normalization.js";
import { INITIALIZERS, getInitializer, TRUNCATED_STDDEV } from "../src/layers/initializers.js";
import { l1, l2, l1l2, L1L2, getRegularizer } from "../src/layers/regularizers.js";
import { lcg, randomMatrix, blobs } from "./helpers/data.js";
import { checkLayer } from "./helpers/gradcheck.js";

function setValues(m: Matrix, rand: () => number, lo: number, hi: number): void {
  for (let i = 0; i < m.data.length; i++) m.data[i] = lo + (hi - lo) * rand();
}

function stats(a: Float32Array): { mean: number; std: number; maxAbs: number } {
  let s = 0, sq = 0, maxAbs = 0;
  for (const v of a) {
    s += v;
    sq += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(sq / a.length - mean * mean), maxAbs };
}

/** Column means and biased standard deviations of m. */
function columnStats(m: Matrix): { mean: number[]; std: number[] } {
  const mean: number[] = [], std: number[] = [];
  for (let j = 0; j < m.cols; j++) {
    let s = 0, sq = 0;
    for (let i = 0; i < m.rows; i++) s += m.data[i * m.cols + j];
    const mu = s / m.rows;
    for (let i = 0; i < m.rows; i++) sq += (m.data[i * m.cols + j] - mu) ** 2;
    mean.push(mu);
    std.push(Math.sqrt(sq / m.rows));
  }
  return { mean, std };
}

describe("finite-difference gradient checks", () => {
  const rand = lcg(21);

  it("Dropout(0.4) in training: dx = dy ⊙ mask (the mask repeated by reseeding)", () => {
    const layer = new Dropout(0.4);
    layer.build(8);
    const x = randomMatrix(6, 8, rand);
    checkLayer(layer, x, rand, true, () => setRandomSeed(7));
    expect(layer.params()).toEqual([]);
  });

  it("Dropout at inference: dx = dy", () => {
    const layer = new Dropout(0.4);
    layer.build(5);
    checkLayer(layer, randomMatrix(3, 5, rand), rand, false);
  });

  it("BatchNormalization in training: dx, dgamma, dbeta through the batch statistics", () => {
    setRandomSeed(1);
    const layer = new BatchNormalization();
    layer.build(5);
    const [gamma, beta] = layer.params();
    setValues(gamma.value, rand, 0.5, 2);
    setValues(beta.value, rand, -1, 1);
    // Columns with different offsets and spreads.
    const x = randomMatrix(7, 5, rand);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) x.data[i * 5 + j] = x.data[i * 5 + j] * (j + 1) + j;
    checkLayer(layer, x, rand);
  });

  it("BatchNormalization in inference: dx, dgamma, dbeta with the moving statistics fixed", () => {
    const layer = new BatchNormalization({ momentum: 0.5 });
    layer.build(4);
    setValues(layer.params()[0].value, rand, 0.5, 2);
    layer.forward(randomMatrix(10, 4, rand, 0, 3), true); // moves the moving statistics away from 0 and 1
    checkLayer(layer, randomMatrix(5, 4, rand), rand, false);
  });

  for (const [center, scale] of [[false, true], [true, false], [false, false]]) {
    it(`BatchNormalization({ center: ${center}, scale: ${scale} }) in training`, () => {
      const layer = new BatchNormalization({ center, scale });
      layer.build(3);
      expect(layer.params().map((p) => p.name)).toEqual([...(scale ? ["gamma"] : []), ...(center ? ["beta"] : [])]);
      checkLayer(layer, randomMatrix(6, 3, rand, -2, 2), rand);
    });
  }

  for (const [what, kernelRegularizer, biasRegularizer] of [
    ["l2(0.05) kernel", l2(0.05), undefined],
    ["l1(0.05) kernel, l2 bias", l1(0.05), "l2"],
    ["l1l2 kernel and bias", l1l2({ l1: 0.02, l2: 0.03 }), l1l2()],
  ] as const) {
    it(`Dense with ${what}: loss = Σ y·r + regularizationLoss()`, () => {
      setRandomSeed(9);
      const layer = new Dense(6, { activation: "tanh", kernelRegularizer, biasRegularizer });
      layer.build(7);
      // |w| ≥ 0.1, so a step of h = 1e-2 never carries a weight across L1's kink at 0.
      for (const p of layer.params()) {
        setValues(p.value, rand, -1, 1);
        p.value.data.forEach((v, i, a) => (a[i] = v + (v < 0 ? -0.1 : 0.1)));
      }
      expect(layer.regularizationLoss()).toBeGreaterThan(0);
      checkLayer(layer, randomMatrix(5, 7, rand), rand);
    });
  }
});

describe("Dropout", () => {
  it("is the identity at inference: forward returns x, backward returns dy", () => {
    const layer = new Dropout(0.5);
    layer.build(4);
    const x = randomMatrix(3, 4, lcg(1));
    expect(layer.forward(x, false)).toBe(x);
    const dy = randomMatrix(3, 4, lcg(2));
    expect(layer.backward(dy)).toBe(dy);
  });

  it("in training zeroes about `rate` of the values and scales the rest by 1/(1 − rate)", () => {
    setRandomSeed(3);
    const rate = 0.3;
    const layer = new Dropout(rate);
    layer.build(100);
    const x = randomMatrix(200, 100, lcg(4), 0.5, 1.5); // no zeros in x
    const y = layer.forward(x, true);
    const scale = Math.fround(1 / (1 - rate));
    let zeros = 0, sumX = 0, sumY = 0;
    for (let i = 0; i < x.data.length; i++) {
      if (y.data[i] === 0) zeros++;
      else expect(y.data[i]).toBe(Math.fround(x.data[i] * scale));
      sumX += x.data[i];
      sumY += y.data[i];
    }
    // 20000 draws: the dropped fraction has a standard deviation of √(0.3·0.7/20000) ≈ 0.0032.
    expect(Math.abs(zeros / x.data.length - rate)).toBeLessThan(0.015);
    // Inverted dropout keeps the expected sum.
    expect(Math.abs(sumY / sumX - 1)).toBeLessThan(0.02);
    // The backward pass drops the same entries and scales the same way.
    const dy = new Matrix(200, 100);
    dy.data.fill(1);
    const dx = layer.backward(dy)!;
    for (let i = 0; i < x.data.length; i++) expect(dx.data[i]).toBe(y.data[i] === 0 ? 0 : scale);
  });

  it("keeps value i when the generator's i-th uniform draw is at least the rate (draws taken in bulk: the same stream)", () => {
    const rate = 0.37;
    const layer = new Dropout(rate);
    layer.build(30);
    const x = randomMatrix(7, 30, lcg(8), 1, 2);
    setRandomSeed(21);
    const y = layer.forward(x, true);
    const after = nextUint32(); // the stream goes on where the mask left it
    setRandomSeed(21);
    const scale = Math.fround(1 / (1 - rate));
    for (let i = 0; i < x.data.length; i++) expect(y.data[i], `value ${i}`).toBe(uniform() >= rate ? Math.fround(x.data[i] * scale) : 0);
    expect(nextUint32()).toBe(after);
  });

  it("fillUint32 gives the numbers nextUint32 gives one by one", () => {
    setRandomSeed(5);
    nextUint32();
    const bulk = new Uint32Array(1000);
    fillUint32(bulk);
    const next = nextUint32();
    setRandomSeed(5);
    nextUint32();
    for (let i = 0; i < 1000; i++) expect(bulk[i]).toBe(nextUint32());
    expect(nextUint32()).toBe(next);
  });

  it("draws a new mask every training forward; setRandomSeed makes masks reproducible", () => {
    const layer = new Dropout(0.5);
    layer.build(50);
    const x = randomMatrix(4, 50, lcg(5), 1, 2);
    setRandomSeed(11);
    const a = Float32Array.from(layer.forward(x, true).data);
    const b = Float32Array.from(layer.forward(x, true).data);
    setRandomSeed(11);
    const c = Float32Array.from(layer.forward(x, true).data);
    expect(a).not.toEqual(b);
    expect(c).toEqual(a);
  });

  it("with a seed, draws from its own stream: same seed, same masks, whatever the global generator did", () => {
    const x = randomMatrix(4, 50, lcg(6), 1, 2);
    const first = new Dropout(0.5, { seed: 42 });
    const second = new Dropout(0.5, { seed: 42 });
    first.build(50);
    second.build(50);
    setRandomSeed(1);
    const a = Float32Array.from(first.forward(x, true).data);
    setRandomSeed(2);
    const b = Float32Array.from(second.forward(x, true).data);
    expect(b).toEqual(a);
    expect(Float32Array.from(first.forward(x, true).data)).not.toEqual(a);
  });

  it("rate 0 is the identity even in training", () => {
    const layer = new Dropout(0);
    layer.build(3);
    const x = randomMatrix(2, 3, lcg(7));
    expect(layer.forward(x, true)).toBe(x);
  });

  it("checks its rate and options at the door", () => {
    expect(() => new Dropout(1)).toThrow("Dropout rate must be a number in [0, 1), the fraction of values to drop, got 1");
    expect(() => new Dropout(-0.1)).toThrow("got -0.1");
    expect(() => new Dropout(NaN)).toThrow("got NaN");
    expect(() => new Dropout("0.5" as unknown as number)).toThrow('got "0.5"');
    expect(() => new Dropout(0.5, { seed: 1.5 })).toThrow("Dropout(0.5) seed must be an integer, got 1.5");
    expect(() => new Dropout(0.5, { inputShape: [0] })).toThrow("Dropout(0.5) inputShape");
  });

  it("allocates nothing after the first batch", () => {
    const layer = new Dropout(0.5);
    layer.build(30);
    const x = randomMatrix(16, 30, lcg(8));
    layer.backward(layer.forward(x, true));
    const before = allocationCount().blocks;
    for (let k = 0; k < 3; k++) layer.backward(layer.forward(x, true));
    expect(allocationCount().blocks).toBe(before);
  });
});

describe("BatchNormalization", () => {
  it("hand-computed fixture: x = [[1, 2], [3, 6]], γ = [2, 0.5], β = [1, −1]", () => {
    const layer = new BatchNormalization();
    layer.build(2);
    const [gamma, beta] = layer.params();
    gamma.value.data.set([2, 0.5]);
    beta.value.data.set([1, -1]);
    // Column 0: μ = 2, σ² = 1, x̂ = ∓1/√1.001 = ∓0.99950037…
    // Column 1: μ = 4, σ² = 4, x̂ = ∓2/√4.001 = ∓0.99987502…
    const y = layer.forward(Matrix.fromArray([[1, 2], [3, 6]]), true);
    const expected = [-0.9990007493755464, -1.499937511716309, 2.999000749375546, -0.5000624882836909];
    expected.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 6));
    // Moving statistics from 0 and 1 with momentum 0.99: m = 0.01·μ, v = 0.99 + 0.01·σ².
    expect(Array.from(layer.movingMean.data)).toEqual([0.02, 0.04].map(Math.fround));
    expect(Array.from(layer.movingVariance.data)).toEqual([1, 1.03].map(Math.fround));
    // A constant upstream gradient: dβ = n = 2, dγ = Σ x̂ = 0, and dx = 0 (y does not move when
    // x shifts as a whole, so Σ y is flat along every column).
    const dy = Matrix.fromArray([[1, 1], [1, 1]]);
    const dx = layer.backward(dy)!;
    expect(Array.from(beta.grad.whole().data)).toEqual([2, 2]);
    gamma.grad.whole().data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
    dx.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
  });

  it("training normalizes with the batch's statistics: columns of mean β and spread γ", () => {
    const layer = new BatchNormalization({ epsilon: 1e-9 });
    layer.build(4);
    const [gamma, beta] = layer.params();
    gamma.value.data.set([1, 2, 0.5, 3]);
    beta.value.data.set([0, -1, 4, 0.5]);
    const x = randomMatrix(64, 4, lcg(9), -5, 20);
    const { mean, std } = columnStats(layer.forward(x, true));
    mean.forEach((m, j) => expect(m).toBeCloseTo(beta.value.data[j], 5));
    std.forEach((s, j) => expect(s).toBeCloseTo(gamma.value.data[j], 5));
  });

  it("inference normalizes with the moving statistics, which follow m ← m·momentum + μ·(1 − momentum)", () => {
    const momentum = 0.8;
    const layer = new BatchNormalization({ momentum });
    layer.build(3);
    const rand = lcg(10);
    setValues(layer.params()[0].value, rand, 0.5, 2);
    setValues(layer.params()[1].value, rand, -1, 1);
    let m = [0, 0, 0], v = [1, 1, 1];
    for (let step = 0; step < 3; step++) {
      const x = randomMatrix(20, 3, rand, -2, 6);
      const { mean, std } = columnStats(x);
      m = m.map((mj, j) => mj * momentum + mean[j] * (1 - momentum));
      v = v.map((vj, j) => vj * momentum + std[j] ** 2 * (1 - momentum)); // biased variance, as Keras
      layer.forward(x, true);
      m.forEach((mj, j) => expect(layer.movingMean.data[j]).toBeCloseTo(mj, 6));
      v.forEach((vj, j) => expect(layer.movingVariance.data[j]).toBeCloseTo(vj, 5));
    }
    // Inference: y = γ·(x − m)/√(v + ε) + β with the moving statistics, and they stay put.
    const x = randomMatrix(5, 3, rand, -2, 6);
    const savedMean = Float32Array.from(layer.movingMean.data);
    const y = layer.forward(x, false);
    const [g, b] = layer.params().map((p) => p.value.data);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 3; j++) {
        const mv = layer.movingMean.data[j], vv = layer.movingVariance.data[j];
        expect(y.data[i * 3 + j]).toBeCloseTo((g[j] * (x.data[i * 3 + j] - mv)) / Math.sqrt(vv + 1e-3) + b[j], 5);
      }
    }
    expect(layer.movingMean.data).toEqual(savedMean);
    // The same rows in training mode use the batch's own statistics instead: a different output.
    const yTrain = Float32Array.from(layer.forward(x, true).data);
    expect(yTrain).not.toEqual(Float32Array.from(layer.forward(x, false).data));
  });

  it("weights() lists gamma, beta, moving_mean, moving_variance (Keras's order); params() the first two", () => {
    const layer = new BatchNormalization();
    layer.build(6);
    expect(layer.weights().map((w) => [w.name, w.trainable, w.value.rows, w.value.cols])).toEqual([
      ["gamma", true, 1, 6], ["beta", true, 1, 6], ["moving_mean", false, 1, 6], ["moving_variance", false, 1, 6],
    ]);
    expect(layer.params().map((p) => p.name)).toEqual(["gamma", "beta"]);
    expect(Array.from(layer.weights()[0].value.data)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(layer.weights()[3].value.data)).toEqual([1, 1, 1, 1, 1, 1]);
    const bare = new BatchNormalization({ center: false, scale: false });
    bare.build(2);
    expect(bare.weights().map((w) => w.name)).toEqual(["moving_mean", "moving_variance"]);
    const dense = new Dense(3);
    dense.build(2);
    expect(dense.weights().map((w) => [w.name, w.trainable])).toEqual([["kernel", true], ["bias", true]]);
    expect(new Dropout(0.1).weights()).toEqual([]);
  });

  it("checks its options at the door", () => {
    expect(() => new BatchNormalization({ momentum: 1.5 })).toThrow("BatchNormalization momentum must be a number in [0, 1], got 1.5");
    expect(() => new BatchNormalization({ epsilon: 0 })).toThrow("BatchNormalization epsilon must be a positive number, got 0");
    expect(() => new BatchNormalization({ center: "yes" as unknown as boolean })).toThrow('center must be true or false, got "yes"');
    expect(() => new BatchNormalization({ gammaInitializer: "glorot" as never })).toThrow("unknown initializer \"glorot\"");
    const layer = new BatchNormalization();
    expect(() => layer.forward(new Matrix(2, 3), true)).toThrow("BatchNormalization() is not built yet");
    layer.build(3);
    expect(() => layer.forward(new Matrix(2, 4), true)).toThrow("BatchNormalization() expects input of 3 columns, got [2, 4]");
  });

  it("allocates nothing after the first batch", () => {
    const layer = new BatchNormalization();
    layer.build(30);
    const x = randomMatrix(16, 30, lcg(8));
    layer.backward(layer.forward(x, true));
    const before = allocationCount().blocks;
    for (let k = 0; k < 3; k++) layer.backward(layer.forward(x, k % 2 === 0));
    expect(allocationCount().blocks).toBe(before);
  });
});

describe("initializers: Keras 3's formulas, checked on 400 x 600 draws (240,000 values)", () => {
  const fanIn = 400, fanOut = 600;
  // Sampling error of the standard deviation over N values ≈ σ/√(2N) ≈ 0.15% of σ; allow 1%.
  const cases: [string, { limit: number; std: number }][] = [
    ["glorot_uniform", { limit: Math.sqrt(6 / (fanIn + fanOut)), std: Math.sqrt(2 / (fanIn + fanOut)) }],
    ["he_uniform", { limit: Math.sqrt(6 / fanIn), std: Math.sqrt(2 / fanIn) }],
    ["lecun_uniform", { limit: Math.sqrt(3 / fanIn), std: Math.sqrt(1 / fanIn) }],
    ["random_uniform", { limit: 0.05, std: 0.05 / Math.sqrt(3) }],
    // Truncated normals: all values within 2σ_draw = 2·√(s/fan)/0.8796…, and standard deviation √(s/fan).
    ["glorot_normal", { limit: (2 * Math.sqrt(2 / (fanIn + fanOut))) / TRUNCATED_STDDEV, std: Math.sqrt(2 / (fanIn + fanOut)) }],
    ["he_normal", { limit: (2 * Math.sqrt(2 / fanIn)) / TRUNCATED_STDDEV, std: Math.sqrt(2 / fanIn) }],
    ["lecun_normal", { limit: (2 * Math.sqrt(1 / fanIn)) / TRUNCATED_STDDEV, std: Math.sqrt(1 / fanIn) }],
    ["truncated_normal", { limit: 0.1, std: 0.05 * TRUNCATED_STDDEV }],
  ];
  for (const [name, { limit, std }] of cases) {
    it(`${name}: |w| ≤ ${limit.toPrecision(4)}, std ${std.toPrecision(4)}, mean 0`, () => {
      setRandomSeed(12);
      const w = new Matrix(fanIn, fanOut);
      getInitializer(name)(w, fanIn, fanOut);
      const s = stats(w.data);
      expect(s.maxAbs).toBeLessThanOrEqual(Math.fround(limit));
      expect(s.maxAbs).toBeGreaterThan(0.99 * limit); // the range is used to its edge
      expect(Math.abs(s.std / std - 1)).toBeLessThan(0.01);
      expect(Math.abs(s.mean)).toBeLessThan((4 * std) / Math.sqrt(w.data.length));
    });
  }

  it("random_normal: N(0, 0.05²), not truncated (about 4.6% of values beyond 2σ)", () => {
    setRandomSeed(13);
    const w = new Matrix(fanIn, fanOut);
    getInitializer("random_normal")(w, fanIn, fanOut);
    const s = stats(w.data);
    expect(Math.abs(s.std / 0.05 - 1)).toBeLessThan(0.01);
    expect(Math.abs(s.mean)).toBeLessThan((4 * 0.05) / Math.sqrt(w.data.length));
    const beyond = w.data.filter((v) => Math.abs(v) > 0.1).length / w.data.length;
    expect(Math.abs(beyond - 0.0455)).toBeLessThan(0.003);
  });

  it("zeros and ones; both spellings; unknown names list the known ones", () => {
    const w = new Matrix(2, 3);
    getInitializer("ones")(w, 2, 3);
    expect(Array.from(w.data)).toEqual([1, 1, 1, 1, 1, 1]);
    getInitializer("Zeros")(w, 2, 3);
    expect(Array.from(w.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(getInitializer("heNormal")).toBe(INITIALIZERS.he_normal);
    expect(getInitializer("glorotNormal")).toBe(INITIALIZERS.glorot_normal);
    expect(getInitializer("leCunUniform")).toBe(INITIALIZERS.lecun_uniform);
    expect(getInitializer("randomUniform")).toBe(INITIALIZERS.random_uniform);
    expect(() => getInitializer("xavier")).toThrow(/unknown initializer "xavier"; known initializers: glorot_uniform, glorot_normal, he_uniform/);
  });

  it("as Dense's kernelInitializer and biasInitializer (a bias's fans are its width, as Keras)", () => {
    setRandomSeed(14);
    const layer = new Dense(300, { inputDim: 500, kernelInitializer: "he_normal", biasInitializer: "heUniform" });
    layer.build(500);
    expect(layer.kernelInitializer).toBe("he_normal");
    expect(layer.biasInitializer).toBe("he_uniform");
    const [kernel, bias] = layer.params();
    expect(Math.abs(stats(kernel.value.data).std / Math.sqrt(2 / 500) - 1)).toBeLessThan(0.02);
    const limit = Math.sqrt(6 / 300);
    expect(stats(bias.value.data).maxAbs).toBeLessThanOrEqual(Math.fround(limit));
    expect(stats(bias.value.data).maxAbs).toBeGreaterThan(0.9 * limit);
    expect(() => new Dense(3, { kernelInitializer: "nope" as never })).toThrow(/unknown initializer "nope"/);
  });
});

describe("regularizers", () => {
  const w = Matrix.fromArray([[1, -2], [0, 0.5]]);

  it("Keras's penalties: l1·Σ|w|, l2·Σw², and their gradients l1·sign(w), 2·l2·w", () => {
    expect(l1(0.1).loss(w)).toBeCloseTo(0.35, 12);
    expect(l2(0.1).loss(w)).toBeCloseTo(0.525, 12);
    expect(l1l2({ l1: 0.1, l2: 0.1 }).loss(w)).toBeCloseTo(0.875, 12);
    const g = new Matrix(2, 2);
    g.data.fill(1);
    l1l2({ l1: 0.1, l2: 0.1 }).addGradient(g, w);
    expect(Array.from(g.data)).toEqual([1 + 0.1 + 0.2, 1 - 0.1 - 0.4, 1, 1 + 0.1 + 0.1].map(Math.fround));
  });

  it("defaults: l1() = l2() = 0.01 and l1l2() 0.01 each; the L1L2 class 0 each; names in either spelling", () => {
    expect(l1().loss(w)).toBeCloseTo(0.035, 12);
    expect(l2().loss(w)).toBeCloseTo(0.0525, 12);
    expect(l1l2().loss(w)).toBeCloseTo(0.0875, 12);
    expect(new L1L2().loss(w)).toBe(0);
    expect(new L1L2({ l1: 0.1 }).getConfig()).toEqual({ l1: 0.1, l2: 0 });
    expect(getRegularizer("l1", "test")!.getConfig!()).toEqual({ l1: 0.01 });
    expect(getRegularizer("L2", "test")!.getConfig!()).toEqual({ l2: 0.01 });
    expect(getRegularizer("l1_l2", "test")!.getConfig!()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(getRegularizer("l1l2", "test")!.className).toBe("L1L2");
    expect(getRegularizer(undefined, "test")).toBeUndefined();
    expect(getRegularizer(null, "test")).toBeUndefined();
  });

  it("checks factors and names at the door", () => {
    expect(() => l2(-1)).toThrow("l2: factor must be a non-negative finite number, got -1");
    expect(() => l1l2({ l1: NaN })).toThrow("L1L2: l1 must be a non-negative finite number, got NaN");
    expect(() => new Dense(3, { kernelRegularizer: "l3" as never })).toThrow(/unknown regularizer "l3"; known regularizers: l1, l2, l1_l2/);
    expect(() => new Dense(3, { kernelRegularizer: 0.01 as never })).toThrow(
      "Dense(3) kernelRegularizer expects a regularizer name (l1, l2, l1_l2) or an object such as l2(0.01), got 0.01",
    );
  });

  it("Dense: regularizationLoss() sums both penalties; backward adds ∂R/∂w to the data gradient", () => {
    const layer = new Dense(2, { kernelInitializer: "ones", biasInitializer: "ones", kernelRegularizer: l2(0.5), biasRegularizer: l1(0.25) });
    layer.build(3);
    expect(layer.regularizationLoss()).toBeCloseTo(0.5 * 6 + 0.25 * 2, 12);
    layer.forward(new Matrix(4, 3), true);
    layer.backward(new Matrix(4, 2)); // dy = 0: only the penalties' gradients remain
    const [kernel, bias] = layer.params();
    expect(Array.from(kernel.grad.whole().data)).toEqual([1, 1, 1, 1, 1, 1]); // 2 · 0.5 · 1
    expect(Array.from(bias.grad.whole().data)).toEqual([0.25, 0.25]);
    expect(new Dense(2, { inputDim: 3 }).regularizationLoss()).toBe(0);
  });
});

describe("in a Sequential model", () => {
  it("Dense, BatchNormalization, relu, Dropout, softmax: fit learns; predict is deterministic (no dropout, moving statistics)", async () => {
    setRandomSeed(15);
    const all = blobs(700, 20, 4, 2, 0.8);
    const model = new Sequential([
      new Dense(32, { inputDim: 20, kernelInitializer: "he_normal", kernelRegularizer: l2(1e-4) }),
      new BatchNormalization(),
      new Activation("relu"),
      new Dropout(0.2),
      new Dense(4, { activation: "softmax" }),
    ]);
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const bn = model.layers[1] as BatchNormalization;
    const history = await model.fit(all.x.slice(0, 600), all.y.slice(0, 600), { epochs: 5, batchSize: 32, verbose: 0 });
    // Moving statistics moved away from 0 and 1 during fit.
    expect(bn.movingMean.data.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    const [, accuracy] = model.evaluate(all.x.slice(600), all.y.slice(600), { verbose: 0 });
    expect(accuracy).toBeGreaterThan(0.8);
    expect(history.history.loss[4]).toBeLessThan(history.history.loss[0]);
    const p1 = model.predict(all.x.slice(600));
    const p2 = model.predict(all.x.slice(600));
    expect(p2.data).toEqual(p1.data);
  });
});
