// Names a user types (tensor/names.ts): every public options object is checked
// against its known keys before any work; a slip gets the nearest known key, a
// Keras (snake_case) spelling a pointer to purenn's camelCase.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Sequential, Dense, Activation, Dropout, BatchNormalization, SGD, Adam, L1L2, l1l2, ExponentialDecay, CosineDecay,
  PiecewiseConstantDecay, EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger, loadMnist, loadModel,
  reportHtml, History, setRandomSeed,
} from "../src/index.js";
import { checkOptions, nearestName } from "../src/tensor/names.js";
import { blobs } from "./helpers/data.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "purenn-names-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function model(): Sequential {
  setRandomSeed(1);
  const m = new Sequential([new Dense(4, { inputDim: 3 }), new Activation("softmax")]);
  m.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}
const { x, y } = blobs(8, 3, 4, 1);

describe("the nearest known name", () => {
  it.each([
    ["activaton", ["activation", "useBias"], "activation"], // a letter left out
    ["metric", ["optimizer", "loss", "metrics"], "metrics"],
    ["batch_size", ["epochs", "batchSize"], "batchSize"], // snake_case folds to the camelCase name
    ["BATCHSIZE", ["batchSize"], "batchSize"],
    ["valdiationSplit", ["validationSplit", "validationData"], "validationSplit"], // two letters swapped
    ["timeout", ["timeoutMs", "dir"], "timeoutMs"],
    ["weightDecay", ["learningRate", "beta1", "beta2"], undefined], // nothing near: no guess
    ["lr", ["l1", "l2"], "l1"],
    ["xyz", ["l1", "l2"], undefined],
  ])("%s among %j: %s", (name, known, meant) => {
    expect(nearestName(name, known)).toBe(meant);
  });

  it("returns the options, {} when omitted, and refuses anything but an object", () => {
    const options = { a: 1 };
    expect(checkOptions("f", options, ["a"])).toBe(options);
    expect(checkOptions("f", undefined, ["a"])).toEqual({});
    expect(() => checkOptions("f", undefined, ["a"], { required: true, example: "{ a: 1 }" })).toThrow("f expects an options object such as { a: 1 }, got undefined");
    expect(() => checkOptions("f", null as never, ["a"])).toThrow("f expects an options object, got null");
    expect(() => checkOptions("f", [1] as never, ["a"])).toThrow("f expects an options object, got an array of length 1");
  });
});

describe("every public options object refuses an unknown key, naming it and the nearest known one", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["Dense activaton", () => new Dense(3, { inputDim: 2, activaton: "softmax" } as never),
      /^Dense\(3\) got an unknown option "activaton" \(did you mean activation\?\); known options: inputDim, inputShape, activation, /],
    ["Dense input_dim", () => new Dense(3, { input_dim: 2 } as never),
      /^Dense\(3\) got an unknown option "input_dim" \(did you mean inputDim\?\); purenn spells options in camelCase; known options: inputDim,/],
    ["Dense kernel_initializer", () => new Dense(3, { kernel_initializer: "zeros" } as never), /\(did you mean kernelInitializer\?\); purenn spells options in camelCase/],
    ["Activation", () => new Activation("relu", { input_shape: [3] } as never), /^Activation\("relu"\) got an unknown option "input_shape" \(did you mean inputShape\?\)/],
    ["Dropout", () => new Dropout(0.5, { sed: 1 } as never), /^Dropout\(0\.5\) got an unknown option "sed" \(did you mean seed\?\)/],
    ["BatchNormalization", () => new BatchNormalization({ momemtum: 0.9 } as never), /^BatchNormalization got an unknown option "momemtum" \(did you mean momentum\?\)/],
    ["Sequential", () => new Sequential([], { nmae: "m" } as never), /^Sequential got an unknown option "nmae" \(did you mean name\?\)/],
    ["compile metric", () => model().compile({ optimizer: "sgd", loss: "mse", metric: ["accuracy"] } as never),
      /^compile got an unknown option "metric" \(did you mean metrics\?\); known options: optimizer, loss, metrics$/],
    ["compile without options", () => model().compile(undefined as never), /^compile expects an options object such as \{ optimizer: "sgd", loss: "categorical_crossentropy" \}, got undefined/],
    ["evaluate", () => model().evaluate(x, y, { batch_size: 2 } as never), /^evaluate got an unknown option "batch_size" \(did you mean batchSize\?\); purenn spells options in camelCase/],
    ["predict", () => model().predict(x, { verbose: 0 } as never), /^predict got an unknown option "verbose"; known options: batchSize$/],
    ["L1L2", () => new L1L2({ l3: 0.1 } as never), /^L1L2 got an unknown option "l3" \(did you mean l1\?\); known options: l1, l2$/],
    ["l1l2", () => l1l2({ L2: 0.1 } as never), /^l1l2 got an unknown option "L2" \(did you mean l2\?\)/],
    ["SGD", () => new SGD({ learning_rate: 0.1 } as never), /^SGD got an unknown option "learning_rate" \(did you mean learningRate\?\); purenn spells options in camelCase/],
    ["Adam", () => new Adam({ epsilom: 1e-7 } as never), /^Adam got an unknown option "epsilom" \(did you mean epsilon\?\)/],
    ["ExponentialDecay", () => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9, stairCase: true } as never),
      /^ExponentialDecay got an unknown option "stairCase" \(did you mean staircase\?\)/],
    ["CosineDecay", () => new CosineDecay({ initial_learning_rate: 0.1, decaySteps: 10 } as never), /\(did you mean initialLearningRate\?\); purenn spells options in camelCase/],
    ["PiecewiseConstantDecay", () => new PiecewiseConstantDecay({ boundaries: [1], value: [1, 2] } as never), /\(did you mean values\?\)/],
    ["EarlyStopping", () => new EarlyStopping({ restore_best_weights: true } as never),
      /^EarlyStopping got an unknown option "restore_best_weights" \(did you mean restoreBestWeights\?\); purenn spells options in camelCase/],
    ["ReduceLROnPlateau", () => new ReduceLROnPlateau({ min_lr: 0.001 } as never), /^ReduceLROnPlateau got an unknown option "min_lr" \(did you mean minLr\?\)/],
    ["ModelCheckpoint", () => new ModelCheckpoint(join(root, "c"), { save_best_only: true } as never), /^ModelCheckpoint got an unknown option "save_best_only" \(did you mean saveBestOnly\?\)/],
    ["CSVLogger", () => new CSVLogger(join(root, "log.csv"), { seperator: ";" } as never), /^CSVLogger got an unknown option "seperator" \(did you mean separator\?\)/],
    ["reportHtml", () => reportHtml(new History(), model(), { xTest: x, yTest: new Uint8Array(8) } as never, { titel: "t" } as never), /got an unknown option "titel" \(did you mean title\?\)/],
  ];
  it.each(cases)("%s", async (_name, act, message) => {
    await expect(async () => act()).rejects.toThrow(message);
  });

  it("fit refuses validation_split and batch_size before any work: the weights are untouched", async () => {
    const m = model();
    const before = m.getWeights().map((w) => Array.from(w.data));
    await expect(m.fit(x, y, { validation_split: 0.2, verbose: 0 } as never)).rejects.toThrow(
      /^fit got an unknown option "validation_split" \(did you mean validationSplit\?\); purenn spells options in camelCase; known options: epochs, batchSize, /,
    );
    await expect(m.fit(x, y, { batch_size: 2, verbose: 0 } as never)).rejects.toThrow(/^fit got an unknown option "batch_size" \(did you mean batchSize\?\)/);
    await expect(m.fit(x, y, { epoch: 2, verbose: 0 } as never)).rejects.toThrow(/^fit got an unknown option "epoch" \(did you mean epochs\?\)/);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(before);
  });

  it("save and loadModel refuse an unknown option before touching the folder", async () => {
    const dir = join(root, "never-made");
    await expect(model().save(dir, { include_optimizer: true } as never)).rejects.toThrow(
      /^save got an unknown option "include_optimizer" \(did you mean includeOptimizer\?\); purenn spells options in camelCase/,
    );
    await expect(access(dir)).rejects.toThrow(/ENOENT/);
    await model().save(dir);
    await expect(loadModel(dir, { includeOptimiser: true } as never)).rejects.toThrow(/^loadModel got an unknown option "includeOptimiser" \(did you mean includeOptimizer\?\)/);
  });

  it("loadMnist refuses an unknown option before looking anywhere", async () => {
    await expect(loadMnist({ cache_dir: "/nonexistent" } as never)).rejects.toThrow(
      /^loadMnist got an unknown option "cache_dir" \(did you mean cacheDir\?\); purenn spells options in camelCase/,
    );
  });
});

