#!/usr/bin/env node
/**
 * `npm start`: the beginner's Keras tutorial, line for line, on real MNIST.
 *
 *   (x_train, y_train), (x_test, y_test) = mnist.load_data()
 *   model = Sequential([Dense(256, input_dim=784), Activation("sigmoid"),
 *                       Dense(128), Activation("relu"), Dense(10), Activation("softmax")])
 *   model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
 *   model.fit(x_train, y_train, epochs=5, batch_size=32)
 *   model.evaluate(x_test, y_test);  np.argmax(model.predict(x_test[:10]), axis=1)
 *
 * `npm start -- --model cnn` trains Keras's mnist_convnet instead (model/tutorial.ts),
 * with its settings: Adam, batch 128, validation_split 0.1, 15 epochs.
 *
 * Run `npm start -- --help` for the options. Installed from npm, it is the
 * `purenn` command (package.json's "bin": dist/cli.js, run by plain node).
 */
import { parseArgs } from "node:util";
import {
  SGD, Adam, AdamW, RMSprop, Adagrad, Sequential, Dropout, BatchHistory, tutorialModel, convnetModel, loadMnist, loadModel, toCategorical, argmax, setRandomSeed, writeReport, type Matrix, type Optimizer,
} from "./index.js";
import { digitArt } from "./data/art.js";
import { trainingRows } from "./model/fit-options.js";

const HELP = `Usage: purenn [options]          (in a clone of purenn: npm start -- [options])

Trains the Keras tutorial's 784-256-128-10 network (or, with --model cnn,
Keras's mnist_convnet) on MNIST, evaluates it on the test set and shows its
predictions for the first ten test digits.

Options:
  --model NAME        dense: the tutorial's network (the default); cnn: Keras's
                      mnist_convnet (two Conv2D + MaxPooling2D, Dropout, Dense),
                      whose defaults are Keras's: --optimizer adam
                      --learning-rate 0.001 --batch-size 128
                      --validation-split 0.1 --epochs 15
  --epochs N          passes over the training set (default 5; 0 only evaluates)
  --batch-size N      samples per gradient step (default 32)
  --learning-rate X   optimizer step size (default 0.01; try 0.001 with adam)
  --optimizer NAME    ${Object.keys(optimizers()).join(", ")} (default sgd)
  --seed N            seed every random draw, for a reproducible run
  --data-dir DIR      read the four MNIST files (raw or .gz) from DIR
  --no-download       never download MNIST; use only local copies
  --validation-split F  hold out the last fraction F of the training images to
                      report val_loss and val_accuracy each epoch (default 0)
  --dropout R         add Dropout(R) after each hidden layer (default 0: none)
  --save DIR          save the trained model to DIR (model.json + weights.bin,
                      loadable by TensorFlow.js)
  --load DIR          start from the model saved in DIR instead of a new one
  --report FILE       write a training report to FILE: one HTML file with the
                      run's settings, the loss and accuracy per batch and per
                      epoch, the confusion matrix, the misclassified test
                      digits and what training changed in the first layer
  --verbose 0|1|2     0 silent, 1 progress bar, 2 one line per epoch (default 1)
  -h, --help          show this help`;

/** Optimizer names the CLI accepts, each built with the given learning rate (other settings: Keras's defaults). */
function optimizers(): Record<string, (learningRate: number) => Optimizer> {
  return {
    sgd: (learningRate) => new SGD({ learningRate }),
    adam: (learningRate) => new Adam({ learningRate }),
    adamw: (learningRate) => new AdamW({ learningRate }),
    rmsprop: (learningRate) => new RMSprop({ learningRate }),
    adagrad: (learningRate) => new Adagrad({ learningRate }),
  };
}

/** A bad command line: reported in one line, exit code 2. */
class UsageError extends Error {}

/** The networks --model builds, and the settings each defaults to (Keras's, for the CNN). */
const MODELS = {
  dense: { build: tutorialModel, defaults: { epochs: "5", batchSize: "32", learningRate: "0.01", optimizer: "sgd", validationSplit: "0" } },
  cnn: { build: convnetModel, defaults: { epochs: "15", batchSize: "128", learningRate: "0.001", optimizer: "adam", validationSplit: "0.1" } },
};
type ModelName = keyof typeof MODELS;

