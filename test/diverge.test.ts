// Training that diverges: fit stops at the first non-finite loss, keeps the
// weights from before that batch, and says why it probably happened.
import { describe, it, expect } from "vitest";
import { Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, TrainingDivergedError } from "../src/core.js";
import { blobs } from "./helpers/data.js";

function tutorial(lr: number): Sequential {
  setRandomSeed(3);
  const m = new Sequential([
    new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(128), new Activation("relu"), new Dense(10), new Activation("softmax"),
  ]);
  m.compile({ optimizer: new SGD({ learningRate: lr }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

describe("a diverging fit", () => {
  it("the tutorial's network at learning rate 1e4 does not reach NaN: the clipped cross-entropy stalls near 14", async () => {
    // Cross-entropy clips probabilities to [1e-7, 1 − 1e-7] (Keras on probabilities, TensorFlow.js), so its
    // loss is at most −ln(1e-7) ≈ 16.1; the sigmoid saturates and the relu units die, and training stalls
    // with finite weights instead of overflowing. fit runs to the end; the loss says the run is ruined.
    const { x, y } = blobs(640, 784, 10, 2);
    const h = await tutorial(1e4).fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    for (const loss of h.history.loss) expect(loss).toBeGreaterThan(10); // ln 10 ≈ 2.3 is chance
  });

  it("a loss that turns NaN stops fit at that batch, names epoch, batch, loss and causes, and keeps the History", async () => {
    const { x, y } = blobs(640, 20, 10, 2);
    setRandomSeed(5);
    const m = new Sequential([new Dense(32, { inputDim: 20, activation: "relu" }), new Dense(10)]);
    m.compile({ optimizer: new SGD({ learningRate: 100 }), loss: "mean_squared_error" });
    const snapshots: Matrix[][] = [];
    let error: unknown;
    try {
      await m.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0, callbacks: { onBatchBegin: () => void snapshots.push(m.getWeights()) } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(Number.isFinite(e.loss)).toBe(false);
    expect(e.message).toMatch(new RegExp(`the loss became ${e.loss} at epoch ${e.epoch + 1}, batch ${e.batch + 1}`));
    expect(e.message).toMatch(/learning rate is too high \(it is 100; try 10 or 100 times smaller\)/);
    expect(e.message).toMatch(/inputs are not scaled to \[0, 1\] \(x ranges over \[0, 1\]\)/);
    expect(e.history.history.loss).toHaveLength(e.epoch); // the epochs that finished
    // The weights are exactly those at the start of the failing batch.
    const before = snapshots[snapshots.length - 1];
    m.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(before[i].data)));
  });

  it("hints at unscaled inputs and labels that are not one-hot", async () => {
    setRandomSeed(4);
    const m = new Sequential([new Dense(4, { inputDim: 3 }), new Activation("softmax")]);
    // A rate so high that one step overflows the weights to ±Infinity: the next forward pass gives NaN.
    m.compile({ optimizer: new SGD({ learningRate: 1e38 }), loss: "categorical_crossentropy" });
    const x = Matrix.fromArray([[0, 255, 3], [200, 1, 0], [5, 5, 255], [9, 0, 100]]);
    const y = Matrix.fromArray([[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
    const e = await m.fit(x, y, { epochs: 20, batchSize: 2, verbose: 0 }).catch((err) => err);
    expect(e).toBeInstanceOf(TrainingDivergedError);
    expect(e.message).toMatch(/x ranges over \[0, 255\]: divide pixels by 255/);
    expect(e.message).toMatch(/labels are not one-hot for categorical_crossentropy/);
    expect(e.message).toMatch(/y holds values other than 0 and 1: use toCategorical/);
  });

  it("terminateOnNaN: false trains on through NaN", async () => {
    const { x, y } = blobs(320, 20, 10, 2);
    setRandomSeed(5);
    const m = new Sequential([new Dense(32, { inputDim: 20, activation: "relu" }), new Dense(10)]);
    m.compile({ optimizer: new SGD({ learningRate: 100 }), loss: "mean_squared_error" });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0, terminateOnNaN: false });
    expect(h.history.loss).toHaveLength(5);
    expect(Number.isNaN(h.history.loss[4])).toBe(true);
  });
});
