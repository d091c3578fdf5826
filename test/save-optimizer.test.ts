// The optimizer in saved models (save / loadModel with includeOptimizer):
// training resumes bit for bit; the file has TensorFlow.js's layout
// (trainingConfig, then weights of group "optimizer": iter, every weight's
// first slot, every weight's second slot, ...); the state travels both ways
// with TensorFlow.js; learning-rate schedules are saved as Keras saves them;
// and the activations TensorFlow.js 4.22 cannot read are mapped or warned about.
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach, vi, type MockInstance } from "vitest";
import { mkdtemp, mkdir, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  Matrix, Sequential, Dense, Activation, BatchNormalization, SGD, Adam, AdamW, RMSprop, Adagrad,
  ExponentialDecay, PiecewiseConstantDecay, CosineDecay, LearningRateSchedule, setRandomSeed, loadModel, type Optimizer,
} from "../src/index.js";
import { lcg, randomMatrix, randomOneHot } from "./helpers/data.js";
import { useTfjsCpu, toTensor, copyWeights, saveTfjsFolder } from "./helpers/tfjs.js";

let root: string;
let count = 0;
const folder = () => join(root, `m${count++}`);
let warn: MockInstance;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "purenn-save-optimizer-"));
  await useTfjsCpu();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
// Saves warn about what TF.js cannot follow; the tests that care read the calls.
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  warn.mockRestore();
});

const x = randomMatrix(20, 6, lcg(1), 0, 1);
const y = randomOneHot(20, 3, lcg(2));
// 20 rows in batches of 5, in order: 4 steps an epoch, the same batches in every run.
const inOrder = { batchSize: 5, shuffle: false, verbose: 0 } as const;

/** Dense + relu, BatchNormalization (trainable gamma, beta; saved moving statistics), Dense, softmax. */
function net(seed: number, batchNorm = true): Sequential {
  setRandomSeed(seed);
  return new Sequential([
    new Dense(12, { inputDim: 6, activation: "relu" }),
    ...(batchNorm ? [new BatchNormalization()] : []),
    new Dense(3),
    new Activation("softmax"),
  ]);
}

