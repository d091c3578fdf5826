// purenn against TensorFlow.js ('cpu' backend) on the same weights and data:
// predict, evaluate, the loss history and the weights after several fit steps.
// No shuffling on either side, so both see the same batches in the same order.
//
// Tolerances: both engines compute in float32. Forward values agree to ~1e-7
// (purenn sums matmuls in float64 within a k-slice, tfjs in float32), so 1e-5
// on predictions and losses leaves room for the 784-wide sums; after several
// SGD steps differences compound a little, hence 1e-4 on the weights.
import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Sequential, Dense, Activation, SGD, setRandomSeed } from "../src/core.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

interface Net {
  purenn: Sequential;
  tfjs: tf.Sequential;
}

/** The same network in both engines, tfjs starting from purenn's initial weights. */
function build(widths: number[], activations: string[], seed: number): Net {
  setRandomSeed(seed);
  const purenn = new Sequential();
  const tfjs = tf.sequential();
  for (let l = 1; l < widths.length; l++) {
    purenn.add(new Dense(widths[l], l === 1 ? { inputDim: widths[0] } : {}));
    purenn.add(new Activation(activations[l - 1]));
    tfjs.add(tf.layers.dense({ units: widths[l], ...(l === 1 ? { inputShape: [widths[0]] } : {}) }));
    tfjs.add(tf.layers.activation({ activation: activations[l - 1] as "relu" }));
  }
  tfjs.setWeights(purenn.getWeights().map((w) => (w.rows === 1 ? tf.tensor1d(w.data) : tf.tensor2d(w.data, [w.rows, w.cols]))));
  return { purenn, tfjs };
}

function toTensor(m: Matrix): tf.Tensor2D {
  return tf.tensor2d(m.data, [m.rows, m.cols]);
}

/** Largest |a − b| and where it is. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; index: number } {
  expect(a.length).toBe(b.length);
  let max = 0, index = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max || Number.isNaN(d)) {
      max = d;
      index = i;
    }
  }
  return { max, index };
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what: string): number {
  const { max, index } = maxAbsDiff(a, b);
  expect(max, `${what}: largest difference ${max} at ${index} (${a[index]} vs ${b[index]})`).toBeLessThan(tolerance);
  return max;
}

function compareWeights(net: Net, tolerance: number, what: string): void {
  const ours = net.purenn.getWeights();
  const theirs = net.tfjs.getWeights();
  ours.forEach((w, i) => expectClose(w.data, theirs[i].dataSync(), tolerance, `${what}, weight ${i}`));
}

const TUTORIAL = ["sigmoid", "relu", "softmax"];

describe("purenn agrees with TensorFlow.js", () => {
  it("the tutorial's 784-256-128-10 network: predict and evaluate to 1e-5", () => {
    const rand = lcg(21);
    const net = build([784, 256, 128, 10], TUTORIAL, 1);
    const x = randomMatrix(64, 784, rand, 0, 1);
    const y = randomOneHot(64, 10, rand);
    expectClose(net.purenn.predict(x).data, (net.tfjs.predict(toTensor(x)) as tf.Tensor).dataSync(), 1e-5, "predict");

    net.purenn.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    net.tfjs.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const ours = net.purenn.evaluate(x, y, { verbose: 0 });
    const theirs = (net.tfjs.evaluate(toTensor(x), toTensor(y), { batchSize: 32 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    expectClose(ours, theirs, 1e-5, "evaluate [loss, accuracy]");
  });

  const runs: [string, () => SGD, () => tf.Optimizer, number][] = [
    ["plain SGD, lr 0.05", () => new SGD({ learningRate: 0.05 }), () => tf.train.sgd(0.05), 1e-4],
    ["plain SGD, lr 0.5 (large)", () => new SGD({ learningRate: 0.5 }), () => tf.train.sgd(0.5), 1e-4],
    ["momentum 0.9, lr 0.05", () => new SGD({ learningRate: 0.05, momentum: 0.9 }), () => tf.train.momentum(0.05, 0.9), 1e-4],
    ["Nesterov momentum 0.9, lr 0.05", () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }), () => tf.train.momentum(0.05, 0.9, true), 1e-4],
    ["Nesterov momentum 0.9, lr 0.3 (large)", () => new SGD({ learningRate: 0.3, momentum: 0.9, nesterov: true }), () => tf.train.momentum(0.3, 0.9, true), 1e-4],
  ];
  for (const [name, ours, theirs, tolerance] of runs) {
    it(`${name}: weights after 2 epochs of 100 samples in batches of 16 (the last one 4), and the loss history`, async () => {
      const rand = lcg(5);
      const net = build([20, 32, 16, 5], TUTORIAL, 2);
      const x = randomMatrix(100, 20, rand, 0, 1);
      const y = randomOneHot(100, 5, rand);
      net.purenn.compile({ optimizer: ours(), loss: "categorical_crossentropy", metrics: ["accuracy"] });
      net.tfjs.compile({ optimizer: theirs(), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
      const options = { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 } as const;
      const h1 = await net.purenn.fit(x, y, options);
      const h2 = await net.tfjs.fit(toTensor(x), toTensor(y), options);
      compareWeights(net, tolerance, name);
      expectClose(h1.history.loss, h2.history.loss as number[], 1e-5, "loss per epoch");
      expectClose(h1.history.accuracy, h2.history.acc as number[], 1e-6, "accuracy per epoch");
    });
  }

  it("the tutorial's network, one epoch of 96 samples at batch 32: weights to 1e-4", async () => {
    const rand = lcg(8);
    const net = build([784, 256, 128, 10], TUTORIAL, 3);
    const x = randomMatrix(96, 784, rand, 0, 1);
    const y = randomOneHot(96, 10, rand);
    net.purenn.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
    net.tfjs.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
    await net.purenn.fit(x, y, { batchSize: 32, shuffle: false, verbose: 0 });
    await net.tfjs.fit(toTensor(x), toTensor(y), { batchSize: 32, shuffle: false, verbose: 0 });
    compareWeights(net, 1e-4, "tutorial network");
  });

  it("mean squared error with a tanh and a linear output: loss and weights", async () => {
    const rand = lcg(9);
    const net = build([6, 8, 3], ["tanh", "linear"], 4);
    const x = randomMatrix(40, 6, rand);
    const y = randomMatrix(40, 3, rand);
    net.purenn.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mean_squared_error" });
    net.tfjs.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
    const before = (net.tfjs.evaluate(toTensor(x), toTensor(y)) as tf.Scalar).dataSync()[0];
    expectClose([net.purenn.evaluate(x, y, { verbose: 0 })[0]], [before], 1e-5, "mse before training");
    const options = { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 } as const;
    const h1 = await net.purenn.fit(x, y, options);
    const h2 = await net.tfjs.fit(toTensor(x), toTensor(y), options);
    compareWeights(net, 1e-4, "mse");
    expectClose(h1.history.loss, h2.history.loss as number[], 1e-5, "mse per epoch");
  });
});
