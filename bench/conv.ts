// Question: how long does one epoch of Keras's mnist_convnet take (Adam, batch
// 128, the 54000 training images that validation_split 0.1 leaves), in purenn
// (SIMD, 1 and 2 threads), PyTorch (1 and 2 threads, when installed) and
// TensorFlow.js 'cpu', in this run? And what test accuracy does each reach
// after it (speed is never bought with wrong answers)? All start from the same weights.
//   npm run bench -- conv            full epochs (tfjs 'cpu' is timed on one batch and scaled)
//   npm run bench -- conv --quick    every engine timed on 60 batches and scaled
// TensorFlow.js 'wasm' is not in the table: it cannot train this network
// (Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm').
import {
  Adam, convnetModel, loadMnist, toCategorical, setRandomSeed, setThreads, threadsReady, setBackend, type Matrix, type Sequential,
} from "../src/index.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Mnist } from "../src/data/mnist.js";
import { tf, machine, useTfBackend, table, fixed, flag } from "./common.js";
import { PYTHON, benchFiles, torchVersion } from "./torch.js";

const BATCH = 128;
const TRAIN = 54000; // Keras's validation_split 0.1 of 60000 trains on the first 54000
const TFJS_CPU_BATCHES = 1; // 50–130 s a batch here (minutes on a busy machine): time one and scale
const QUICK_BATCHES = 60;
const WARM_UP_BATCHES = 10;