interface Settings {
  model: ModelName;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: string;
  seed: number | undefined;
  dataDir: string | undefined;
  download: boolean;
  verbose: 0 | 1 | 2;
  validationSplit: number;
  dropout: number;
  save: string | undefined;
  load: string | undefined;
  report: string | undefined;
}

function parseSettings(argv: string[]): Settings | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        epochs: { type: "string" }, "batch-size": { type: "string" }, "learning-rate": { type: "string" },
        optimizer: { type: "string" }, seed: { type: "string" }, "data-dir": { type: "string" },
        "no-download": { type: "boolean" }, verbose: { type: "string" }, help: { type: "boolean", short: "h" },
        "validation-split": { type: "string" }, save: { type: "string" }, load: { type: "string" }, dropout: { type: "string" },
        report: { type: "string" }, model: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const model = (v.model ?? "dense").toLowerCase();
  if (!(model in MODELS)) throw new UsageError(`--model must be one of ${Object.keys(MODELS).join(", ")}, got "${v.model}"`);
  const defaults = MODELS[model as ModelName].defaults;
  const optimizer = (v.optimizer ?? defaults.optimizer).toLowerCase();
  if (!(optimizer in optimizers())) {
    throw new UsageError(`--optimizer must be one of ${Object.keys(optimizers()).join(", ")}, got "${v.optimizer}"`);
  }
  const verbose = integer("--verbose", v.verbose ?? "1", 0);
  if (verbose > 2) throw new UsageError(`--verbose must be 0, 1 or 2, got "${v.verbose}"`);
  return {
    model: model as ModelName,
    epochs: integer("--epochs", v.epochs ?? defaults.epochs, 0),
    batchSize: integer("--batch-size", v["batch-size"] ?? defaults.batchSize, 1),
    learningRate: positive("--learning-rate", v["learning-rate"] ?? defaults.learningRate),
    optimizer,
    seed: v.seed === undefined ? undefined : integer("--seed", v.seed, 0),
    dataDir: v["data-dir"],
    download: !v["no-download"],
    verbose: verbose as 0 | 1 | 2,
    validationSplit: fraction("--validation-split", v["validation-split"] ?? defaults.validationSplit),
    dropout: fraction("--dropout", v.dropout ?? "0"),
    save: v.save,
    load: v.load,
    report: v.report,
  };
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got "${text}"`);
  }
  return n;
}

function fraction(flag: string, text: string): number {
  const x = Number(text);
  if (text.trim() === "" || !(x >= 0 && x < 1)) throw new UsageError(`${flag} must be a number in [0, 1), got "${text}"`);
  return x;
}

function positive(flag: string, text: string): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || x <= 0) throw new UsageError(`${flag} must be a number > 0, got "${text}"`);
  return x;
}

async function main(settings: Settings): Promise<void> {
  const { model: network, epochs, batchSize, learningRate, optimizer, seed, dataDir, download, verbose, validationSplit, dropout, save, load, report } = settings;
  if (seed !== undefined) setRandomSeed(seed);

  let t0 = performance.now();
  const mnist = await loadMnist({ dir: dataDir, download });
  console.log(`MNIST: ${mnist.xTrain.rows} training and ${mnist.xTest.rows} test images from ${mnist.source} ` +
    `in ${((performance.now() - t0) / 1000).toFixed(2)}s`);
  const yTrain = toCategorical(mnist.yTrain, 10);
  const yTest = toCategorical(mnist.yTest, 10);

  if (load !== undefined && dropout > 0) throw new UsageError("--dropout builds a new network; it cannot change one given with --load");
  if (network === "cnn" && dropout > 0) throw new UsageError("--dropout adds Dropout to the dense network; --model cnn has its own Dropout(0.5)");
  const model = load !== undefined ? await loadModel(load) : dropout > 0 ? withDropout(dropout) : MODELS[network].build();
  if (load !== undefined) console.log(`Loaded the model saved in ${load}`);
  model.compile({ optimizer: optimizers()[optimizer](learningRate), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  model.summary();
  console.log(`optimizer ${optimizer} (learning rate ${learningRate}), batch size ${batchSize}, ` +
    `seed ${seed ?? "random (pass --seed N to repeat a run)"}`);

  // For the report: every batch's loss and accuracy, and the weights before training.
  const batches = new BatchHistory({ batchSize, samples: trainingRows(mnist.xTrain.rows, validationSplit) });
  const initialWeights = report === undefined ? undefined : model.getWeights();
  t0 = performance.now();
  const history = await model.fit(mnist.xTrain, yTrain, { epochs, batchSize, verbose, validationSplit, callbacks: report === undefined ? [] : [batches] });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (save !== undefined) {
    await model.save(save);
    console.log(`Saved the model to ${save} (model.json + weights.bin)`);
  }
  const [loss, accuracy] = model.evaluate(mnist.xTest, yTest, { verbose: verbose === 0 ? 0 : 1 });
  if (epochs > 0) {
    console.log(`\nTrained ${epochs} epoch${epochs === 1 ? "" : "s"} in ${trainSeconds.toFixed(1)}s ` +
      `(${(trainSeconds / epochs).toFixed(1)}s per epoch).`);
  }
  console.log(`Test loss ${loss.toFixed(4)}, test accuracy ${accuracy.toFixed(4)}\n`);
  if (report !== undefined) {
    const written = await writeReport(history, model, mnist, report, {
      batches, initialWeights, settings: { optimizer, learningRate, batchSize, validationSplit, epochs, seed: seed ?? "random" },
    });
    console.log(`Wrote the training report to ${written.file} (${(written.bytes / 1e6).toFixed(1)} MB); open it in a browser.\n`);
  }

  showPredictions(model.predict(mnist.xTest.slice(0, 10)), mnist.xTest, mnist.yTest);

  if (optimizer === "sgd" && network === "dense") {
    console.log(`\nTo do better: --optimizer adam --learning-rate 0.001 (about 0.975 in 5 epochs), train longer (--epochs 20),` +
      ` or take bigger steps (--learning-rate 0.1); the tutorial's plain SGD at 0.01 with a sigmoid first layer learns slowly.`);
  }
}

