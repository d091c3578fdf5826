import { describe, it, expect } from "vitest";
import { Matrix, Param, SGD, Sequential, Dense, Activation, setRandomSeed } from "../src/core.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { numericGradient, relativeError } from "./helpers/gradcheck.js";

/** One parameter w with a gradient g we set by hand each step (p.grad.wholeForWriting()). */
function param(w: number[]): Param {
  return new Param("w", Matrix.fromArray([w]));
}

describe("SGD update rules, worked out by hand (Keras's convention)", () => {
  it("plain: w = w − lr·g", () => {
    const p = param([1, -2]);
    const sgd = new SGD({ learningRate: 0.1 });
    p.grad.wholeForWriting().data.set([0.5, -1]);
    sgd.step([p]);
    expect(Array.from(p.value.data)).toEqual([Math.fround(1 - 0.05), Math.fround(-2 + 0.1)]);
    expect(sgd.iterations).toBe(1);
  });

  it("momentum: v = m·v − lr·g; w = w + v, over three steps", () => {
    const p = param([1]);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9 });
    // g = 1 every step: v = −0.1, −0.19, −0.271; w = 0.9, 0.71, 0.439.
    for (const expected of [0.9, 0.71, 0.439]) {
      p.grad.wholeForWriting().data[0] = 1;
      sgd.step([p]);
      expect(p.value.data[0]).toBeCloseTo(expected, 6);
    }
  });

  it("nesterov: v = m·v − lr·g; w = w + m·v − lr·g, over three steps", () => {
    const p = param([1]);
    const sgd = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
    // g = 1: v = −0.1 → w = 1 − 0.09 − 0.1 = 0.81; v = −0.19 → w = 0.81 − 0.171 − 0.1 = 0.539;
    //        v = −0.271 → w = 0.539 − 0.2439 − 0.1 = 0.1951.
    for (const expected of [0.81, 0.539, 0.1951]) {
      p.grad.wholeForWriting().data[0] = 1;
      sgd.step([p]);
      expect(p.value.data[0]).toBeCloseTo(expected, 6);
    }
  });

  it("defaults are Keras's: learningRate 0.01, momentum 0, nesterov false", () => {
    const sgd = new SGD();
    expect([sgd.learningRate, sgd.momentum, sgd.nesterov]).toEqual([0.01, 0, false]);
  });

  it("rejects bad settings, naming the value", () => {
    expect(() => new SGD({ learningRate: -1 })).toThrow(/learningRate must be a finite number >= 0, got -1/);
    expect(() => new SGD({ momentum: 1 })).toThrow(/momentum must be a number in \[0, 1\), got 1/);
    expect(() => new SGD({ learningRate: NaN })).toThrow(/got NaN/);
  });
});

describe("SGD follows the gradient (finite differences)", () => {
  // For a small step Δw, the loss changes by ∇L·Δw to first order. SGD's first
  // step is Δw = −lr·g (momentum starts from v = 0; nesterov's first step is
  // −lr·(1 + m)·g), so L(w + Δw) − L(w) ≈ −lr·c·‖g‖², with g the finite-difference
  // gradient of the loss: this checks direction and scale of the update together.
  for (const [name, options, c] of [
    ["plain", {}, 1],
    ["momentum", { momentum: 0.9 }, 1],
    ["nesterov", { momentum: 0.9, nesterov: true }, 1.9],
  ] as const) {
    it(`${name}: the first step's loss change matches −lr·${c}·‖∇L‖²`, async () => {
      setRandomSeed(8);
      const rand = lcg(3);
      const model = new Sequential([new Dense(6, { inputDim: 5 }), new Activation("tanh"), new Dense(3), new Activation("softmax")]);
      const lr = 1e-3;
      model.compile({ optimizer: new SGD({ learningRate: lr, ...options }), loss: "categorical_crossentropy" });
      const x = randomMatrix(20, 5, rand);
      const y = randomOneHot(20, 3, rand);
      const loss = () => model.evaluate(x, y, { batchSize: 20, verbose: 0 })[0];
      let squaredNorm = 0;
      for (const p of model.layers.flatMap((l) => l.params())) {
        for (const g of numericGradient(p.value.data, loss)) squaredNorm += g * g;
      }
      const before = loss();
      await model.fit(x, y, { batchSize: 20, shuffle: false, verbose: 0 });
      const change = loss() - before;
      const { error } = relativeError([change], [-lr * c * squaredNorm]);
      expect(error, `loss change ${change}, predicted ${-lr * c * squaredNorm}`).toBeLessThan(2e-2);
    });
  }
});
