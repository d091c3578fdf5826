// predict's short way (tensor/dense-stack.ts): blocks of rows through a stack of Dense layers, on one
// thread or shared out between threads, with the bits of the layers' own forward, batch by batch.
import { describe, it, expect, afterAll, vi } from "vitest";
import { Matrix, Sequential, Dense, Activation, Dropout, Flatten, setRandomSeed, getBackend, setThreads, threadsReady } from "../src/index.js";
import { backend, withFixedWeights } from "../src/tensor/backend.js";
import { rowsView } from "../src/tensor/matrix.js";
import { denseSteps } from "../src/model/predict-stack.js";
import { STACK_ROWS, StackActivation } from "../src/tensor/dense-stack.js";
import { adaptToLoad, splitStats } from "../src/tensor/threads.node.js";
import { bits, lcg } from "./helpers/data.js";
import type { Layer } from "../src/layers/layer.js";

afterAll(() => {
  setThreads(1);
  adaptToLoad(true);
});

/** rows x 784 values in [0, 1), `zeros` of them 0 (MNIST: ~81% of pixels are black). */
function images(rows: number, zeros: number, seed: number): Matrix {
  const r = lcg(seed);
  const x = new Matrix(rows, 784);
  for (let i = 0; i < x.data.length; i++) x.data[i] = r() < zeros ? 0 : r();
  return x;
}

/** What the layers' own forward gives, batch by batch, the weights fixed meanwhile (as predict without the stack). */
function layerByLayer(model: Sequential, x: Matrix, batchSize: number): Matrix {
  const out = new Matrix(x.rows, model.outputDim as number);
  withFixedWeights(() => {
    for (let start = 0; start < x.rows; start += batchSize) {
      out.data.set(model.forward(rowsView(x, start, Math.min(start + batchSize, x.rows)), false).data, start * out.cols);
    }
  });
  return out;
}

/** Models the stack runs: Activation layers joined to their Dense, activations inside Dense, no bias, Dropout, a linear output. */
const MODELS: Record<string, () => Layer[]> = {
  tutorial: () => [
    new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(128), new Activation("relu"), new Dense(10), new Activation("softmax"),
  ],
  "activations in Dense, a Dropout, no bias": () => [
    new Dense(40, { inputDim: 784, activation: "relu" }), new Dropout(0.5), new Dense(24, { activation: "sigmoid", useBias: false }), new Dense(3, { activation: "softmax" }),
  ],
  "linear output, images flattened": () => [new Flatten({ inputShape: [28, 28] }), new Dense(33, { activation: "sigmoid" }), new Dense(5)],
  "one layer": () => [new Dense(7, { inputDim: 784, activation: "softmax" })],
  "a softmax inside": () => [new Dense(12, { inputDim: 784 }), new Activation("softmax"), new Dense(4, { activation: "relu" })],
};