function compiled(seed: number, optimizer: Optimizer, batchNorm = true): Sequential {
  const m = net(seed, batchNorm);
  m.compile({ optimizer, loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

const weightsOf = (m: Sequential) => m.getWeights().flatMap((w) => [...w.data]);
const bits = (ms: Matrix[]) => Buffer.concat(ms.map((m) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

async function readSaved(dir: string): Promise<{ json: Record<string, any>; bytes: Buffer }> {
  return { json: JSON.parse(await readFile(join(dir, "model.json"), "utf8")), bytes: await readFile(join(dir, "weights.bin")) };
}

/** tf.loadLayersModel on a purenn folder, trainingConfig included (what tfjs-node's file:// loader passes on). */
async function tfjsLoad(dir: string): Promise<tf.LayersModel> {
  const { json, bytes } = await readSaved(dir);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
    weightData: new Uint8Array(bytes).buffer, trainingConfig: json.trainingConfig,
  }));
}

/** A TF.js model saved with includeOptimizer as model.json + weights.bin in a new folder. */
const saveTfjs = (t: tf.LayersModel): Promise<string> => saveTfjsFolder(t, folder(), true);

const RESUMABLE: [string, () => Optimizer][] = [
  ["SGD, momentum 0.9", () => new SGD({ learningRate: 0.05, momentum: 0.9 })],
  ["SGD, Nesterov momentum, piecewise-constant rate", () => new SGD({
    learningRate: new PiecewiseConstantDecay({ boundaries: [6, 12], values: [0.1, 0.05, 0.01] }), momentum: 0.8, nesterov: true,
  })],
  ["Adam", () => new Adam({ learningRate: 0.01 })],
  ["Adam, amsgrad, exponential decay", () => new Adam({
    learningRate: new ExponentialDecay({ initialLearningRate: 0.02, decaySteps: 5, decayRate: 0.7 }), amsgrad: true,
  })],
  ["Adam, cosine decay with warmup, clipnorm", () => new Adam({
    learningRate: new CosineDecay({ initialLearningRate: 0.001, decaySteps: 10, warmupTarget: 0.02, warmupSteps: 4, alpha: 0.1 }), clipnorm: 0.5,
  })],
  ["AdamW", () => new AdamW({ learningRate: 0.01, weightDecay: 0.1 })],
  ["RMSprop", () => new RMSprop({ learningRate: 0.01 })],
  ["RMSprop, centered, momentum 0.5", () => new RMSprop({ learningRate: 0.01, centered: true, momentum: 0.5 })],
  ["Adagrad", () => new Adagrad({ learningRate: 0.05 })],
];

describe("resuming from a save with includeOptimizer is bit-identical to not stopping", () => {
  for (const [name, make] of RESUMABLE) {
    it(`${name}: 8 steps, save, loadModel, 12 more = 20 steps in one go`, async () => {
      const through = compiled(1, make());
      await through.fit(x, y, { ...inOrder, epochs: 5 });
      const first = compiled(1, make());
      await first.fit(x, y, { ...inOrder, epochs: 2 });
      const dir = folder();
      await first.save(dir, { includeOptimizer: true });
      const resumed = await loadModel(dir, { includeOptimizer: true });
      expect(resumed.optimizer?.constructor).toBe(first.optimizer?.constructor);
      expect(resumed.optimizer?.iterations).toBe(8);
      await resumed.fit(x, y, { ...inOrder, epochs: 3 });
      expect(resumed.optimizer?.iterations).toBe(20);
      expect(bits(resumed.getWeights()).equals(bits(through.getWeights()))).toBe(true);
    });
  }

  it("the state is what makes it so: a fresh Adam after loading ends elsewhere", async () => {
    const through = compiled(1, new Adam({ learningRate: 0.01 }));
    await through.fit(x, y, { ...inOrder, epochs: 5 });
    const first = compiled(1, new Adam({ learningRate: 0.01 }));
    await first.fit(x, y, { ...inOrder, epochs: 2 });
    const dir = folder();
    await first.save(dir);
    const restarted = await loadModel(dir);
    restarted.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: "categorical_crossentropy" });
    await restarted.fit(x, y, { ...inOrder, epochs: 3 });
    expect(maxDiff(restarted.getWeights()[0].data, through.getWeights()[0].data)).toBeGreaterThan(1e-3);
  });

  it("a saved SGD velocity that TF.js's Momentum has trained since is read from its accumulation b, v = −lr·b", async () => {
    // Without purenn's exact "velocity" slot (a TF.js folder), or with one that no longer matches b.
    const through = compiled(2, new SGD({ learningRate: 0.05, momentum: 0.9 }));
    await through.fit(x, y, { ...inOrder, epochs: 3 });
    const first = compiled(2, new SGD({ learningRate: 0.05, momentum: 0.9 }));
    await first.fit(x, y, { ...inOrder, epochs: 1 });
    const dir = folder();
    await first.save(dir, { includeOptimizer: true });
    const { json, bytes } = await readSaved(dir);
    const specs = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    const velocity = specs.findIndex((s) => s.name.endsWith("/velocity"));
    json.weightsManifest[0].weights = specs.slice(0, velocity);
    const kept = specs.slice(0, velocity).reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
    delete json.purenn;
    await writeFile(join(dir, "model.json"), JSON.stringify(json));
    await writeFile(join(dir, "weights.bin"), bytes.subarray(0, kept));
    const resumed = await loadModel(dir, { includeOptimizer: true });
    await resumed.fit(x, y, { ...inOrder, epochs: 2 });
    // Not bit-identical: −lr·(−v/lr) can miss v by a unit in the last place.
    expect(maxDiff(weightsOf(resumed), weightsOf(through))).toBeLessThan(1e-6);
  });
});