/** Keras's mnist_convnet (convnetModel, as `npm start -- --model cnn` builds it), compiled with Adam. */
export function mnistConvnet(seed: number): Sequential {
  setRandomSeed(seed);
  const model = convnetModel();
  model.compile({ optimizer: new Adam(), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return model;
}

function tfjsConvnet(weights: Matrix[]): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 32, kernelSize: [3, 3], activation: "relu", inputShape: [28, 28, 1] }),
      tf.layers.maxPooling2d({ poolSize: [2, 2] }),
      tf.layers.conv2d({ filters: 64, kernelSize: [3, 3], activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: [2, 2] }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.setWeights(weights.map((w, i) => tf.tensor(w.data, model.getWeights()[i].shape)));
  model.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

interface Result {
  engine: string;
  secondsPerEpoch: number;
  scaled: boolean;
  accuracy: number | undefined;
}

/**
 * PyTorch (bench/torch_conv.py) on the same data and weights, one thread count
 * a call; undefined (and "skipped" printed once) without python3-torch. The
 * data is written to a folder once and removed when the process exits.
 */
let torch: { version: string; dir: string } | null | undefined;
function torchRun(mnist: Mnist, weights: Matrix[], samples: number, threads: number): Result | undefined {
  if (torch === undefined) {
    const version = torchVersion();
    if (version === null) {
      torch = null;
      return undefined;
    }
    const files = benchFiles(mnist, weights);
    process.on("exit", files.remove);
    torch = { version, dir: files.dir };
  }
  if (torch === null) return undefined;
  const script = fileURLToPath(new URL("./torch_conv.py", import.meta.url));
  // OpenBLAS keeps its own thread pool: torch.set_num_threads alone does not bound it.
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const run = spawnSync(PYTHON, [script, torch.dir, String(threads), String(BATCH), String(samples)], { encoding: "utf8", env });
  if (run.status !== 0) throw new Error(`bench/torch_conv.py failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout.trim().split("\n").pop()!) as { seconds: number; accuracy: number };
  const result = {
    engine: `PyTorch ${torch.version}, ${threads} thread${threads > 1 ? "s" : ""}`, secondsPerEpoch: out.seconds * (TRAIN / samples),
    scaled: samples !== TRAIN, accuracy: samples === TRAIN ? out.accuracy : undefined,
  };
  console.log(`  ${result.engine}: ${fixed(result.secondsPerEpoch, 1)} s/epoch` + (result.accuracy === undefined ? "" : `, test accuracy ${fixed(result.accuracy, 4)}`));
  return result;
}

export async function benchConv(): Promise<Result[]> {
  const quick = flag("quick") === true;
  const samples = quick ? QUICK_BATCHES * BATCH : TRAIN;
  const mnist = await loadMnist();
  const yTrain = toCategorical(mnist.yTrain, 10), yTest = toCategorical(mnist.yTest, 10);
  const x = mnist.xTrain.slice(0, samples), y = yTrain.slice(0, samples);
  const results: Result[] = [];
  console.log(`\n## conv: one epoch of Keras's mnist_convnet (Adam, batch ${BATCH}, ${TRAIN} images), ${machine()}\n`);

  setBackend("wasm");
  const weights = mnistConvnet(1).getWeights();
  // purenn and PyTorch alternate, thread count by thread count: on a machine shared with
  // other work, the load changes from minute to minute, and neighbours see about the same.
  for (const threads of [1, 2]) {
    setThreads(threads);
    await threadsReady();
    await mnistConvnet(2).fit(x.slice(0, WARM_UP_BATCHES * BATCH), y.slice(0, WARM_UP_BATCHES * BATCH), { batchSize: BATCH, verbose: 0 });
    const model = mnistConvnet(1);
    const t = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 });
    const seconds = ((performance.now() - t) / 1000) * (TRAIN / samples);
    const accuracy = quick ? undefined : model.evaluate(mnist.xTest, yTest, { verbose: 0, batchSize: 500 })[1];
    const engine = `purenn simd, ${threads} thread${threads > 1 ? "s" : ""}`;
    results.push({ engine, secondsPerEpoch: seconds, scaled: quick, accuracy });
    console.log(`  ${engine}: ${fixed(seconds, 2)} s/epoch` + (accuracy === undefined ? "" : `, test accuracy ${fixed(accuracy, 4)}`));
    const theirs = torchRun(mnist, weights, samples, threads);
    if (theirs !== undefined) results.push(theirs);
  }

  await useTfBackend("cpu");
  const rows = TFJS_CPU_BATCHES * BATCH;
  const model = tfjsConvnet(weights);
  const xs = tf.tensor4d(mnist.xTrain.data.subarray(0, rows * 784), [rows, 28, 28, 1]);
  const ys = tf.tensor2d(yTrain.data.subarray(0, rows * 10), [rows, 10]);
  const t = performance.now();
  await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, verbose: 0 });
  const seconds = ((performance.now() - t) / 1000) * (TRAIN / rows);
  results.push({ engine: "tfjs 'cpu'", secondsPerEpoch: seconds, scaled: true, accuracy: undefined });
  console.log(`  tfjs 'cpu': ${fixed(seconds, 0)} s/epoch (scaled from ${rows / BATCH} batches)`);
  tf.dispose([xs, ys]);

  const best = (prefix: string) => Math.min(...results.filter((r) => r.engine.startsWith(prefix)).map((r) => r.secondsPerEpoch));
  const purenn = best("purenn");
  console.log("");
  table(
    ["engine", "s/epoch", "samples/s", "test accuracy", "time vs purenn's best"],
    results.map((r) => [
      r.engine, `${fixed(r.secondsPerEpoch, r.secondsPerEpoch < 100 ? 2 : 0)}${r.scaled ? " *" : ""}`, Math.round(TRAIN / r.secondsPerEpoch),
      r.accuracy === undefined ? "n/a *" : fixed(r.accuracy, 4), `${fixed(r.secondsPerEpoch / purenn, 2)}x`,
    ]),
  );
  console.log(`\n* timed on a subset of batches and scaled to ${TRAIN} samples; no test accuracy for a partial epoch.`);
  const torch = best("PyTorch");
  if (Number.isFinite(torch)) {
    console.log(`purenn's best ${fixed(purenn, 2)} s/epoch, PyTorch's best ${fixed(torch, 2)} s: purenn takes ${fixed(purenn / torch, 2)}x PyTorch's time.`);
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchConv();
  process.exit(0);
}
