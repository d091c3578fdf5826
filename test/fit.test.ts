// fit's Keras options: validation, class weights, initialEpoch, callbacks, stopTraining.
import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, EarlyStopping, ReduceLROnPlateau, LearningRateScheduler,
  TerminateOnNaN, Callback,
} from "../src/core.js";
import { blobs, lcg, randomMatrix, randomOneHot } from "./helpers/data.js";

beforeAll(async () => {
  tf.env().set("PROD", true);
  await tf.setBackend("cpu");
});

function small(seed = 1, lr = 0.1): Sequential {
  setRandomSeed(seed);
  const m = new Sequential([new Dense(16, { inputDim: 8 }), new Activation("tanh"), new Dense(3), new Activation("softmax")]);
  m.compile({ optimizer: new SGD({ learningRate: lr }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

function tfjsTwin(m: Sequential, lr: number): tf.Sequential {
  const t = tf.sequential();
  t.add(tf.layers.dense({ units: 16, inputShape: [8] }));
  t.add(tf.layers.activation({ activation: "tanh" }));
  t.add(tf.layers.dense({ units: 3 }));
  t.add(tf.layers.activation({ activation: "softmax" }));
  t.setWeights(m.getWeights().map((w) => (w.rows === 1 ? tf.tensor1d(w.data) : tf.tensor2d(w.data, [w.rows, w.cols]))));
  t.compile({ optimizer: tf.train.sgd(lr), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return t;
}

const toT = (m: Matrix) => tf.tensor2d(m.data, [m.rows, m.cols]);
const flat = (ws: Matrix[]) => ws.flatMap((w) => Array.from(w.data));

describe("validation", () => {
  it("validationSplit holds out the last rows before shuffling: val_loss equals TensorFlow.js's", async () => {
    const { x, y } = blobs(50, 8, 3, 4);
    const ours = small(2);
    const theirs = tfjsTwin(ours, 0.1);
    const h1 = await ours.fit(x, y, { epochs: 3, batchSize: 8, validationSplit: 0.3, shuffle: false, verbose: 0 });
    const h2 = await theirs.fit(toT(x), toT(y), { epochs: 3, batchSize: 8, validationSplit: 0.3, shuffle: false, verbose: 0 });
    expect(Object.keys(h1.history)).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
    h1.history.val_loss.forEach((v, i) => expect(Math.abs(v - (h2.history.val_loss[i] as number))).toBeLessThan(1e-5));
    h1.history.loss.forEach((v, i) => expect(Math.abs(v - (h2.history.loss[i] as number))).toBeLessThan(1e-5));
    // The held-out rows are 35..49: evaluating on them gives the last val_loss.
    expect(ours.evaluate(x.slice(35), y.slice(35), { verbose: 0 })[0]).toBeCloseTo(h1.history.val_loss[2], 6);
  });

  it("validationData overrides validationSplit", async () => {
    const { x, y } = blobs(40, 8, 3, 5);
    const m = small();
    const h = await m.fit(x, y, { epochs: 1, validationSplit: 0.5, validationData: [x.slice(0, 10), y.slice(0, 10)], verbose: 0 });
    expect(h.history.val_loss[0]).toBeCloseTo(m.evaluate(x.slice(0, 10), y.slice(0, 10), { verbose: 0 })[0], 6);
  });

  it("a split that leaves either part empty is an error, before any training", async () => {
    const { x, y } = blobs(10, 8, 3, 6);
    const m = small();
    const before = flat(m.getWeights());
    await expect(m.fit(x, y, { validationSplit: 0.95, verbose: 0 })).rejects.toThrow(/validationSplit 0.95 of 10 rows leaves 0 for training and 10 for validation/);
    await expect(m.fit(x, y, { validationSplit: 1.5, verbose: 0 })).rejects.toThrow(/validationSplit must be a number in \[0, 1\), got 1.5/);
    await expect(m.fit(x, y, { validationData: [x, new Matrix(10, 2)], verbose: 0 })).rejects.toThrow(/validationData: y must have 3 columns/);
    expect(flat(m.getWeights())).toEqual(before);
  });

  it("the progress line ends with the validation figures", async () => {
    const { x, y } = blobs(20, 8, 3, 7);
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await small().fit(x, y, { epochs: 1, batchSize: 5, validationSplit: 0.25, verbose: 1 });
    } finally {
      process.stdout.write = original;
    }
    expect(writes.join("")).toMatch(/3\/3 \[=+\] - .* - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}\n/);
  });
});

describe("classWeight and initialEpoch", () => {
  it("classWeight weights each sample's loss by its class, as TensorFlow.js does", async () => {
    const rand = lcg(3);
    const x = randomMatrix(30, 8, rand, 0, 1);
    const y = randomOneHot(30, 3, rand);
    const ours = small(4);
    const theirs = tfjsTwin(ours, 0.1);
    const classWeight = { 0: 1, 1: 3, 2: 0.5 };
    const h1 = await ours.fit(x, y, { epochs: 2, batchSize: 8, classWeight, shuffle: false, verbose: 0 });
    const h2 = await theirs.fit(toT(x), toT(y), { epochs: 2, batchSize: 8, classWeight, shuffle: false, verbose: 0 });
    const a = flat(ours.getWeights());
    const b = theirs.getWeights().flatMap((w) => Array.from(w.dataSync()));
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
    expect(Math.abs(h1.history.loss[1] - (h2.history.loss[1] as number))).toBeLessThan(1e-5);
  });

  it("classWeight must cover every class in y", async () => {
    const { x, y } = blobs(20, 8, 3, 8);
    await expect(small().fit(x, y, { classWeight: { 0: 1, 1: 1 }, verbose: 0 })).rejects.toThrow(/classWeight has no weight for class 2/);
  });

  it("initialEpoch resumes: epochs 3 from 1 runs epochs 1 and 2", async () => {
    const { x, y } = blobs(20, 8, 3, 9);
    const h = await small().fit(x, y, { epochs: 3, initialEpoch: 1, verbose: 0 });
    expect(h.epoch).toEqual([1, 2]);
    expect(h.history.loss).toHaveLength(2);
  });
});

describe("callbacks", () => {
  /** Training data, and validation data with the same inputs but other labels: as training fits, val_loss rises. */
  function divergent() {
    const rand = lcg(12);
    const x = randomMatrix(30, 8, rand, 0, 1);
    const y = randomOneHot(30, 3, rand);
    const yVal = new Matrix(30, 3);
    for (let i = 0; i < 30; i++) for (let j = 0; j < 3; j++) yVal.data[i * 3 + j] = y.data[i * 3 + ((j + 1) % 3)];
    return { x, y, val: [x, yVal] as [Matrix, Matrix] };
  }

  it("EarlyStopping({ patience: 2, restoreBestWeights: true }) stops and restores the best epoch's weights", async () => {
    const { x, y, val } = divergent();
    const m = small(5, 0.5);
    const snapshots: number[][] = [];
    const early = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 20, batchSize: 10, validationData: val, shuffle: false, verbose: 0,
      callbacks: [{ onEpochEnd: () => void snapshots.push(flat(m.getWeights())) }, early],
    });
    const losses = h.history.val_loss;
    expect(losses.length).toBeLessThan(20); // stopped early
    const best = losses.indexOf(Math.min(...losses));
    expect(losses.length).toBe(best + 3); // the best epoch, then `patience` worse ones
    expect(early.bestEpoch).toBe(best);
    expect(flat(m.getWeights())).toEqual(snapshots[best]);
    expect(flat(m.getWeights())).not.toEqual(snapshots[snapshots.length - 1]);
  });

  it("EarlyStopping on an accuracy figure watches for a maximum", async () => {
    const { x, y } = blobs(40, 8, 3, 13);
    const h = await small(6, 0.5).fit(x, y, { epochs: 30, verbose: 0, callbacks: new EarlyStopping({ monitor: "accuracy", patience: 1 }) });
    const acc = h.history.accuracy;
    // It stopped at the first epoch that did not beat the best accuracy so far.
    expect(acc.length).toBeLessThan(30);
    expect(acc[acc.length - 1]).toBeLessThanOrEqual(Math.max(...acc.slice(0, -1)));
    acc.slice(1, -1).forEach((a, i) => expect(a).toBeGreaterThan(Math.max(...acc.slice(0, i + 1))));
  });

  it("ReduceLROnPlateau multiplies the rate by factor after patience epochs without improvement", async () => {
    const { x, y, val } = divergent();
    const m = small(7, 0.5);
    const rates: number[] = [];
    await m.fit(x, y, {
      epochs: 6, batchSize: 10, validationData: val, shuffle: false, verbose: 0,
      callbacks: [new ReduceLROnPlateau({ patience: 2, factor: 0.5 }), { onEpochEnd: () => void rates.push((m.optimizer as SGD).learningRate) }],
    });
    // val_loss never improves after epoch 0: waits 2 epochs, halves, waits 2, halves.
    expect(rates).toEqual([0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
  });

  it("LearningRateScheduler sets the rate at the start of each epoch", async () => {
    const { x, y } = blobs(20, 8, 3, 14);
    const m = small(8, 0.1);
    const seen: number[] = [];
    await m.fit(x, y, {
      epochs: 3, verbose: 0,
      callbacks: [new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr / 10)), { onEpochBegin: () => void seen.push((m.optimizer as SGD).learningRate) }],
    });
    expect(seen.map((v) => Number(v.toPrecision(6)))).toEqual([0.1, 0.01, 0.001]);
  });

  it("model.stopTraining = true from a callback ends fit after the current batch", async () => {
    const { x, y } = blobs(100, 8, 3, 15);
    const m = small();
    let batches = 0;
    const h = await m.fit(x, y, {
      epochs: 5, batchSize: 10, verbose: 0,
      callbacks: { onBatchEnd: (b: number) => { batches++; if (b === 3) m.stopTraining = true; } },
    });
    expect(batches).toBe(4);
    expect(h.history.loss).toHaveLength(1);
  });

  it("TerminateOnNaN stops a diverging run", async () => {
    const { x, y } = blobs(100, 8, 3, 16);
    setRandomSeed(9);
    const m = new Sequential([new Dense(16, { inputDim: 8 }), new Activation("relu"), new Dense(3), new Activation("linear")]);
    m.compile({ optimizer: new SGD({ learningRate: 10 }), loss: "mse" });
    const log = console.log;
    console.log = () => {};
    try {
      const h = await m.fit(x, y, { epochs: 50, batchSize: 10, verbose: 0, terminateOnNaN: false, callbacks: new TerminateOnNaN() });
      expect(h.history.loss.length).toBeLessThan(50);
      expect(Number.isFinite(h.history.loss[h.history.loss.length - 1])).toBe(false);
    } finally {
      console.log = log;
    }
  });

  it("calls hooks in Keras's order, awaits promises, and gives Callback subclasses the model", async () => {
    const { x, y } = blobs(20, 8, 3, 17);
    const m = small();
    const calls: string[] = [];
    class Recorder extends Callback {
      onTrainBegin() { calls.push(`train-begin ${this.model === m}`); }
      onEpochBegin(e: number) { calls.push(`epoch-begin ${e}`); }
      onBatchEnd(b: number, logs: Record<string, number>) { calls.push(`batch ${b} ${"loss" in logs && "accuracy" in logs}`); }
      async onEpochEnd(e: number, logs: Record<string, number>) {
        await new Promise((r) => setTimeout(r, 5));
        calls.push(`epoch-end ${e} ${Object.keys(logs).join(",")}`);
      }
      onTrainEnd() { calls.push("train-end"); }
    }
    await m.fit(x, y, { epochs: 2, batchSize: 10, validationSplit: 0.5, verbose: 0, callbacks: [new Recorder()] });
    expect(calls).toEqual([
      "train-begin true", "epoch-begin 0", "batch 0 true", "epoch-end 0 loss,accuracy,val_loss,val_accuracy",
      "epoch-begin 1", "batch 0 true", "epoch-end 1 loss,accuracy,val_loss,val_accuracy", "train-end",
    ]);
  });

  it("rejects what is not a callback", async () => {
    const { x, y } = blobs(20, 8, 3, 18);
    await expect(small().fit(x, y, { verbose: 0, callbacks: [42 as never] })).rejects.toThrow(/callbacks\[0\] must be a Callback or an object with any of onTrainBegin/);
  });
});

describe("sparse labels", () => {
  it("sparse_categorical_crossentropy on Uint8Array labels trains exactly like one-hot categorical_crossentropy", async () => {
    const { toCategorical } = await import("../src/core.js");
    const rand = lcg(41);
    const x = randomMatrix(40, 8, rand, 0, 1);
    const labels = Uint8Array.from({ length: 40 }, () => Math.floor(rand() * 3));
    const a = small(5), b = small(5);
    b.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
    const h1 = await a.fit(x, toCategorical(labels, 3), { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const h2 = await b.fit(x, labels, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    expect(flat(b.getWeights())).toEqual(flat(a.getWeights()));
    expect(h2.history.accuracy).toEqual(h1.history.accuracy);
    expect(h2.history.loss[1]).toBeCloseTo(h1.history.loss[1], 6);
    expect(b.evaluate(x, Array.from(labels), { verbose: 0 })[1]).toBe(a.evaluate(x, toCategorical(labels, 3), { verbose: 0 })[1]);
    await expect(b.fit(x, Uint8Array.from({ length: 40 }, () => 7), { verbose: 0 })).rejects.toThrow(/7/);
  });
});

describe("one fit at a time", () => {
  it("a second fit, evaluate or predict while a fit runs is refused at once, naming the model; the running fit is unaffected", async () => {
    const { x, y } = blobs(200, 8, 3, 19);
    const busy = (who: string, m: Sequential) =>
      new RegExp(`^${who}: model "${m.name}" is busy: a fit is running on it; await that fit before calling ${who}`);
    const options = { epochs: 3, batchSize: 10, verbose: 0 as const };

    const m = small(21);
    setRandomSeed(22);
    const running = m.fit(x, y, options);
    await expect(m.fit(x, y, options)).rejects.toThrow(busy("fit", m));
    expect(() => m.evaluate(x, y, { verbose: 0 })).toThrow(busy("evaluate", m));
    expect(() => m.predict(x)).toThrow(busy("predict", m));
    // Also later, between batches: a timer that fires while the fit waits.
    let fromTimer: unknown;
    setTimeout(() => {
      try {
        m.predict(x);
      } catch (e) {
        fromTimer = e;
      }
    }, 0);
    const h = await running;
    expect((fromTimer as Error).message).toMatch(busy("predict", m));

    const undisturbed = small(21);
    setRandomSeed(22);
    const h0 = await undisturbed.fit(x, y, options);
    expect(h.history).toEqual(h0.history);
    expect(flat(m.getWeights())).toEqual(flat(undisturbed.getWeights()));
    // Once the fit has ended, everything works again.
    expect(m.predict(x).rows).toBe(200);
    await m.fit(x, y, { ...options, epochs: 1 });
  });

  it("the fit's own callbacks may call predict and evaluate (as Keras's), but not fit", async () => {
    const { x, y } = blobs(20, 8, 3, 20);
    const m = small();
    const seen: number[] = [];
    let nested: unknown;
    await m.fit(x, y, {
      epochs: 2, verbose: 0,
      callbacks: {
        onEpochEnd: async () => {
          seen.push(m.predict(x).rows, m.evaluate(x, y, { verbose: 0 }).length);
          nested = await m.fit(x, y, { verbose: 0 }).catch((e) => e);
        },
      },
    });
    expect(seen).toEqual([20, 2, 20, 2]);
    expect(String(nested)).toMatch(/fit: model "sequential(_\d+)?" is busy: a fit is running on it/);
  });
});

describe("fit lets the event loop run", () => {
  /** A callback that makes every batch take `ms` of synchronous work: one epoch of 100 batches lasts ≥ 100·ms. */
  const slowBatches = (ms: number) => ({
    onBatchBegin: () => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    },
  });
  const { x, y } = blobs(1000, 8, 3, 23);

  it("every ~50 ms of work, not only between epochs: a setInterval timer fires during a single long epoch", async () => {
    let ticks = 0, ticksBeforeEpochEnd = -1;
    const timer = setInterval(() => ticks++, 5);
    try {
      await small().fit(x, y, {
        epochs: 1, batchSize: 10, verbose: 0,
        callbacks: [slowBatches(3), { onEpochEnd: () => void (ticksBeforeEpochEnd = ticks) }],
      });
    } finally {
      clearInterval(timer);
    }
    // 300 ms of work: about 6 yields, each letting the due timer run once.
    expect(ticksBeforeEpochEnd).toBeGreaterThanOrEqual(3);
  });

  it("model.stopTraining = true from a setTimeout stops fit within one batch", async () => {
    const m = small();
    let batches = 0, batchesWhenStopped = -1;
    setTimeout(() => {
      m.stopTraining = true;
      batchesWhenStopped = batches;
    }, 60);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 10, verbose: 0, callbacks: [slowBatches(3), { onBatchEnd: () => void batches++ }] });
    expect(batchesWhenStopped).toBeGreaterThan(0);
    expect(batchesWhenStopped).toBeLessThan(100); // during the first epoch
    expect(batches - batchesWhenStopped).toBeLessThanOrEqual(1);
    expect(h.history.loss).toHaveLength(1);
  });
});
