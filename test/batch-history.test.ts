// BatchHistory (src/model/batch-history.ts): every batch's own loss and metrics,
// recovered from the running means fit passes to onBatchEnd. Checked against
// the model itself (the first batch's loss is the untrained model's loss on the
// first 32 rows) and against History (the batches' size-weighted mean is the
// epoch's loss), on a short last batch, with and without `samples`.
import { describe, it, expect } from "vitest";
import { Sequential, Dense, Activation, SGD, BatchHistory, setRandomSeed } from "../src/index.js";
import { blobs } from "./helpers/data.js";

function model(): Sequential {
  setRandomSeed(11);
  const m = new Sequential([new Dense(8, { inputDim: 4, activation: "relu" }), new Dense(3), new Activation("softmax")]);
  m.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

describe("BatchHistory", () => {
  // 100 rows in batches of 32: 32, 32, 32 and a short last batch of 4.
  const { x, y } = blobs(100, 4, 3, 5);

  it("keeps each batch's own loss and accuracy: batch 0 is the untrained model's figures on rows 0..31", async () => {
    const m = model();
    const [loss0, acc0] = m.evaluate(x.slice(0, 32), y.slice(0, 32), { verbose: 0 });
    const batches = new BatchHistory({ batchSize: 32, samples: 100 });
    const history = await m.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0, callbacks: [batches] });
    expect(batches.history.loss).toHaveLength(8);
    expect(batches.history.loss[0]).toBeCloseTo(loss0, 5);
    expect(batches.history.accuracy[0]).toBeCloseTo(acc0, 6);
    // The batches' mean, weighted by their sizes, is the epoch's figure as History has it.
    const sizes = [32, 32, 32, 4];
    for (const e of [0, 1]) {
      for (const key of ["loss", "accuracy"]) {
        const mean = sizes.reduce((s, n, b) => s + n * batches.history[key][4 * e + b], 0) / 100;
        expect(mean, `${key}, epoch ${e}`).toBeCloseTo(history.history[key][e], 5);
      }
    }
    // Accuracy of a batch is a count over its rows: a multiple of 1/32 (of 1/4 for the last).
    for (const [b, a] of batches.history.accuracy.entries()) expect(a * sizes[b % 4]).toBeCloseTo(Math.round(a * sizes[b % 4]), 4);
    expect(batches.at).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
  });

  it("without samples, places batches at the epoch's end and takes every batch as full", async () => {
    const m = model();
    const batches = new BatchHistory({ batchSize: 25 });
    await m.fit(x, y, { epochs: 1, batchSize: 25, shuffle: false, verbose: 0, callbacks: [batches] });
    expect(batches.at).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it("refuses bad options, naming them", () => {
    expect(() => new BatchHistory({ batchSize: 0 })).toThrow(/BatchHistory: batchSize must be an integer >= 1, got 0/);
    expect(() => new BatchHistory({ samples: 2.5 })).toThrow(/BatchHistory: samples must be an integer >= 1 \(the training rows per epoch\), got 2.5/);
    expect(() => new BatchHistory({ batch_size: 3 } as never)).toThrow(/unknown option "batch_size"/);
  });
});