describe("the file has TensorFlow.js's layout", () => {
  /** Names of the trainable weights in model order: what the optimizer's slots follow. */
  const trainableNames = (m: Sequential) => m.layers.flatMap((l) => l.params().map((p) => `${l.name}/${p.name}`));

  it("Adam: trainingConfig as TF.js writes it; iter (int32), every m, every v, each with its weight's shape", async () => {
    const m = compiled(3, new Adam({ learningRate: 0.01 }));
    await m.fit(x, y, { ...inOrder, epochs: 1 });
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    const { json, bytes } = await readSaved(dir);
    expect(json.trainingConfig).toEqual({
      loss: "categorical_crossentropy", metrics: ["accuracy"],
      optimizer_config: { class_name: "Adam", config: { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false } },
    });
    const specs = json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string; group?: string }[];
    const model = specs.filter((s) => s.group === undefined);
    const optimizer = specs.filter((s) => s.group === "optimizer");
    expect(specs).toEqual([...model, ...optimizer]); // the optimizer's after the model's
    const names = trainableNames(m); // BatchNormalization's moving statistics have no slots
    expect(names).toHaveLength(6);
    const shapeOf = (n: string) => model.find((s) => s.name === n)!.shape;
    expect(optimizer.map((s) => [s.name, s.shape, s.dtype])).toEqual([
      ["iter", [], "int32"],
      ...names.map((n) => [`${n}/m`, shapeOf(n), "float32"]),
      ...names.map((n) => [`${n}/v`, shapeOf(n), "float32"]),
    ]);
    const modelBytes = model.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(bytes.readInt32LE(modelBytes)).toBe(4);
    // The first m is the first kernel's, as getState gives it.
    const state = m.optimizer!.getState(m.layers.flatMap((l) => l.params()));
    const firstM = new Float32Array(bytes.buffer.slice(bytes.byteOffset + modelBytes + 4, bytes.byteOffset + modelBytes + 4 + 4 * 72));
    expect(Buffer.from(firstM.buffer).equals(Buffer.from(state.slots[0].values[0].buffer))).toBe(true);
  });

  it("SGD with momentum: TF.js's Momentum, its accumulation b = −v/lr in \"momentum\", then purenn's v in \"velocity\"", async () => {
    const m = compiled(4, new SGD({ learningRate: 0.05, momentum: 0.9 }), false);
    await m.fit(x, y, { ...inOrder, epochs: 1 });
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    const { json } = await readSaved(dir);
    expect(json.trainingConfig.optimizer_config).toEqual({ class_name: "Momentum", config: { learningRate: 0.05, momentum: 0.9, useNesterov: false } });
    const slots = (json.weightsManifest[0].weights as { name: string; group?: string }[]).filter((s) => s.group === "optimizer").map((s) => s.name.split("/").pop());
    expect(slots).toEqual(["iter", ...Array(4).fill("momentum"), ...Array(4).fill("velocity")]);
    const [b, v] = m.optimizer!.getState(m.layers.flatMap((l) => l.params())).slots;
    expect(maxDiff(b.values[0], Float32Array.from(v.values[0], (vi) => -vi / 0.05))).toBe(0);
  });

  it("plain SGD keeps only iter; RMSprop is TF.js's RMSProp (decay = ρ) with rms and momentum (zeros at momentum 0)", async () => {
    const plain = compiled(5, new SGD(), false);
    await plain.fit(x, y, { ...inOrder, epochs: 1 });
    const d1 = folder();
    await plain.save(d1, { includeOptimizer: true });
    const j1 = (await readSaved(d1)).json;
    expect(j1.trainingConfig.optimizer_config).toEqual({ class_name: "SGD", config: { learningRate: 0.01 } });
    expect(j1.weightsManifest[0].weights.filter((s: { group?: string }) => s.group === "optimizer").map((s: { name: string }) => s.name)).toEqual(["iter"]);

    const rms = compiled(5, new RMSprop({ learningRate: 0.01 }), false);
    await rms.fit(x, y, { ...inOrder, epochs: 1 });
    const d2 = folder();
    await rms.save(d2, { includeOptimizer: true });
    const j2 = (await readSaved(d2)).json;
    expect(j2.trainingConfig.optimizer_config).toEqual({
      class_name: "RMSProp", config: { learningRate: 0.01, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
    });
    const state = rms.optimizer!.getState(rms.layers.flatMap((l) => l.params()));
    expect(state.slots.map((s) => s.name)).toEqual(["rms", "momentum"]);
    expect(state.slots[1].values.every((a) => a.every((v) => v === 0))).toBe(true);
  });

  it("an uncompiled model saved with includeOptimizer has neither trainingConfig nor optimizer weights (as in TF.js)", async () => {
    const dir = folder();
    await net(6).save(dir, { includeOptimizer: true });
    const { json } = await readSaved(dir);
    expect(json.trainingConfig).toBeUndefined();
    expect(json.weightsManifest[0].weights.some((s: { group?: string }) => s.group === "optimizer")).toBe(false);
  });
});