describe.skipIf(getBackend() !== "wasm")("predict by a stack of Dense layers", () => {
  it("gives the bits of the layers' own forward, on 1 and 2 threads, sparse and dense inputs, partial last batches, batches cut into blocks", async () => {
    const spy = vi.spyOn(backend() as Required<ReturnType<typeof backend>>, "predictStack");
    for (const threads of [1, 2]) {
      adaptToLoad(false);
      setThreads(threads);
      await threadsReady(120_000);
      for (const [name, layers] of Object.entries(MODELS)) {
        setRandomSeed(5);
        const model = new Sequential(layers());
        // The bias away from zero, so that a step that forgot it would show.
        for (const layer of model.layers) for (const p of layer.params()) if (p.name === "bias") p.value.data.fill(0.25);
        for (const [x, batchSize] of [[images(100, 0.8, 1), 32], [images(77, 0, 2), 7], [images(90, 0.8, 3), 45], [images(300, 0.8, 4), 300], [images(260, 0.3, 5), 1000], [images(500, 0.8, 6), 200]] as const) {
          const calls = spy.mock.results.length;
          const out = model.predict(x, { batchSize });
          // On one thread, batches above a block take the layers' way (WasmBackend.predictStack).
          const stacked = threads > 1 || batchSize <= STACK_ROWS;
          expect(spy.mock.results.slice(calls).map((r) => r.value), `${name}: the stack ran at batch ${batchSize}`).toEqual([stacked]);
          expect(bits(out).equals(bits(layerByLayer(model, x, batchSize))), `${name}, ${threads} threads, ${x.rows} rows at batch ${batchSize}`).toBe(true);
        }
      }
    }
    spy.mockRestore();
  });

  it("shares blocks out between threads: the worker computes some, and the outputs are the caller's alone", async () => {
    setRandomSeed(6);
    const model = new Sequential(MODELS.tutorial());
    const x = images(3200, 0.8, 4);
    setThreads(1);
    const alone = model.predict(x, { batchSize: 32 });
    adaptToLoad(false);
    setThreads(2);
    await threadsReady(120_000);
    const before = splitStats();
    const split = model.predict(x, { batchSize: 32 });
    const after = splitStats();
    expect(after.jobs - before.jobs, "one job for the whole predict").toBe(1);
    expect(after.workerPieces - before.workerPieces, "batches the worker ran").toBeGreaterThan(0);
    expect(bits(split).equals(bits(alone))).toBe(true);
  });

  it("reads the weights anew at every predict (the first kernel's panels too), and declines an input outside the heap", async () => {
    setThreads(1);
    setRandomSeed(8);
    const model = new Sequential(MODELS.tutorial());
    const x = images(96, 0.8, 9);
    const before = model.predict(x, { batchSize: 32 });
    model.setWeights(model.getWeights().map((w) => new Matrix(w.rows, w.cols, w.data.map((v) => v * 0.5 + 0.01))));
    const after = model.predict(x, { batchSize: 32 });
    expect(bits(after).equals(bits(before))).toBe(false);
    expect(bits(after).equals(bits(layerByLayer(model, x, 32)))).toBe(true);
    const spy = vi.spyOn(backend() as Required<ReturnType<typeof backend>>, "predictStack");
    const outside = new Matrix(x.rows, x.cols, Float32Array.from(x.data)); // an ordinary array, not the heap
    expect(bits(model.predict(outside, { batchSize: 32 })).equals(bits(after))).toBe(true);
    expect(spy.mock.results.map((r) => r.value)).toEqual([false]);
    spy.mockRestore();
  });

  it("evaluate takes the stack too, with the loss and metrics of the layers' way", async () => {
    setThreads(1);
    setRandomSeed(10);
    const model = new Sequential(MODELS.tutorial());
    model.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const x = images(200, 0.8, 11), y = new Matrix(200, 10);
    for (let i = 0; i < 200; i++) y.data[i * 10 + (i % 10)] = 1;
    const spy = vi.spyOn(backend() as Required<ReturnType<typeof backend>>, "predictStack");
    const stacked = model.evaluate(x, y, { batchSize: 32, verbose: 0 });
    expect(spy.mock.results.map((r) => r.value)).toEqual([true]);
    spy.mockRestore();
    const b = backend() as { predictStack?: unknown };
    b.predictStack = undefined; // an own property hides the method: the layers' way
    try {
      expect(stacked).toEqual(model.evaluate(x, y, { batchSize: 32, verbose: 0 }));
    } finally {
      delete b.predictStack;
    }
  });

  it("runs more blocks than a job has pieces (4,095) as several jobs", async () => {
    adaptToLoad(false);
    setThreads(2);
    await threadsReady(120_000);
    setRandomSeed(12);
    // Wide enough that the last 5 blocks are worth a job of their own (threads.node.ts: MIN_SIMD_FLOPS).
    const model = new Sequential([new Dense(600, { inputDim: 784, activation: "relu" }), new Dense(3, { activation: "softmax" })]);
    const x = images(4100, 0.8, 13);
    const before = splitStats().jobs;
    const out = model.predict(x, { batchSize: 1 });
    expect(splitStats().jobs - before, "4,095 blocks, then 5").toBe(2);
    expect(bits(out).equals(bits(layerByLayer(model, x, 1)))).toBe(true);
  });

  it("a single block, and models that are not such a stack, go the layers' way", async () => {
    setThreads(1);
    const spy = vi.spyOn(backend() as Required<ReturnType<typeof backend>>, "predictStack");
    setRandomSeed(7);
    const tanh = new Sequential([new Dense(8, { inputDim: 784, activation: "tanh" }), new Dense(2)]);
    const twice = new Sequential([new Dense(8, { inputDim: 784, activation: "relu" }), new Activation("sigmoid")]);
    const leading = new Sequential([new Activation("relu", { inputDim: 784 }), new Dense(3)]);
    const x = images(50, 0.5, 5);
    for (const model of [tanh, twice, leading]) {
      expect(denseSteps(model.layers), model.layers.map((l) => l.className).join(", ")).toBeUndefined();
      expect(bits(model.predict(x, { batchSize: 10 })).equals(bits(layerByLayer(model, x, 10)))).toBe(true);
    }
    expect(spy).not.toHaveBeenCalled();
    const tutorial = new Sequential(MODELS.tutorial());
    expect(bits(tutorial.predict(x, { batchSize: 50 })).equals(bits(layerByLayer(tutorial, x, 50)))).toBe(true);
    expect(spy.mock.results.map((r) => r.value), "one block: declined").toEqual([false]);
    spy.mockRestore();
  });

  it("reads the layers as steps: each Activation joined to the linear Dense before it, Dropout left out", () => {
    const steps = denseSteps(new Sequential(MODELS["activations in Dense, a Dropout, no bias"]()).layers)!;
    expect(steps.map((s) => [s.din, s.dout, s.activation, s.b !== undefined])).toEqual([
      [784, 40, StackActivation.Relu, true], [40, 24, StackActivation.Sigmoid, false], [24, 3, StackActivation.Softmax, true],
    ]);
    const tutorial = denseSteps(new Sequential(MODELS.tutorial()).layers)!;
    expect(tutorial.map((s) => s.activation)).toEqual([StackActivation.Sigmoid, StackActivation.Relu, StackActivation.Softmax]);
  });
});
