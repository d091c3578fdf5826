// Matmul split across worker threads: the same bits for 1, 2 and 4 threads.
import { describe, it, expect, afterAll } from "vitest";
import { Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, getBackend, matmul, matmulTransA, matmulTransB, setThreads, threadsReady } from "../src/index.js";
import { parallelRunCount, getThreads, workerThreads, setWorkerFile, adaptToLoad } from "../src/tensor/threads.node.js";
import { bits, blobs, lcg, randomMatrix } from "./helpers/data.js";
import { withFaultyWorker } from "./helpers/threads.js";
import { gatherRows, rowOrder, MIN_SPLIT_FLOATS } from "../src/tensor/ops.js";
import { shuffle } from "../src/tensor/random.js";

afterAll(() => {
  setThreads(1);
  adaptToLoad(true);
});

/** n threads, splitting every large job (as on a quiet machine, whatever else the test run does). */
async function useThreads(n: number): Promise<void> {
  adaptToLoad(false);
  setThreads(n);
  await threadsReady(120_000);
  expect(getThreads()).toBe(n);
}


// Threads are a scheduler under the fast backends; the reference backend's plain loops run on the caller alone.
describe.skipIf(getBackend() === "reference")("worker threads", () => {
  it("each matmul form gives identical bits on 1, 2 and 4 threads, on awkward shapes", async () => {
    // The last: a tall C cut along its rows, in the many pieces of a product of 2^25 flops or more.
    const shapes = [[33, 784, 257], [784, 32, 256], [32, 256, 128], [5, 300, 1000], [3001, 100, 72]];
    const results = new Map<number, Buffer[]>();
    for (const threads of [1, 2, 4]) {
      await useThreads(threads);
      const before = parallelRunCount();
      const out: Buffer[] = [];
      for (const [m, k, n] of shapes) {
        const r = lcg(m * 7 + n);
        const a = randomMatrix(m, k, r), b = randomMatrix(k, n, r), bt = randomMatrix(n, k, r), at = randomMatrix(k, m, r);
        const c = new Matrix(m, n);
        matmul(c, a, b);
        out.push(Buffer.from(bits(c)));
        matmulTransB(c, a, bt);
        out.push(Buffer.from(bits(c)));
        matmulTransA(c, at, b);
        out.push(Buffer.from(bits(c)));
      }
      if (threads > 1) expect(parallelRunCount(), "products were split across threads").toBeGreaterThan(before);
      results.set(threads, out);
    }
    for (const threads of [2, 4]) {
      results.get(threads)!.forEach((b, i) => expect(b.equals(results.get(1)![i]), `product ${i} on ${threads} threads`).toBe(true));
    }
  });

  /** The tutorial's network trained 2 epochs on x, y with this many threads, at batch 64 (its products split: batch 32's stay on the caller): its weights' bytes. */
  async function trainedWeights(x: Matrix, y: Matrix, threads: number): Promise<Buffer> {
    await useThreads(threads);
    setRandomSeed(77);
    const model = new Sequential([
      new Dense(256, { inputDim: 784 }), new Activation("sigmoid"),
      new Dense(128), new Activation("relu"),
      new Dense(10), new Activation("softmax"),
    ]);
    model.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
    const before = parallelRunCount();
    await model.fit(x, y, { epochs: 2, batchSize: 64, verbose: 0 });
    if (threads > 1) expect(parallelRunCount() - before).toBeGreaterThanOrEqual(60); // 5 batches x 2 epochs, 6 or more split jobs each
    return Buffer.concat(model.getWeights().map((w) => Buffer.from(bits(w))));
  }

  it("training on a mostly-zero input (the first layer's sparse products) is bit-identical on 1, 2 and 4 threads", async () => {
    const { x, y } = blobs(320, 784, 10, 5);
    const r = lcg(9);
    for (let i = 0; i < x.data.length; i++) if (r() < 0.8) x.data[i] = 0; // MNIST: ~81% of pixels are black
    const one = await trainedWeights(x, y, 1);
    for (const threads of [2, 4]) expect((await trainedWeights(x, y, threads)).equals(one), `${threads} threads`).toBe(true);
  });

  it("predict on a mostly-zero input (its first kernel in panels) is bit-identical on 1, 2 and 4 threads", async () => {
    const { x } = blobs(600, 784, 10, 6);
    const r = lcg(10);
    for (let i = 0; i < x.data.length; i++) if (r() < 0.8) x.data[i] = 0;
    const predictions = new Map<number, Buffer>();
    for (const threads of [1, 2, 4]) {
      await useThreads(threads);
      setRandomSeed(78);
      const model = new Sequential([new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(10), new Activation("softmax")]);
      const before = parallelRunCount();
      const p = model.predict(x, { batchSize: 300 });
      if (threads > 1) expect(parallelRunCount()).toBeGreaterThan(before);
      predictions.set(threads, Buffer.from(bits(p)));
    }
    for (const threads of [2, 4]) expect(predictions.get(threads)!.equals(predictions.get(1)!), `${threads} threads`).toBe(true);
  });

  it("a batch's rows gathered by index list: the same rows as a loop copies, split between 2 and 4 threads", async () => {
    const src = randomMatrix(500, 784, lcg(12));
    const index = rowOrder(500);
    shuffle(index);
    for (const threads of [2, 4]) {
      await useThreads(threads);
      for (const [rows, from] of [[400, 0], [128, 372], [32, 468]]) { // the last two (batches of 128 and 32): under the split size, on the caller
        const out = new Matrix(rows, 784);
        const before = parallelRunCount();
        gatherRows(out, src, index, from);
        expect(parallelRunCount() - before, `${rows} rows on ${threads} threads: split`).toBe(rows * 784 >= MIN_SPLIT_FLOATS ? 1 : 0);
        for (let r = 0; r < rows; r++) {
          const row = index[from + r];
          expect(bits(out.data.subarray(r * 784, (r + 1) * 784)).equals(bits(src.data.subarray(row * 784, (row + 1) * 784))), `row ${r}`).toBe(true);
        }
      }
      // Left to the caller's loop: a row number past src's rows, and an out that overlaps src.
      const before = parallelRunCount();
      const bad = rowOrder(400); // large enough to split, but for its bad row
      bad[100] = 500;
      // src's 500 rows followed in the heap by a row of non-zeros, which row number 500 must not reach.
      const beyond = new Matrix(501, 784);
      beyond.data.set(src.data);
      beyond.data.fill(7, 500 * 784);
      const inHeap = new Matrix(400, 784), ordinary = new Matrix(400, 784, new Float32Array(400 * 784));
      gatherRows(inHeap, new Matrix(500, 784, beyond.data.subarray(0, 500 * 784)), bad, 0);
      gatherRows(new Matrix(400, 784, src.data.subarray(0, 400 * 784)), src, index, 0); // out overlaps src
      expect(parallelRunCount() - before, "gathers left to the caller").toBe(0);
      // The caller copies within the heap when both live there: the rows of ordinary arrays, the bad row left as it was.
      gatherRows(ordinary, new Matrix(500, 784, Float32Array.from(beyond.data.subarray(0, 500 * 784))), bad, 0);
      expect(bits(inHeap).equals(bits(ordinary))).toBe(true);
      expect(inHeap.data.subarray(100 * 784, 101 * 784).every((v) => v === 0), "row 500 of 500: nothing copied").toBe(true);
    }
  });

  it("training is bit-identical on 1, 2 and 4 threads", async () => {
    const weights = new Map<number, Buffer>();
    const { x, y } = blobs(320, 784, 10, 3);
    // Black borders, as in MNIST: the first layer skips the all-zero columns.
    for (let i = 0; i < 320; i++) for (let j = 0; j < 784; j++) if (j % 28 < 4 || j < 112) x.data[i * 784 + j] = 0;
    for (const threads of [1, 2, 4]) weights.set(threads, await trainedWeights(x, y, threads));
    expect(weights.get(2)!.equals(weights.get(1)!)).toBe(true);
    expect(weights.get(4)!.equals(weights.get(1)!)).toBe(true);
  });

  it("SGD with momentum and Nesterov (updates split between threads) trains bit-identically on 1 and 2 threads", async () => {
    const { x, y } = blobs(256, 200, 10, 5);
    for (const optimizer of [new SGD({ momentum: 0.9 }), new SGD({ momentum: 0.9, nesterov: true })]) {
      const weights: Buffer[] = [];
      for (const threads of [1, 2]) {
        await useThreads(threads);
        setRandomSeed(5);
        // 200 x 256 = 51,200 kernel weights: long enough for the update to be split.
        const model = new Sequential([new Dense(256, { inputDim: 200, activation: "relu" }), new Dense(10, { activation: "softmax" })]);
        model.compile({ optimizer: new SGD({ momentum: optimizer.momentum, nesterov: optimizer.nesterov }), loss: "categorical_crossentropy" });
        await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
        weights.push(Buffer.concat(model.getWeights().map((w) => Buffer.from(bits(w)))));
      }
      expect(weights[1].equals(weights[0]), `nesterov ${optimizer.nesterov}`).toBe(true);
    }
  });

  it("products of matrices outside the shared heap give the same bits as those inside it", async () => {
    await useThreads(2);
    const r = lcg(3);
    const a = randomMatrix(64, 300, r), b = randomMatrix(300, 200, r);
    const plainA = new Matrix(64, 300, Float32Array.from(a.data)); // wraps an ordinary Float32Array
    const inHeapResult = new Matrix(64, 200), plainResult = new Matrix(64, 200);
    matmul(inHeapResult, a, b);
    const before = parallelRunCount();
    matmul(plainResult, plainA, b);
    // The JavaScript kernel computes such a product on the caller; the SIMD module copies it into the heap.
    if (getBackend() === "js") expect(parallelRunCount()).toBe(before);
    expect(bits(plainResult).equals(bits(inHeapResult))).toBe(true);
  });

  it("setThreads rejects what is not a thread count", () => {
    expect(() => setThreads(0)).toThrow(/setThreads expects an integer from 1 to 64, got 0/);
    expect(() => setThreads(1.5)).toThrow(/got 1\.5/);
  });

  it("a worker thread that has ended: the pool falls back to one thread with one warning, and products stay right", async () => {
    await useThreads(2);
    const r = lcg(3);
    const a = randomMatrix(64, 300, r), b = randomMatrix(300, 256, r);
    const c = new Matrix(64, 256), expected = new Matrix(64, 256);
    matmul(expected, a, b); // split between the two threads
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    await workerThreads()[0].terminate();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the "exit" event, then the warning
    process.off("warning", onWarning);
    expect(getThreads()).toBe(1);
    expect(warnings.filter((w) => w.includes("purenn worker thread failed"))).toHaveLength(1);
    matmul(c, a, b);
    expect(bits(c).equals(bits(expected))).toBe(true);
  });

  it("a worker that never finishes its piece makes the product throw past the deadline, naming the job and the piece", async () => {
    await withFaultyWorker("stall", async () => {
      await useThreads(2);
      const r = lcg(4);
      const a = randomMatrix(64, 300, r), b = randomMatrix(300, 256, r), c = new Matrix(64, 256);
      // The worker may take its first piece of any product: run some until one is split its way.
      expect(() => {
        for (let i = 0; i < 200; i++) matmul(c, a, b);
      }).toThrow(/a worker thread did not finish piece \d+ \(worker 1\) of the product A·B of 64x300 by 300x256 within \d+\.\d s; the result is incomplete/);
      expect(getThreads()).toBe(1);
      const expected = new Matrix(64, 256);
      matmul(expected, a, b);
      matmul(c, a, b);
      expect(bits(c).equals(bits(expected))).toBe(true);
    });
  });

  it("a worker whose piece throws makes the product throw at once; products then run on one thread", async () => {
    await withFaultyWorker("throw", async () => {
      await useThreads(2);
      const r = lcg(5);
      const a = randomMatrix(64, 300, r), b = randomMatrix(300, 256, r), c = new Matrix(64, 256);
      expect(() => {
        for (let i = 0; i < 200; i++) matmul(c, a, b);
      }).toThrow(/a worker thread failed in its piece of a job/);
      expect(getThreads()).toBe(1);
    });
  });

  it("threadsReady rejects at once when the worker file is missing (as after a bundler moved it), and the pool falls back to one thread", async () => {
    setThreads(1);
    setWorkerFile(new URL("file:///nonexistent/purenn/gemm-worker.node.js"));
    const onWarning = () => {};
    process.on("warning", onWarning);
    try {
      setThreads(2);
      await expect(threadsReady(60_000)).rejects.toThrow(/a worker thread failed to start \(.*gemm-worker\.node\.js.*\); jobs run on one thread/);
      expect(getThreads()).toBe(1);
    } finally {
      process.off("warning", onWarning);
      setWorkerFile(undefined);
    }
  });
});