// Each pair: purenn's optimizer and TF.js's with the same rule and settings.
// Adam takes ε = 1e-10 on both sides, as in optimizers-parity.test.ts: at the
// default 1e-7 the two ε conventions (adam.ts) alone move weights whose
// gradients are nearly 0 by up to 1e-4 in one step at lr 0.01.
const TWINS: [string, () => Optimizer, () => tf.Optimizer, string][] = [
  ["Adam", () => new Adam({ learningRate: 0.01, epsilon: 1e-10 }), () => tf.train.adam(0.01, 0.9, 0.999, 1e-10), "Adam"],
  ["SGD with momentum", () => new SGD({ learningRate: 0.05, momentum: 0.9 }), () => tf.train.momentum(0.05, 0.9), "Momentum"],
  ["RMSprop", () => new RMSprop({ learningRate: 0.01 }), () => tf.train.rmsprop(0.01), "RMSProp"],
  ["Adagrad", () => new Adagrad({ learningRate: 0.05 }), () => tf.train.adagrad(0.05), "Adagrad"],
];

const x5 = x.slice(0, 5), y5 = y.slice(0, 5);
const tfjsWeightsOf = (t: tf.LayersModel) => t.getWeights().flatMap((w) => [...w.dataSync()]);

describe("optimizer state travels between purenn and TensorFlow.js", () => {
  for (const [name, ours, theirs, tfjsClass] of TWINS) {
    it(`${name}: tf.loadLayersModel restores purenn's step count and slots; one more step agrees to 1e-5`, async () => {
      const m = compiled(7, ours(), false);
      await m.fit(x, y, { ...inOrder, epochs: 2 });
      const dir = folder();
      await m.save(dir, { includeOptimizer: true });
      const t = await tfjsLoad(dir);
      expect(t.optimizer.getClassName()).toBe(tfjsClass);
      expect(t.optimizer.iterations).toBe(8);
      // TF.js holds our slots: compare them with getState (for Momentum: b; TF.js also keeps v, unused).
      const state = m.optimizer!.getState(m.layers.flatMap((l) => l.params()));
      const held = (await t.optimizer.getWeights()).slice(1).map((w) => w.tensor.dataSync());
      const expected = state.slots.flatMap((s) => s.values);
      expect(held).toHaveLength(expected.length);
      held.forEach((h, i) => expect(maxDiff(h, expected[i])).toBe(0));
      await m.fit(x5, y5, { ...inOrder, epochs: 1 });
      await t.fit(toTensor(x5), toTensor(y5), { batchSize: 5, epochs: 1, shuffle: false, verbose: 0 });
      const d = maxDiff(weightsOf(m), tfjsWeightsOf(t));
      expect(d, `largest difference ${d}`).toBeLessThan(1e-5);
    });

    it(`${name}: a TF.js model saved with includeOptimizer resumes in purenn; one more step agrees to 1e-5`, async () => {
      const t = tf.sequential();
      t.add(tf.layers.dense({ units: 12, inputShape: [6], activation: "relu" }));
      t.add(tf.layers.dense({ units: 3 }));
      t.add(tf.layers.activation({ activation: "softmax" }));
      copyWeights(net(7, false), t); // purenn's seeded initial weights, so that the run repeats
      t.compile({ optimizer: theirs(), loss: "categoricalCrossentropy" });
      await t.fit(toTensor(x), toTensor(y), { batchSize: 5, epochs: 2, shuffle: false, verbose: 0 });
      const dir = await saveTfjs(t);
      const m = await loadModel(dir, { includeOptimizer: true });
      expect(m.optimizer?.constructor).toBe(ours().constructor);
      expect(m.optimizer?.iterations).toBe(8);
      expect(maxDiff(weightsOf(m), tfjsWeightsOf(t))).toBe(0);
      await m.fit(x5, y5, { ...inOrder, epochs: 1 });
      await t.fit(toTensor(x5), toTensor(y5), { batchSize: 5, epochs: 1, shuffle: false, verbose: 0 });
      const d = maxDiff(weightsOf(m), tfjsWeightsOf(t));
      expect(d, `largest difference ${d}`).toBeLessThan(1e-5);
    });
  }

  it("AdamW: saved as Keras's AdamW, which TF.js rejects; the save says so once", async () => {
    const m = compiled(8, new AdamW({ learningRate: 0.01 }), false);
    await m.fit(x, y, { ...inOrder, epochs: 1 });
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    await m.save(folder(), { includeOptimizer: true });
    const calls = warn.mock.calls.map((c) => String(c[0])).filter((s) => s.includes("AdamW"));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(new RegExp(`model ${m.name}, optimizer AdamW: TensorFlow.js has no AdamW: tf.loadLayersModel rejects`));
    await expect(tfjsLoad(dir)).rejects.toThrow(/Unknown layer: AdamW/);
  });
});

