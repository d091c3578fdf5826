// save / loadModel in TensorFlow.js's layers-model format: round trips, both
// directions with TensorFlow.js, crashes mid-save, and untrusted folders.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, mkdir, readFile, writeFile, rm, symlink, readdir, rename, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Sequential, Dense, Activation, SGD, setRandomSeed, loadModel } from "../src/index.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { saveTfjsFolder } from "./helpers/tfjs.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "purenn-save-"));
  tf.env().set("PROD", true);
  await tf.setBackend("cpu");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let count = 0;
const folder = () => join(root, `m${count++}`);

/** Saves a TensorFlow.js model as model.json + weights.bin in a new folder (what tfjs-node's file:// writes). */
const saveTfjs = (t: tf.LayersModel): Promise<string> => saveTfjsFolder(t, folder());

function model(seed = 1): Sequential {
  setRandomSeed(seed);
  const m = new Sequential([
    new Dense(12, { inputDim: 6, activation: "relu" }), new Dense(8), new Activation("sigmoid"),
    new Dense(3, { useBias: false }), new Activation("softmax"),
  ]);
  m.compile({ optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

const x = randomMatrix(20, 6, lcg(1), 0, 1);
const bits = (m: Matrix) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe("save and loadModel", () => {
  it("round trip: bit-identical predictions, names and shapes", async () => {
    const m = model();
    await m.fit(x, randomOneHot(20, 3, lcg(2)), { epochs: 2, verbose: 0 });
    const dir = folder();
    await m.save(dir);
    expect((await readdir(dir)).sort()).toEqual(["model.json", "weights.bin"]);
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    expect(json.format).toBe("layers-model");
    expect(json.modelTopology.class_name).toBe("Sequential");
    expect(json.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual(["Dense", "Dense", "Activation", "Dense", "Activation"]);
    expect(json.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual([[6, 12], [12], [12, 8], [8], [8, 3]]);
    expect((await readFile(join(dir, "weights.bin"))).length).toBe(4 * (72 + 12 + 96 + 8 + 24));
    const back = await loadModel(dir);
    expect(back.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(bits(back.predict(x)).equals(bits(m.predict(x)))).toBe(true);
  });

  it("reads TensorFlow.js's \"./name.weights.bin\" weight paths", async () => {
    const m = model(3);
    const dir = folder();
    await m.save(dir);
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    json.weightsManifest[0].paths = ["./group1-shard1of1.bin"];
    await rename(join(dir, "weights.bin"), join(dir, "group1-shard1of1.bin"));
    await writeFile(join(dir, "model.json"), JSON.stringify(json));
    expect(bits((await loadModel(dir)).predict(x)).equals(bits(m.predict(x)))).toBe(true);
  });

  it("includeOptimizer keeps the loss, metrics and optimizer settings", async () => {
    const m = model();
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    const back = await loadModel(dir, { includeOptimizer: true });
    expect(back.optimizer).toBeInstanceOf(SGD);
    expect((back.optimizer as SGD).learningRate).toBe(0.05);
    expect((back.optimizer as SGD).momentum).toBe(0.9);
    const y = randomOneHot(20, 3, lcg(3));
    expect(back.evaluate(x, y, { verbose: 0 })).toEqual(m.evaluate(x, y, { verbose: 0 }));
  });

  it("purenn → TensorFlow.js: tf.loadLayersModel predicts the same (1e-6)", async () => {
    const m = model(4);
    const dir = folder();
    await m.save(dir);
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    const weightData = new Uint8Array(await readFile(join(dir, "weights.bin"))).buffer;
    const t = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
    const theirs = (t.predict(tf.tensor2d(x.data, [20, 6])) as tf.Tensor).dataSync();
    expect(maxDiff(m.predict(x).data, theirs)).toBeLessThan(1e-6);
  });

  it("TensorFlow.js → purenn: a model built and trained in tfjs loads and predicts the same (1e-6)", async () => {
    const t = tf.sequential();
    t.add(tf.layers.dense({ units: 10, inputShape: [6], activation: "tanh" }));
    t.add(tf.layers.dense({ units: 7 }));
    t.add(tf.layers.activation({ activation: "relu" }));
    t.add(tf.layers.dense({ units: 3, activation: "softmax" }));
    t.compile({ optimizer: "sgd", loss: "categoricalCrossentropy" });
    await t.fit(tf.tensor2d(x.data, [20, 6]), tf.tensor2d(randomOneHot(20, 3, lcg(5)).data, [20, 3]), { epochs: 2, verbose: 0 });
    const dir = await saveTfjs(t);
    const ours = await loadModel(dir);
    const theirs = (t.predict(tf.tensor2d(x.data, [20, 6])) as tf.Tensor).dataSync();
    expect(maxDiff(ours.predict(x).data, theirs)).toBeLessThan(1e-6);
  });
});

describe("a save that dies half way leaves the old model or the new one", () => {
  it("at every step of the rename sequence", async () => {
    const old = model(6), fresh = model(7);
    const dir = folder(), staging = folder();
    await old.save(dir);
    await fresh.save(staging);
    const oldBits = bits(old.predict(x)), newBits = bits(fresh.predict(x));
    const states: [string, () => Promise<void>, Buffer][] = [
      ["temporary files written, nothing renamed", async () => {
        await copyFile(join(staging, "weights.bin"), join(dir, "weights.bin.abc123.tmp"));
        await copyFile(join(staging, "model.json"), join(dir, "model.json.abc123.tmp"));
      }, oldBits],
      ["new model.json.next in place, weights not yet", async () => {
        await rename(join(dir, "model.json.abc123.tmp"), join(dir, "model.json.next"));
      }, oldBits],
      ["new weights.bin in place, model.json still old", async () => {
        await rename(join(dir, "weights.bin.abc123.tmp"), join(dir, "weights.bin"));
      }, newBits],
      ["finished", async () => {
        await rename(join(dir, "model.json.next"), join(dir, "model.json"));
      }, newBits],
    ];
    for (const [name, step, expected] of states) {
      await step();
      const loaded = await loadModel(dir);
      expect(bits(loaded.predict(x)).equals(expected), name).toBe(true);
    }
    // The next save clears the leftovers.
    await old.save(dir);
    expect((await readdir(dir)).sort()).toEqual(["model.json", "weights.bin"]);
  });
});

describe("untrusted model folders are rejected before anything is allocated", () => {
  /** A saved model; with the optimizer, after one epoch of SGD with momentum (iter, 5 "momentum", 5 "velocity"). */
  async function valid(withOptimizer = false): Promise<{ dir: string; json: Record<string, any> }> {
    const dir = folder();
    const m = model(8);
    if (withOptimizer) await m.fit(x, randomOneHot(20, 3, lcg(4)), { epochs: 1, verbose: 0 });
    await m.save(dir, { includeOptimizer: withOptimizer });
    return { dir, json: JSON.parse(await readFile(join(dir, "model.json"), "utf8")) };
  }
  type Corrupt = (dir: string, json: Record<string, any>) => Promise<unknown> | unknown;
  /** The optimizer's weight specs (group "optimizer"), in order: iter first. */
  const optimizerSpecs = (j: Record<string, any>) => j.weightsManifest[0].weights.filter((w: { group?: string }) => w.group === "optimizer");
  /** Appends bytes to weights.bin and drops purenn's checksum, as a hand-edited or TF.js folder would have none. */
  async function appendBytes(dir: string, j: Record<string, any>, extra: Buffer): Promise<void> {
    await writeFile(join(dir, "weights.bin"), Buffer.concat([await readFile(join(dir, "weights.bin")), extra]));
    delete j.purenn;
  }
  const withOptimizer: [string, Corrupt, RegExp][] = [
    ["includeOptimizer, but no trainingConfig", (_d, j) => delete j.trainingConfig, /includeOptimizer needs a trainingConfig with loss and optimizer_config, got undefined/],
    ["an optimizer purenn does not know", (_d, j) => (j.trainingConfig.optimizer_config.class_name = "Adadelta"),
      /trainingConfig\.optimizer_config\.class_name: unknown optimizer "Adadelta"; known: SGD, Momentum, Adam, AdamW, RMSProp \(or RMSprop\), Adagrad/],
    ["an optimizer setting out of range", (_d, j) => (j.trainingConfig.optimizer_config.config.momentum = 1.5),
      /trainingConfig\.optimizer_config: SGD momentum must be a number in \[0, 1\), got 1\.5/],
    ["a learning-rate schedule purenn does not know", (_d, j) => (j.trainingConfig.optimizer_config.config.learningRate = { class_name: "InverseTimeDecay", config: {} }),
      /optimizer_config\.config\.learningRate must be a number or a schedule \{ class_name, config \} \(ExponentialDecay, PiecewiseConstantDecay, CosineDecay\), got "InverseTimeDecay"/],
    ["another optimizer's weights (the trainingConfig says Adam)", (_d, j) => (j.trainingConfig.optimizer_config = { class_name: "Adam", config: {} }),
      /optimizer weights: Adam keeps "m", "v" for each weight, got "momentum", "velocity"/],
    ["an optimizer weight of the wrong shape", (_d, j) => (optimizerSpecs(j)[1].shape = [12, 6]),
      /optimizer weight dense_\d+\/kernel\/momentum has shape \[12, 6\] but dense_\d+\/kernel has \[6, 12\]/],
    ["a weight of another slot among the momentum ones", (_d, j) => (optimizerSpecs(j)[2].name = optimizerSpecs(j)[2].name.replace("momentum", "m")),
      /optimizer weight dense_\d+\/bias\/m: expected slot "momentum" of dense_\d+\/bias here/],
    ["a step count that is not one number", (_d, j) => { optimizerSpecs(j)[0].shape = [2]; optimizerSpecs(j)[1].shape = [71]; },
      /optimizer weight iter: the first must be the step count "iter", one number, got shape \[2\]/],
    ["a negative step count", async (dir, j) => {
      const bytes = await readFile(join(dir, "weights.bin"));
      bytes.writeInt32LE(-3, 4 * (72 + 12 + 96 + 8 + 24));
      await writeFile(join(dir, "weights.bin"), bytes);
      delete j.purenn;
    }, /optimizer weights: the step count \(iter\) must be an integer >= 0, got -3/],
    ["an extra optimizer weight", async (dir, j) => {
      j.weightsManifest[0].weights.push({ name: "extra/momentum", shape: [1], dtype: "float32", group: "optimizer" });
      await appendBytes(dir, j, Buffer.alloc(4));
    }, /optimizer weights: 11 after "iter", not a whole number of slots for the model's 5 trainable weights/],
    ["an optimizer weight named like a model weight", (_d, j) => (optimizerSpecs(j)[1].name = j.weightsManifest[0].weights[0].name),
      /the weights manifest names dense_\d+\/kernel twice/],
    ["an int32 slot", (_d, j) => (optimizerSpecs(j)[1].dtype = "int32"), /optimizer weight dense_\d+\/kernel\/momentum has dtype "int32"; slots are float32/],
  ];
  const cases: [string, Corrupt, RegExp][] = [
    ["model.json is not JSON", (dir) => writeFile(join(dir, "model.json"), "{ not json"), /model\.json: not valid JSON/],
    ["no model.json", (dir) => rm(join(dir, "model.json")), /model\.json: file not found/],
    ["unknown layer class", (_d, j) => (j.modelTopology.config.layers[1].class_name = "LSTM"), /layers\[1\]: unknown layer class "LSTM"; known: Dense, Dropout, BatchNormalization, Activation, LeakyReLU, Conv2D, MaxPooling2D/],
    ["not a Sequential", (_d, j) => (j.modelTopology.class_name = "Functional"), /must be a Sequential model/],
    ["shapes that do not chain", (_d, j) => (j.modelTopology.config.layers[1].config.batch_input_shape = [null, 5]), /layers\[1\] declares input width 5 but the layer before it outputs 12/],
    ["absurd sizes", (_d, j) => (j.modelTopology.config.layers[0].config.units = 2 ** 31), /units is 2147483648, more than the 1048576 purenn accepts/],
    ["fractional units", (_d, j) => (j.modelTopology.config.layers[0].config.units = 1.5), /units must be a positive integer, got 1\.5/],
    ["more weight bytes declared than weights.bin holds", (_d, j) => j.weightsManifest[0].weights[0].shape = [6, 13], /declares 872 bytes of weights but weights\.bin holds 848/],
    ["weights.bin longer than declared", (dir) => writeFile(join(dir, "weights.bin"), Buffer.alloc(852)), /declares 848 bytes of weights but weights\.bin holds 852/],
    ["weights path with ../", (_d, j) => (j.weightsManifest[0].paths = ["../weights.bin"]), /weight path "\.\.\/weights\.bin" must be a file name inside the model folder/],
    ["a ./ path that still leaves the folder", (_d, j) => (j.weightsManifest[0].paths = ["./../weights.bin"]), /weight path "\.\/\.\.\/weights\.bin" must be a file name inside the model folder/],
    ["absolute weights path", (_d, j) => (j.weightsManifest[0].paths = ["/etc/passwd"]), /weight path "\/etc\/passwd" must be a file name inside the model folder/],
    ["a symlink that leaves the folder", async (dir, j) => {
      await writeFile(join(root, "outside.bin"), Buffer.alloc(848));
      await symlink(join(root, "outside.bin"), join(dir, "link.bin"));
      j.weightsManifest[0].paths = ["link.bin"];
    }, /weight file link\.bin resolves outside the model folder/],
    ["a weight of the wrong dtype", (_d, j) => (j.weightsManifest[0].weights[0].dtype = "int32"), /has dtype "int32"; purenn reads float32 weights/],
    ["weights that do not fit the layers", (_d, j) => { j.weightsManifest[0].weights[0].shape = [6, 11]; j.weightsManifest[0].weights[1].shape = [18]; }, /weight dense_\d+\/kernel has shape \[6, 11\] but dense_\d+ kernel needs \[6, 12\]/],
    ["a weight count that does not fit the layers", async (dir, j) => {
      j.weightsManifest[0].weights[1].shape = [13];
      delete j.purenn; // as a folder written by TensorFlow.js, without purenn's checksum
      await writeFile(join(dir, "weights.bin"), Buffer.alloc(852));
    }, /the weights manifest declares 213 values but the layers need 212/],
  ];
  for (const [name, corrupt, message] of cases) {
    it(name, async () => {
      const { dir, json } = await valid();
      const modified = await corrupt(dir, json);
      void modified;
      if (!name.includes("JSON") && !name.includes("no model.json")) await writeFile(join(dir, "model.json"), JSON.stringify(json));
      await expect(loadModel(dir)).rejects.toThrow(message);
    });
  }
  for (const [name, corrupt, message] of withOptimizer) {
    it(`with includeOptimizer: ${name}`, async () => {
      const { dir, json } = await valid(true);
      await corrupt(dir, json);
      await writeFile(join(dir, "model.json"), JSON.stringify(json));
      await expect(loadModel(dir, { includeOptimizer: true })).rejects.toThrow(message);
    });
  }
});

describe("ModelCheckpoint and CSVLogger", () => {
  it("ModelCheckpoint with saveBestOnly keeps the best epoch's model; fields fill the path", async () => {
    const { ModelCheckpoint } = await import("../src/index.js");
    const m = model(9);
    const y = randomOneHot(20, 3, lcg(10));
    const dir = folder();
    const best = new Map<number, Buffer>();
    await m.fit(x, y, {
      epochs: 4, verbose: 0, validationData: [x, y],
      callbacks: [new ModelCheckpoint(join(dir, "best"), { saveBestOnly: true }), new ModelCheckpoint(join(dir, "e{epoch:02d}")),
        { onEpochEnd: (e: number) => void best.set(e, bits(m.predict(x))) }],
    });
    expect((await readdir(dir)).sort()).toEqual(["best", "e01", "e02", "e03", "e04"]);
    expect(bits((await loadModel(join(dir, "e03"))).predict(x)).equals(best.get(2)!)).toBe(true);
    // Training improves val_loss here every epoch, so "best" holds the last epoch.
    expect(bits((await loadModel(join(dir, "best"))).predict(x)).equals(best.get(3)!)).toBe(true);
  });

  it("CSVLogger writes a header of sorted keys and a row per epoch", async () => {
    const { CSVLogger } = await import("../src/index.js");
    const file = join(root, "log.csv");
    const h = await model(11).fit(x, randomOneHot(20, 3, lcg(12)), { epochs: 2, verbose: 0, validationSplit: 0.25, callbacks: new CSVLogger(file) });
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines[0]).toBe("epoch,accuracy,loss,val_accuracy,val_loss");
    expect(lines).toHaveLength(3);
    expect(Number(lines[2].split(",")[2])).toBeCloseTo(h.history.loss[1], 10);
  });

  it("formatPath fills {epoch:02d} and {val_loss:.2f}", async () => {
    const { formatPath } = await import("../src/model/checkpoint.node.js");
    expect(formatPath("m/{epoch:02d}-{val_loss:.2f}-{missing}", 3, { val_loss: 0.41234 })).toBe("m/03-0.41-{missing}");
  });
});

describe("Dropout and BatchNormalization travel too", () => {
  async function tfjsFromDir(dir: string): Promise<tf.LayersModel> {
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    const weightData = new Uint8Array(await readFile(join(dir, "weights.bin"))).buffer;
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  }

  it("a trained purenn model with Dense, Activation, Dropout and BatchNormalization: round trip bit-identical, in tfjs to 1e-6", async () => {
    const { Dropout, BatchNormalization, l2 } = await import("../src/index.js");
    setRandomSeed(21);
    const m = new Sequential([
      new Dense(16, { inputDim: 6, kernelRegularizer: l2(0.001) }), new BatchNormalization(), new Activation("relu"),
      new Dropout(0.3), new Dense(3), new Activation("softmax"),
    ]);
    m.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
    await m.fit(x, randomOneHot(20, 3, lcg(22)), { epochs: 3, batchSize: 5, verbose: 0 });
    const dir = folder();
    await m.save(dir);
    const back = await loadModel(dir);
    expect(back.getWeights().length).toBe(8); // kernel, bias, gamma, beta, moving_mean, moving_variance, kernel, bias
    expect(bits(back.predict(x)).equals(bits(m.predict(x)))).toBe(true);
    const t = await tfjsFromDir(dir);
    expect(maxDiff(m.predict(x).data, (t.predict(tf.tensor2d(x.data, [20, 6])) as tf.Tensor).dataSync())).toBeLessThan(1e-6);
  });

  it("a model trained in TensorFlow.js with Dropout and BatchNormalization predicts the same in purenn (1e-6)", async () => {
    const t = tf.sequential();
    t.add(tf.layers.dense({ units: 12, inputShape: [6] }));
    t.add(tf.layers.batchNormalization());
    t.add(tf.layers.activation({ activation: "tanh" }));
    t.add(tf.layers.dropout({ rate: 0.2 }));
    t.add(tf.layers.dense({ units: 3, activation: "softmax" }));
    t.compile({ optimizer: "adam", loss: "categoricalCrossentropy" });
    await t.fit(tf.tensor2d(x.data, [20, 6]), tf.tensor2d(randomOneHot(20, 3, lcg(23)).data, [20, 3]), { epochs: 3, verbose: 0 });
    const dir = await saveTfjs(t);
    const ours = await loadModel(dir);
    expect(ours.layers.map((l) => l.className)).toEqual(["Dense", "BatchNormalization", "Activation", "Dropout", "Dense"]);
    expect(maxDiff(ours.predict(x).data, (t.predict(tf.tensor2d(x.data, [20, 6])) as tf.Tensor).dataSync())).toBeLessThan(1e-6);
  });
});