/** The tutorial's network with Dropout(rate) after each hidden layer's activation. */
function withDropout(rate: number): Sequential {
  const layers = tutorialModel().layers;
  const model = new Sequential();
  layers.forEach((layer, i) => {
    model.add(layer);
    if (layer.className === "Activation" && i < layers.length - 1) model.add(new Dropout(rate));
  });
  return model;
}

/** The first ten test digits as block-character art, five to a row, with true and predicted labels. */
function showPredictions(probs: Matrix, images: Matrix, labels: Uint8Array): void {
  const predicted = argmax(probs, 1);
  console.log("The first ten test digits, with the true label and the model's prediction:\n");
  for (let start = 0; start < probs.rows; start += 5) {
    const blocks: string[][] = [];
    for (let i = start; i < Math.min(start + 5, probs.rows); i++) {
      const art = digitArt(images.data.subarray(i * 784, (i + 1) * 784), 28, 28);
      const p = probs.get(i, predicted[i]);
      const mark = predicted[i] === labels[i] ? "ok" : "WRONG";
      art.push(`true ${labels[i]} pred ${predicted[i]}`, `p=${p.toFixed(2)} ${mark}`);
      blocks.push(art.map((line) => line.padEnd(16)));
    }
    for (let line = 0; line < blocks[0].length; line++) console.log(blocks.map((b) => b[line]).join(""));
    console.log("");
  }
}

async function run(): Promise<void> {
  let settings: Settings | "help";
  try {
    settings = parseSettings(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`purenn: ${e.message} (see --help)`);
    process.exit(2);
  }
  if (settings === "help") {
    console.log(HELP);
    return;
  }
  try {
    await main(settings);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`purenn: ${e.message} (see --help)`);
      process.exit(2);
    }
    console.error(`purenn: ${(e as Error).message}`);
    process.exit(1);
  }
}

await run();