describe("learning-rate schedules are saved as Keras saves them", () => {
  it("ExponentialDecay: learningRate { class_name, config } with Keras's keys; loadModel restores the schedule", async () => {
    const schedule = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.5, staircase: true });
    const m = compiled(9, new SGD({ learningRate: schedule }), false);
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    const { json } = await readSaved(dir);
    expect(json.trainingConfig.optimizer_config.config.learningRate).toEqual({
      class_name: "ExponentialDecay", config: { initial_learning_rate: 0.1, decay_steps: 4, decay_rate: 0.5, staircase: true },
    });
    const back = (await loadModel(dir, { includeOptimizer: true })).optimizer!;
    expect(back.learningRateSchedule).toBeInstanceOf(ExponentialDecay);
    expect(back.learningRateSchedule).toMatchObject({ initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.5, staircase: true });
  });

  it("reads Keras 3's spelling: snake_case keys, nulls, and a schedule with module and registered_name", async () => {
    const m = compiled(10, new Adam(), false);
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    const { json } = await readSaved(dir);
    json.trainingConfig.optimizer_config = {
      class_name: "Adam",
      config: {
        name: "adam", learning_rate: {
          module: "keras.optimizers.schedules", class_name: "CosineDecay", registered_name: null,
          config: { initial_learning_rate: 0.001, decay_steps: 100, alpha: 0.0, name: "CosineDecay", warmup_target: 0.01, warmup_steps: 10 },
        },
        weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false,
        beta_1: 0.8, beta_2: 0.99, epsilon: 1e-6, amsgrad: false,
      },
    };
    await writeFile(join(dir, "model.json"), JSON.stringify(json));
    const back = (await loadModel(dir, { includeOptimizer: true })).optimizer as Adam;
    expect([back.beta1, back.beta2, back.epsilon, back.clipnorm]).toEqual([0.8, 0.99, 1e-6, undefined]);
    expect(back.learningRateSchedule).toMatchObject({ className: "CosineDecay", initialLearningRate: 0.001, decaySteps: 100, warmupTarget: 0.01, warmupSteps: 10 });
  });

  it("TF.js has no schedules: tf.loadLayersModel takes the config object as the rate and trains to NaN; the save warns", async () => {
    const m = compiled(11, new Adam({ learningRate: new ExponentialDecay({ initialLearningRate: 0.01, decaySteps: 10, decayRate: 0.9 }) }), false);
    await m.fit(x, y, { ...inOrder, epochs: 1 });
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(
      /optimizer Adam: TensorFlow.js optimizers take a number as learning rate: tf.loadLayersModel loads the ExponentialDecay config as the rate itself, and training in TensorFlow.js then gives NaN weights/,
    ));
    const t = await tfjsLoad(dir);
    expect(typeof (t.optimizer as unknown as { learningRate: unknown }).learningRate).toBe("object");
    await t.fit(toTensor(x5), toTensor(y5), { batchSize: 5, epochs: 1, verbose: 0 });
    expect(tfjsWeightsOf(t).every(Number.isNaN)).toBe(true);
  });

  it("a schedule of your own (no getConfig) is saved as its current rate, with a warning", async () => {
    class Halving extends LearningRateSchedule {
      readonly className = "Halving";
      at(step: number): number {
        return 0.1 / 2 ** step;
      }
    }
    const m = compiled(12, new SGD({ learningRate: new Halving() }), false);
    await m.fit(x, y, { ...inOrder, epochs: 1 });
    const dir = folder();
    await m.save(dir, { includeOptimizer: true });
    expect((await readSaved(dir)).json.trainingConfig.optimizer_config.config.learningRate).toBe(0.1 / 16);
    expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/schedule Halving has no getConfig\(\), so only its current rate 0.00625 is saved/));
  });
});

