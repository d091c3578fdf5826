// Every bad argument named in DESIGN.md's contract: an Error that names the value
// and what was expected, thrown before any work, with the weights left untouched.
import { describe, it, expect } from "vitest";
import { Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, argmax } from "../src/core.js";
import { blobs } from "./helpers/data.js";

function model(compiled = true): Sequential {
  setRandomSeed(1);
  const m = new Sequential();
  m.add(new Dense(8, { inputDim: 6 }));
  m.add(new Activation("relu"));
  m.add(new Dense(3));
  m.add(new Activation("softmax"));
  if (compiled) m.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

const { x, y } = blobs(10, 6, 3, 2);
const labels = [0, 2, 1, 1, 0, 2, 2, 1, 0, 1];

/** Every message the bad-input tests below get, scanned at the end for a doubled prefix. */
const messages: string[] = [];

/** The error `act` throws or rejects with; its message is kept for the scan. */
async function errorOf(act: () => unknown): Promise<Error> {
  try {
    await act();
  } catch (e) {
    messages.push((e as Error).message);
    return e as Error;
  }
  throw new Error("expected an error, got none");
}

function withNaN(m: Matrix, at: number, v: number): Matrix {
  const c = m.clone();
  c.data[at] = v;
  return c;
}

describe("construction errors", () => {
  it.each([
    [() => new Dense(0), /Dense units must be a positive integer, got 0/],
    [() => new Dense(-3), /Dense units must be a positive integer, got -3/],
    [() => new Dense(2.5), /Dense units must be a positive integer, got 2\.5/],
    [() => new Dense(4, { inputDim: 0 }), /Dense\(4\) inputDim must be a positive integer, got 0/],
    [() => new Dense(4, { inputShape: [2, 3] }), /inputShape must be \[width\].*got \[2,3\]/],
    [() => new Dense(4, { activation: "sigmoidd" as never }), /unknown activation "sigmoidd"; known activations: linear, sigmoid, relu, tanh, softmax/],
    [() => new Activation("swishy" as never), /unknown activation "swishy"; known activations: .*relu/],
    [() => new Dense(4, { kernelInitializer: "glorot" as never }), /unknown initializer "glorot"; known initializers: glorot_uniform/],
    [() => Matrix.fromArray([[1, 2], [3]]), /every row to have 2 numbers like row 0, got 1 in row 1/],
    [() => Matrix.fromArray([]), /non-empty array of rows, got an array of length 0/],
    [() => new Matrix(2, 2, [1, 2, 3]), /Matrix\(2, 2\) needs 4 values \(rows \* cols\), got 3/],
    [() => new Matrix(-1, 2), /rows must be a non-negative integer, got -1/],
    [() => new SGD({ learningRate: -0.1 }), /learningRate must be a finite number >= 0, got -0\.1/],
    [() => argmax([[1, 2]], 2 as 1), /argmax axis must be 0 or 1, got 2/],
    [() => new Sequential().add({} as Dense), /Sequential.add expects a layer such as new Dense\(10\), got an object/],
  ])("%#: %s", async (make, message) => {
    expect(make).toThrow(message);
    expect((await errorOf(make)).message).toMatch(message);
  });

  it("a layer whose declared input disagrees with the layer before it", () => {
    const m = new Sequential([new Dense(5, { inputDim: 3 })]);
    expect(() => m.add(new Dense(2, { inputDim: 4 }))).toThrow(/Dense\(2\) expects input of 4 columns, got 5/);
    expect(m.layers).toHaveLength(1);
  });
});

describe("compile, fit, evaluate, predict and setWeights errors leave the weights untouched", () => {
  const cases: [string, (m: Sequential) => unknown, RegExp, boolean?][] = [
    ["unknown loss", (m) => m.compile({ optimizer: "sgd", loss: "crossentropy" as never }), /unknown loss "crossentropy"; known losses: categorical_crossentropy/],
    ["unknown optimizer", (m) => m.compile({ optimizer: "sgdd" as never, loss: "mse" }), /unknown optimizer "sgdd"; known optimizers: sgd/],
    ["unknown metric", (m) => m.compile({ optimizer: "sgd", loss: "mse", metrics: ["acuracy" as never] }), /unknown metric "acuracy"; known metrics: accuracy/],
    ["missing loss", (m) => m.compile({ optimizer: "sgd" } as never), /compile: loss is required/],
    ["fit before compile", (m) => m.fit(x, y), /fit: the model must be compiled first/, false],
    ["evaluate before compile", (m) => m.evaluate(x, y), /evaluate: the model must be compiled first/, false],
    ["x too narrow", (m) => m.fit(x.toArray().map((r) => r.slice(1)), y), /Dense\(8\) expects input of 6 columns, got \[10, 5\]/],
    ["predict on x too wide", (m) => m.predict(new Matrix(2, 7)), /Dense\(8\) expects input of 6 columns, got \[2, 7\]/],
    ["y of the wrong width", (m) => m.fit(x, new Matrix(10, 4)), /fit: y must have 3 columns to match the model's output \(Activation\("softmax"\)\), got \[10, 4\]/],
    ["a column of non-integers as y", (m) => m.fit(x, new Matrix(10, 1).toArray().map(() => [0.5])), /got \[10, 1\]; for integer labels use toCategorical/],
    ["x as a flat list of numbers", (m) => m.fit([1, 2, 3] as never, y), /^fit x expects an array of rows, each an array of numbers, got 1 in row 0$/],
    ["validationData's y of the wrong width", (m) => m.fit(x, y, { validationData: [x, new Matrix(10, 2)] }), /^fit validationData: y must have 3 columns/],
    ["x and y rows differ", (m) => m.fit(x, y.slice(0, 9)), /x and y must have the same number of rows \(samples\), got x \[10, 6\] and y \[9, 3\]/],
    ["NaN in x", (m) => m.fit(withNaN(x, 14, NaN), y), /fit: x holds NaN at row 2, column 2; expected finite numbers/],
    ["Infinity in y", (m) => m.fit(x, withNaN(y, 4, Infinity)), /fit: y holds Infinity at row 1, column 1; expected finite numbers/],
    ["NaN in evaluate's x", (m) => m.evaluate(withNaN(x, 0, NaN), y), /evaluate: x holds NaN at row 0, column 0/],
    ["batchSize 0", (m) => m.fit(x, y, { batchSize: 0 }), /fit: batchSize must be a positive integer, got 0/],
    ["batchSize 2.5", (m) => m.fit(x, y, { batchSize: 2.5 }), /fit: batchSize must be a positive integer, got 2\.5/],
    ["negative epochs", (m) => m.fit(x, y, { epochs: -1 }), /fit: epochs must be a non-negative integer, got -1/],
    ["verbose 3", (m) => m.fit(x, y, { verbose: 3 as 1 }), /fit: verbose must be 0, 1 or 2, got 3/],
    ["predict batchSize -1", (m) => m.predict(x, { batchSize: -1 }), /predict: batchSize must be a positive integer, got -1/],
    ["setWeights with too few", (m) => m.setWeights(m.getWeights().slice(1)), /setWeights expects 4 matrices .* got 3/],
    ["setWeights with a wrong shape", (m) => m.setWeights([new Matrix(6, 8), new Matrix(1, 8), new Matrix(3, 8), new Matrix(1, 3)]), /setWeights: weight 2 \(dense_\d+ kernel\) must be \[8, 3\], got \[3, 8\]/],
    ["ragged x", (m) => m.fit([[1, 2, 3, 4, 5, 6], [1]], [[1, 0, 0], [0, 1, 0]]), /every row to have 6 numbers like row 0, got 1 in row 1/],
  ];
  for (const [name, act, message, compiled = true] of cases) {
    it(name, async () => {
      const m = model(compiled);
      const before = m.getWeights().map((w) => Array.from(w.data));
      // fit is async: its errors arrive as a rejected promise, the others throw.
      expect((await errorOf(() => act(m))).message).toMatch(message);
      expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    });
  }
});

describe("labels given as class numbers to categorical_crossentropy say so, with the model's class count", () => {
  const classNumbers = /^(fit|evaluate|fit validationData): y holds class numbers \(a single column of integers\); use toCategorical\(y, 3\) or loss sparse_categorical_crossentropy$/;
  it.each([
    ["number[]", labels],
    ["Uint8Array", Uint8Array.from(labels)],
    ["Int32Array", Int32Array.from(labels)],
    ["an n x 1 Matrix", new Matrix(10, 1, labels)],
    ["[[k], …]", labels.map((k) => [k])],
  ])("y as %s", async (_kind, labelsY) => {
    const m = model();
    const before = m.getWeights().map((w) => Array.from(w.data));
    expect((await errorOf(() => m.fit(x, labelsY))).message).toMatch(classNumbers);
    expect((await errorOf(() => m.evaluate(x, labelsY))).message).toMatch(classNumbers);
    expect((await errorOf(() => m.fit(x, y, { validationData: [x, labelsY] }))).message).toMatch(classNumbers);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
  });

  it("a flat list of numbers is one column of y, as Keras reads a 1-D y, for a model with one output", async () => {
    setRandomSeed(1);
    const m = new Sequential([new Dense(1, { inputDim: 6, activation: "sigmoid" })]);
    m.compile({ optimizer: "sgd", loss: "binary_crossentropy" });
    const flat = Uint8Array.from(labels, (k) => k % 2);
    expect(m.evaluate(x, flat, { verbose: 0 })).toEqual(m.evaluate(x, new Matrix(10, 1, flat), { verbose: 0 }));
  });
});

describe("messages", () => {
  it("no message of the tests above repeats its prefix (like `fit: fit: …`)", () => {
    expect(messages.length).toBeGreaterThan(40);
    for (const message of messages) expect(message).not.toMatch(/(\w+): \1:/);
  });
});
