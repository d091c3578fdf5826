// Finite-difference gradient checks for every layer, activation, loss and the
// fused softmax + cross-entropy path (tolerances explained in helpers/gradcheck.ts).
import { describe, it, expect } from "vitest";
import { Matrix, Dense, Activation, Sequential, SGD, setRandomSeed, ACTIVATIONS, LOSSES, type ActivationName } from "../src/core.js";
import type { Layer } from "../src/core.js";
import { softmaxCrossEntropyBackward } from "../src/losses/crossentropy.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { numericGradient, relativeError, checkLayer, TOLERANCE } from "./helpers/gradcheck.js";

/** Inputs kept away from relu's kink at 0, where the derivative jumps. */
function awayFromZero(m: Matrix): Matrix {
  for (let i = 0; i < m.data.length; i++) if (Math.abs(m.data[i]) < 0.1) m.data[i] += m.data[i] < 0 ? -0.1 : 0.1;
  return m;
}

describe("finite-difference gradient checks", () => {
  const rand = lcg(11);

  for (const name of Object.keys(ACTIVATIONS) as ActivationName[]) {
    it(`Activation("${name}")`, () => {
      const layer = new Activation(name);
      layer.build(6);
      checkLayer(layer, awayFromZero(randomMatrix(5, 6, rand, -2, 2)), rand);
    });
  }

  for (const activation of ["linear", "sigmoid", "relu", "tanh", "softmax"] as const) {
    it(`Dense(7, { activation: "${activation}" }): dx, dkernel, dbias`, () => {
      setRandomSeed(3);
      const layer = new Dense(7, { inputDim: 9, activation });
      layer.build(9);
      // A non-zero bias, so relu's kink is not sitting at exactly 0 for x = 0.
      layer.params()[1].value.data.forEach((_, i, b) => (b[i] = 0.3 * (rand() - 0.5)));
      checkLayer(layer, randomMatrix(4, 9, rand), rand);
    });
  }

  it("Dense on an input with all-zero columns (the path that skips them): dx, dkernel, dbias", () => {
    setRandomSeed(4);
    const layer = new Dense(6, { inputDim: 10, activation: "sigmoid" });
    layer.build(10);
    const x = randomMatrix(5, 10, rand);
    for (const j of [0, 2, 3, 5, 7, 8, 9]) for (let i = 0; i < 5; i++) x.data[i * 10 + j] = 0; // 7 of 10 columns zero
    // Finite differences perturb the zero entries too (making their columns non-zero for that
    // evaluation), so the numeric dx also checks the full path against the skipping one.
    checkLayer(layer, x, rand);
  });

  it("Dense without bias", () => {
    const layer = new Dense(3, { useBias: false });
    layer.build(4);
    expect(layer.params().map((p) => p.name)).toEqual(["kernel"]);
    checkLayer(layer, randomMatrix(2, 4, rand), rand);
  });

  for (const name of Object.keys(LOSSES)) {
    it(`loss "${name}"`, () => {
      const loss = LOSSES[name];
      // Positive, unnormalised p exercises cross-entropy's p / Σp step.
      // p away from 1, where binary cross-entropy curves too sharply for the step h.
      const p = randomMatrix(6, 5, rand, 0.05, 0.95);
      const t = loss.sparse ? new Matrix(6, 1, Array.from({ length: 6 }, () => Math.floor(rand() * 5))) : randomOneHot(6, 5, rand);
      const dp = new Matrix(6, 5);
      loss.backward(dp, p, t);
      const numeric = numericGradient(p.data, () => loss.forward(p, t), 1e-3);
      const { error } = relativeError(dp.data, numeric);
      expect(error, `${name}: relative error ${error}`).toBeLessThan(TOLERANCE);
    });
  }

  it("fused softmax + categorical cross-entropy: (p − t)/n is ∂L/∂z", () => {
    const z = randomMatrix(6, 5, rand, -3, 3);
    const t = randomOneHot(6, 5, rand);
    const softmax = new Activation("softmax");
    softmax.build(5);
    const L = () => LOSSES.categorical_crossentropy.forward(softmax.forward(z, false), t);
    const dz = new Matrix(6, 5);
    softmaxCrossEntropyBackward(dz, softmax.forward(z, false), t);
    const { error } = relativeError(dz.data, numericGradient(z.data, L));
    expect(error).toBeLessThan(TOLERANCE);
  });

  it("the tutorial's network end to end: backprop through Sequential equals finite differences of evaluate", async () => {
    setRandomSeed(5);
    const model = new Sequential();
    model.add(new Dense(12, { inputDim: 10 }));
    model.add(new Activation("sigmoid"));
    model.add(new Dense(8));
    model.add(new Activation("relu"));
    model.add(new Dense(4));
    model.add(new Activation("softmax"));
    // learningRate 0: fit computes every gradient but leaves the weights as they are.
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: "categorical_crossentropy" });
    const own = lcg(99);
    const x = randomMatrix(16, 10, own, 0, 1);
    const y = randomOneHot(16, 4, own);
    await model.fit(x, y, { batchSize: 16, shuffle: false, verbose: 0 });
    const loss = () => model.evaluate(x, y, { batchSize: 16, verbose: 0 })[0];
    for (const layer of model.layers) {
      for (const p of layer.params()) {
        const analytic = Float32Array.from(p.grad.whole().data);
        // h = 1e-3: a larger step can carry a relu input across 0, where the slope jumps.
        const { error } = relativeError(analytic, numericGradient(p.value.data, loss, 1e-3));
        expect(error, `${layer.name} ${p.name}: relative error ${error}`).toBeLessThan(TOLERANCE);
      }
    }
  });
});