describe("setState checks everything before it changes anything", () => {
  it("a wrong slot, length or step count leaves the state as it was", async () => {
    const m = compiled(13, new Adam({ learningRate: 0.01 }), false);
    await m.fit(x, y, { ...inOrder, epochs: 1 });
    const opt = m.optimizer!;
    const params = m.layers.flatMap((l) => l.params());
    const before = opt.getState(params);
    const good = opt.getState(params);
    const bad: [unknown, RegExp][] = [
      [{ ...good, iterations: 2.5 }, /Adam: the step count \(iter\) must be an integer >= 0, got 2\.5/],
      [{ ...good, slots: [good.slots[1], good.slots[0]] }, /Adam keeps "m", "v" for each weight, got "v", "m"/],
      [{ ...good, slots: [good.slots[0], { name: "v", values: good.slots[1].values.slice(1) }] }, /slot v has 3 arrays for the 4 trainable weights/],
      [{ ...good, slots: [good.slots[0], { name: "v", values: [new Float32Array(3), ...good.slots[1].values.slice(1)] }] }, /slot v of trainable weight 0 has 3 values; the weight has \[6, 12\]/],
      [{ iterations: 4, slots: [] }, /Adam at step 4 needs its "m", "v" for each weight, got none/],
    ];
    for (const [state, message] of bad) {
      expect(() => opt.setState(params, state as typeof good)).toThrow(message);
      const now = opt.getState(params);
      expect(now.iterations).toBe(before.iterations);
      now.slots.forEach((s, k) => s.values.forEach((a, j) => expect(maxDiff(a, before.slots[k].values[j])).toBe(0)));
    }
  });
});

