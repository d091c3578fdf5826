import { describe, it, expect } from "vitest";
import {
  Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, argmax, toCategorical, allocationCount,
} from "../src/core.js";
import { blobs } from "./helpers/data.js";

/** The tutorial's network, scaled to the synthetic data's width and classes. */
function tutorialModel(inputDim = 784, classes = 10): Sequential {
  const model = new Sequential();
  model.add(new Dense(256, { inputDim }));
  model.add(new Activation("sigmoid"));
  model.add(new Dense(128));
  model.add(new Activation("relu"));
  model.add(new Dense(classes));
  model.add(new Activation("softmax"));
  model.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return model;
}

function flat(ws: Matrix[]): Float32Array {
  const out = new Float32Array(ws.reduce((s, w) => s + w.data.length, 0));
  let at = 0;
  for (const w of ws) {
    out.set(w.data, at);
    at += w.data.length;
  }
  return out;
}

describe("Sequential, as DESIGN.md's program uses it", () => {
  it("builds on add: Keras's weight shapes, Glorot-uniform kernels, zero biases", () => {
    setRandomSeed(1);
    const model = tutorialModel();
    const shapes = model.getWeights().map((w) => [w.rows, w.cols]);
    expect(shapes).toEqual([[784, 256], [1, 256], [256, 128], [1, 128], [128, 10], [1, 10]]);
    const [k0, b0] = model.getWeights();
    const limit = Math.sqrt(6 / (784 + 256));
    const largest = k0.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(largest).toBeLessThanOrEqual(limit);
    expect(largest).toBeGreaterThan(0.99 * limit);
    expect(b0.data.every((v) => v === 0)).toBe(true);
  });

  it("summary() prints Keras's table with parameter counts", () => {
    const lines: string[] = [];
    const text = tutorialModel().summary((l) => lines.push(l));
    expect(lines.join("\n")).toBe(text);
    expect(text).toMatch(/\(Dense\)\s+\(None, 256\)\s+200960/);
    expect(text).toMatch(/\(Dense\)\s+\(None, 128\)\s+32896/);
    expect(text).toMatch(/\(Dense\)\s+\(None, 10\)\s+1290/);
    expect(text).toContain("Total params: 235,146");
  });

  it("the program learns synthetic data: held-out accuracy far above chance", async () => {
    setRandomSeed(42);
    const all = blobs(3500, 784, 10, 1, 0.8);
    const train = { x: all.x.slice(0, 3000), y: all.y.slice(0, 3000) };
    const test = { x: all.x.slice(3000), y: all.y.slice(3000) }; // never seen in training
    const model = tutorialModel();
    const history = await model.fit(train.x, train.y, { epochs: 3, batchSize: 32, verbose: 0 });
    expect(history.history.loss).toHaveLength(3);
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    const [loss, accuracy] = model.evaluate(test.x, test.y, { verbose: 0 });
    expect(loss).toBeLessThan(Math.log(10));
    expect(accuracy).toBeGreaterThan(0.8); // chance is 0.1
    const probs = model.predict(test.x.slice(0, 10));
    expect([probs.rows, probs.cols]).toEqual([10, 10]);
    const digits = argmax(probs, 1);
    expect(digits).toBeInstanceOf(Int32Array);
    for (let i = 0; i < 10; i++) {
      const row = probs.toArray()[i];
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5); // probabilities
      expect(digits[i]).toBe(row.indexOf(Math.max(...row))); // argmax per row
    }
  });

  it("setRandomSeed(n) then the same program gives bit-identical weights, twice in a row", async () => {
    const run = async () => {
      setRandomSeed(123);
      const { x, y } = blobs(300, 20, 4, 9);
      const model = tutorialModel(20, 4);
      await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
      return flat(model.getWeights());
    };
    const a = await run();
    const b = await run();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    setRandomSeed(124);
    expect(Buffer.from(flat(tutorialModel(20, 4).getWeights()).buffer).equals(Buffer.from(a.buffer))).toBe(false);
  });

  it("predict and evaluate give the same answers whatever the batch size", async () => {
    setRandomSeed(2);
    const { x, y } = blobs(101, 20, 4, 3);
    const model = tutorialModel(20, 4);
    const a = model.predict(x, { batchSize: 7 });
    const b = model.predict(x, { batchSize: 101 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const [l1, a1] = model.evaluate(x, y, { batchSize: 7, verbose: 0 });
    const [l2, a2] = model.evaluate(x, y, { batchSize: 101, verbose: 0 });
    expect(l1).toBeCloseTo(l2, 6);
    expect(a1).toBe(a2);
  });

  it("accepts number[][] wherever it takes a Matrix", async () => {
    setRandomSeed(3);
    const model = new Sequential([new Dense(2, { inputDim: 2, activation: "softmax" })]);
    model.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const x = [[0, 1], [1, 0], [0, 0.9], [0.9, 0]];
    const y = [[1, 0], [0, 1], [1, 0], [0, 1]];
    await model.fit(x, y, { epochs: 200, batchSize: 4, verbose: 0 });
    expect(Array.from(argmax(model.predict(x), 1))).toEqual([0, 1, 0, 1]);
    expect(model.evaluate(x, y, { verbose: 0 })[1]).toBe(1);
  });

  it("allocates no matrix storage per batch: a second fit allocates nothing", async () => {
    setRandomSeed(4);
    const { x, y } = blobs(1000, 20, 4, 5);
    const model = tutorialModel(20, 4);
    await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 }); // sizes every buffer (incl. the last, smaller batch)
    const before = allocationCount();
    await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    expect(allocationCount()).toEqual(before);
  });

  it("prints a Keras-style progress line per epoch at verbose 1 and 2", async () => {
    setRandomSeed(5);
    const { x, y } = blobs(64, 20, 4, 6);
    const model = tutorialModel(20, 4);
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 1 });
      await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 2 });
      model.evaluate(x, y, { verbose: 0 });
    } finally {
      process.stdout.write = original;
    }
    const text = writes.join("");
    expect(text).toMatch(/Epoch 1\/1\n/);
    expect(text).toMatch(/2\/2 \[==============================\] - \d+s \d+(us|ms|s)\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n/);
    expect(text).toMatch(/2\/2 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+s\/epoch - \d+(us|ms|s)\/step\n/);
  });

  it("toCategorical gives one-hot rows", () => {
    expect(toCategorical([0, 2, 1], 3).toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
  });
});
