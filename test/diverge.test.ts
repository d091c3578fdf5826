// Training that diverges: fit stops at the first non-finite loss or weight,
// leaves the last finite weights in the model, says whose they are and why it
// probably happened.
import { describe, it, expect } from "vitest";
import { Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, TrainingDivergedError, type FitPosition } from "../src/core.js";
import { blobs } from "./helpers/data.js";

function tutorial(lr: number): Sequential {
  setRandomSeed(3);
  const m = new Sequential([
    new Dense(256, { inputDim: 784 }), new Activation("sigmoid"), new Dense(128), new Activation("relu"), new Dense(10), new Activation("softmax"),
  ]);
  m.compile({ optimizer: new SGD({ learningRate: lr }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

/** The model holds exactly the weights from the start of the batch the error names (snapshots: one per batch, `steps` per epoch). */
function expectWeightsFrom(m: Sequential, e: TrainingDivergedError, snapshots: Matrix[][], steps: number): void {
  const from = e.weightsFrom as FitPosition;
  const before = snapshots[from.epoch * steps + from.batch];
  m.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(before[i].data)));
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
    expectWeightsFrom(m, e, snapshots, 20);
  });

  it("a linear network at learning rate 1e4 overflows its weights before the loss turns NaN: fit puts the last finite ones back", async () => {
    // Losses 0.5, 2e15, 1e63 (finite: the loss is summed in float64), and that batch's update
    // overflows every weight to ±Infinity; the next loss is NaN. The weights from before the NaN
    // batch are useless, so fit restores its last copy of finite weights and says whose they are.
    const { x, y } = blobs(640, 20, 10, 2);
    setRandomSeed(5);
    const m = new Sequential([new Dense(32, { inputDim: 20 }), new Dense(10)]);
    m.compile({ optimizer: new SGD({ learningRate: 1e4, momentum: 0.9 }), loss: "mean_squared_error" });
    const snapshots: Matrix[][] = [];
    const e = await m.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0, callbacks: { onBatchBegin: () => void snapshots.push(m.getWeights()) } })
      .catch((err) => err);
    expect(e).toBeInstanceOf(TrainingDivergedError);
    expect(e.restored).toBe(true);
    const from = e.weightsFrom as FitPosition;
    expect(e.message).toMatch(new RegExp(`the weights are restored to the last finite ones fit copied, from before epoch ${from.epoch + 1}, batch ${from.batch + 1} \\(the optimizer's state too\\)`));
    for (const w of m.getWeights()) expect(w.data.every(Number.isFinite)).toBe(true);
    expectWeightsFrom(m, e, snapshots, 20);
    // The optimizer's state went back with the weights: its step count, and momenta that do not
    // poison the next fit, which trains on at a sane learning rate.
    expect(m.optimizer?.iterations).toBe(from.epoch * 20 + from.batch);
    (m.optimizer as SGD).learningRate = 0.01;
    const h = await m.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
  });

  it("an update that overflows the weights in an epoch's last batch is caught before the epoch ends", async () => {
    // Three batches: losses 0.7, 2e14, 9e60; the third update overflows and no loss is computed after it.
    const { x, y } = blobs(48, 3, 2, 2);
    setRandomSeed(5);
    const m = new Sequential([new Dense(4, { inputDim: 3 }), new Dense(2)]);
    m.compile({ optimizer: new SGD({ learningRate: 1e4 }), loss: "mean_squared_error" });
    const ends: number[] = [];
    const e = await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: { onEpochEnd: (epoch: number) => void ends.push(epoch) } })
      .catch((err) => err);
    expect(e).toBeInstanceOf(TrainingDivergedError);
    expect(e.message).toMatch(/^fit: an update made the weights non-finite by epoch 1, batch 3 \(its loss was \d\.\d+e\+60\); training stopped and the weights are restored/);
    expect(ends).toEqual([]); // no callback saw the infinite weights
    for (const w of m.getWeights()) expect(w.data.every(Number.isFinite)).toBe(true);
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