describe("activations that TensorFlow.js 4.22 cannot read", () => {
  const probe = randomMatrix(7, 6, lcg(3), -4, 4);

  async function saveOne(layers: () => (Dense | Activation)[]): Promise<{ m: Sequential; dir: string }> {
    setRandomSeed(14);
    const m = new Sequential([new Dense(5, { inputDim: 6 }), ...layers()]);
    const dir = folder();
    await m.save(dir);
    const back = await loadModel(dir);
    expect(bits([back.predict(probe)]).equals(bits([m.predict(probe)]))).toBe(true); // purenn reads every one back
    return { m, dir };
  }
  const tfjsPredicts = async (dir: string) => ((await tfjsLoad(dir)).predict(toTensor(probe)) as tf.Tensor).dataSync();
  const warnings = () => warn.mock.calls.map((c) => String(c[0]));

  for (const name of ["relu6", "elu", "selu", "gelu", "swish", "softplus", "softsign", "log_softmax", "tanh", "linear"] as const) {
    it(`${name}: saved under its name, which TF.js reads as the same function (1e-6), no warning`, async () => {
      const { m, dir } = await saveOne(() => [new Dense(4, { activation: name }), new Activation(name)]);
      expect(maxDiff(await tfjsPredicts(dir), m.predict(probe).data)).toBeLessThan(1e-6);
      expect(warnings()).toEqual([]);
    });
  }

  it("silu: saved as \"swish\", the same x·σ(x) under the name TF.js knows", async () => {
    const { m, dir } = await saveOne(() => [new Dense(4, { activation: "silu" }), new Activation("silu")]);
    const { json } = await readSaved(dir);
    expect(json.modelTopology.config.layers.map((l: { config: { activation?: string } }) => l.config.activation)).toEqual(["linear", "swish", "swish"]);
    expect(maxDiff(await tfjsPredicts(dir), m.predict(probe).data)).toBeLessThan(1e-6);
    expect(warnings()).toEqual([]);
  });

  it("Activation(\"leaky_relu\"): saved as TF.js's LeakyReLU layer { alpha: 0.2 }, read back as Activation", async () => {
    const { m, dir } = await saveOne(() => [new Activation("leaky_relu")]);
    const { json } = await readSaved(dir);
    expect(json.modelTopology.config.layers[1]).toMatchObject({ class_name: "LeakyReLU", config: { alpha: 0.2, name: m.layers[1].name } });
    expect(maxDiff(await tfjsPredicts(dir), m.predict(probe).data)).toBeLessThan(1e-6);
    const back = await loadModel(dir);
    expect(back.layers[1]).toBeInstanceOf(Activation);
    expect(back.layers[1].name).toBe(m.layers[1].name);
    expect(warnings()).toEqual([]);
  });

  const rejected: [string, () => (Dense | Activation)[], (m: Sequential) => string][] = [
    ["exponential in an Activation layer", () => [new Activation("exponential")], (m) => `layer ${m.layers[1].name} has activation "exponential", which TensorFlow.js 4.22 does not have`],
    ["exponential in Dense", () => [new Dense(4, { activation: "exponential" })], (m) => `layer ${m.layers[1].name} has activation "exponential"`],
    ["leaky_relu in Dense", () => [new Dense(4, { activation: "leaky_relu" })], (m) => `layer ${m.layers[1].name} has activation "leaky_relu", which TensorFlow.js 4.22 has only as a layer`],
  ];
  for (const [name, layers, message] of rejected) {
    it(`${name}: saved as is with one warning naming the layer; tf.loadLayersModel rejects it`, async () => {
      const { m, dir } = await saveOne(layers);
      await m.save(folder()); // a second save of the same model: no second warning
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toContain(`save: ${message(m)}`);
      expect(warnings()[0]).toContain("tf.loadLayersModel will reject this model");
      await expect(tfjsLoad(dir)).rejects.toThrow(/Unknown activation/);
    });
  }

  it("hard_sigmoid: saved as is (Keras 3's relu6(x + 3)/6) with a warning; TF.js loads it as Keras 2's formula and differs", async () => {
    const { m, dir } = await saveOne(() => [new Activation("hard_sigmoid")]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain(`layer ${m.layers[1].name} has activation "hard_sigmoid"`);
    expect(warnings()[0]).toContain("computes Keras 2's clip(0.2·x + 0.5, 0, 1), so its predictions will differ");
    expect(maxDiff(await tfjsPredicts(dir), m.predict(probe).data)).toBeGreaterThan(1e-2);
  });

  it("loading refuses a TF.js model's hard_sigmoid (Keras 2's formula) and a LeakyReLU whose slope is not 0.2", async () => {
    const t = tf.sequential();
    t.add(tf.layers.dense({ units: 4, inputShape: [6], activation: "hardSigmoid" }));
    t.compile({ optimizer: "sgd", loss: "meanSquaredError" });
    const dir = await saveTfjs(t);
    await expect(loadModel(dir)).rejects.toThrow(
      /layers\[0\]\.config\.activation is "hard_sigmoid" in a model saved by TensorFlow\.js tfjs-layers v[\d.]+, which means Keras 2's clip\(0\.2·x \+ 0\.5, 0, 1\)/,
    );
    const u = tf.sequential();
    u.add(tf.layers.dense({ units: 4, inputShape: [6] }));
    u.add(tf.layers.leakyReLU());
    u.compile({ optimizer: "sgd", loss: "meanSquaredError" });
    await expect(loadModel(await saveTfjs(u))).rejects.toThrow(/layers\[1\]\.config\.alpha is 0\.3; purenn's leaky_relu has the fixed negative slope 0\.2/);
  });
});