describe("string names are typed: a typo fails to compile (npm run typecheck) and still fails at run time", () => {
  it("both spellings of every kind compile", () => {
    const m = new Sequential([
      new Dense(4, { inputDim: 3, activation: "leaky_relu", kernelInitializer: "he_normal", kernelRegularizer: "l1_l2" }),
      new Dense(4, { activation: "leakyRelu", kernelInitializer: "heNormal", biasRegularizer: "l1l2" }),
      new Activation("hard_sigmoid"), new Activation("hardSigmoid"), new Activation("softmax"),
    ]);
    m.compile({ optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy", "top_k_categorical_accuracy"] });
    m.compile({ optimizer: "adamw", loss: "categoricalCrossentropy", metrics: ["categoricalAccuracy", "meanSquaredError"] });
    expect(m.optimizer?.className).toBe("AdamW");
  });

  it("a misspelled activation, loss, optimizer, metric or initializer is a type error", () => {
    // @ts-expect-error "sigmod" is not an activation
    expect(() => new Activation("sigmod")).toThrow(/unknown activation "sigmod"/);
    // @ts-expect-error "softmx" is not an activation
    expect(() => new Dense(3, { activation: "softmx" })).toThrow(/unknown activation "softmx"/);
    // @ts-expect-error "adma" is not an optimizer
    expect(() => model().compile({ optimizer: "adma", loss: "mse" })).toThrow(/unknown optimizer "adma"/);
    // @ts-expect-error "categorical_crossentropi" is not a loss
    expect(() => model().compile({ optimizer: "sgd", loss: "categorical_crossentropi" })).toThrow(/unknown loss/);
    // @ts-expect-error "acuracy" is not a metric
    expect(() => model().compile({ optimizer: "sgd", loss: "mse", metrics: ["acuracy"] })).toThrow(/unknown metric "acuracy"/);
    // @ts-expect-error "glorot" is not an initializer
    expect(() => new Dense(3, { kernelInitializer: "glorot" })).toThrow(/unknown initializer "glorot"/);
    // @ts-expect-error "l3" is not a regularizer
    expect(() => new Dense(3, { kernelRegularizer: "l3" })).toThrow(/unknown regularizer "l3"/);
    // Functions and instances stay accepted where a user brings their own.
    expect(new Dense(3, { inputDim: 2, kernelInitializer: (w) => w.data.fill(0.5) }).kernelInitializer).toBe("custom");
  });
});
