// purenn against TensorFlow.js on MNIST-like inputs, whose all-zero columns the
// first Dense layer skips (tensor/matmul.ts matmulSelectK): the same weights after
// SGD steps, to 1e-4 as in parity.test.ts.
import { describe, it, expect } from "vitest";
import { SGD, Sequential, Dense, Activation, setRandomSeed } from "../src/core.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";

describe("purenn agrees with TensorFlow.js on sparse, MNIST-like inputs", () => {
  it("the tutorial network on inputs whose border columns are all 0: weights after SGD steps to 1e-4", async () => {
    const { tf, build, maxAbsDiff } = await sparseHelpers();
    const rand = lcg(77);
    const x = randomMatrix(96, 784, rand, 0, 1);
    for (let i = 0; i < 96; i++) for (let j = 0; j < 784; j++) if (j % 28 < 5 || j % 28 > 22 || j < 140 || j > 644 || rand() < 0.7) x.data[i * 784 + j] = 0;
    const y = randomOneHot(96, 10, rand);
    const { purenn, tfjs } = build();
    purenn.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy" });
    tfjs.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
    await purenn.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    await tfjs.fit(tf.tensor2d(x.data, [96, 784]), tf.tensor2d(y.data, [96, 10]), { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    const theirs = tfjs.getWeights();
    purenn.getWeights().forEach((w, i) => {
      const d = maxAbsDiff(w.data, theirs[i].dataSync());
      expect(d.max, `weight ${i}: largest difference ${d.max} at ${d.index}`).toBeLessThan(1e-4);
    });
  });
});

async function sparseHelpers() {
  const tf = await import("@tensorflow/tfjs");
  await tf.setBackend("cpu");
  const build = () => {
    setRandomSeed(12);
    const purenn = new Sequential([new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(128), new Activation("relu"), new Dense(10), new Activation("softmax")]);
    const tfjs = tf.sequential({ layers: [
      tf.layers.dense({ units: 256, inputShape: [784], activation: "sigmoid" }), tf.layers.dense({ units: 128, activation: "relu" }), tf.layers.dense({ units: 10, activation: "softmax" }),
    ] });
    tfjs.setWeights(purenn.getWeights().map((w) => (w.rows === 1 ? tf.tensor1d(w.data) : tf.tensor2d(w.data, [w.rows, w.cols]))));
    return { purenn, tfjs };
  };
  const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let max = 0, index = -1;
    for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > max) { max = Math.abs(a[i] - b[i]); index = i; }
    return { max, index };
  };
  return { tf, build, maxAbsDiff };
}
