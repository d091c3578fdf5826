// Question: how long does one epoch of the tutorial's network on MNIST take, in
// purenn (SIMD and plain TypeScript kernels, 1 and 2 threads), TensorFlow.js 'cpu'
// and 'wasm', and PyTorch (when installed), in this run?
// And what test accuracy does each reach after it (speed is never bought with
// wrong answers)? All engines start from the same weights.
//   npm run bench -- train            full epochs (tfjs 'cpu' is timed on a subset, see below)
//   npm run bench -- train --quick    every engine timed on a subset of batches
//   npm run bench -- train --compare=DIR   this checkout against an older one, side by side (compare.ts)
import {
  tutorialModel, SGD, loadMnist, toCategorical, setRandomSeed, setThreads, threadsReady, setKernel, type Matrix, type Sequential,
} from "../src/index.js";
import type { Mnist } from "../src/data/mnist.js";
import { tf, machine, useTfBackend, table, fixed, flag, pathFlag } from "./common.js";
import { torchVersion, benchFiles, runTorch } from "./torch.js";
import { compareCheckouts } from "./compare.js";

const TFJS_CPU_BATCHES = 120; // a tfjs 'cpu' epoch takes minutes: time this many batches and scale
const ROUNDS = 3; // epochs per purenn configuration; the median is reported
const WARM_UP_BATCHES = 300; // before each timed purenn epoch

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

interface Result {
  engine: string;
  batchSize: number;
  secondsPerEpoch: number;
  scaled: boolean;
  accuracy: number | undefined;
}

function tutorial(seed: number): Sequential {
  setRandomSeed(seed);
  const model = tutorialModel();
  model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return model;
}

function tfjsTutorial(weights: Matrix[]): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 256, inputShape: [784] }));
  model.add(tf.layers.activation({ activation: "sigmoid" }));
  model.add(tf.layers.dense({ units: 128 }));
  model.add(tf.layers.activation({ activation: "relu" }));
  model.add(tf.layers.dense({ units: 10 }));
  model.add(tf.layers.activation({ activation: "softmax" }));
  model.setWeights(weights.map((w) => (w.rows === 1 ? tf.tensor1d(w.data) : tf.tensor2d(w.data, [w.rows, w.cols]))));
  model.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

/**
 * One epoch of the same network in PyTorch (bench/torch_reference.py), from the
 * same starting weights; undefined (and "skipped" printed once) without python3-torch.
 */
function torchEpoch(mnist: Mnist, weights: Matrix[], threads: number, batchSize: number) {
  const version = torchVersion();
  if (version === null) return undefined;
  const files = benchFiles(mnist, weights);
  try {
    const out = runTorch(files.dir, threads, batchSize);
    return { seconds: out.seconds, accuracy: out.accuracy!, version };
  } finally {
    files.remove();
  }
}

export async function benchTrain(): Promise<Result[]> {
  const compare = pathFlag("compare");
  if (typeof compare === "string") {
    await compareCheckouts("train", compare);
    return [];
  }
  const quick = flag("quick") === true;
  const mnist = await loadMnist();
  const yTrain = toCategorical(mnist.yTrain, 10);
  const yTest = toCategorical(mnist.yTest, 10);
  const n = mnist.xTrain.rows;
  const results: Result[] = [];
  console.log(`\n## train: one epoch of the tutorial's network on MNIST (60000 images), ${machine()}\n`);

  for (const batchSize of [32, 128]) {
    const subset = quick ? Math.min(n, 200 * batchSize) : n;
    // Each purenn configuration runs ROUNDS epochs, 1 and 2 threads alternating, from the
    // same weights (so with the same result): the median is robust to this machine's noise.
    const x = subset === n ? mnist.xTrain : mnist.xTrain.slice(0, subset);
    const y = subset === n ? yTrain : yTrain.slice(0, subset);
    for (const kernel of ["wasm", "js"] as const) {
      setKernel(kernel);
      const times: Record<number, number[]> = { 1: [], 2: [] };
      const accuracies: Record<number, number | undefined> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const threads of [1, 2]) {
          setThreads(threads);
          await threadsReady();
          // Warm-up (as PyTorch's run gets), every round: setThreads starts new worker threads, whose
          // WebAssembly V8 compiles and optimizes afresh, over about half a second of calls.
          await tutorial(2).fit(x.slice(0, WARM_UP_BATCHES * batchSize), y.slice(0, WARM_UP_BATCHES * batchSize), { epochs: 1, batchSize, verbose: 0 });
          const model = tutorial(1);
          const t = performance.now();
          await model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
          times[threads].push(((performance.now() - t) / 1000) * (n / subset));
          if (round === 0 && subset === n) accuracies[threads] = model.evaluate(mnist.xTest, yTest, { verbose: 0 })[1];
        }
      }
      for (const threads of [1, 2]) {
        const seconds = median(times[threads]);
        const accuracy = accuracies[threads];
        const engine = `purenn ${kernel === "wasm" ? "simd" : "js"}, ${threads} thread${threads > 1 ? "s" : ""}`;
        results.push({ engine, batchSize, secondsPerEpoch: seconds, scaled: subset !== n, accuracy });
        console.log(
          `  ${engine} batch ${batchSize}: ${fixed(seconds, 2)} s/epoch (median of ${times[threads].map((v) => fixed(v, 2)).join(", ")})` +
            (accuracy === undefined ? "" : `, test accuracy ${fixed(accuracy, 4)}`),
        );
      }
      const ratios = times[1].map((t1, i) => t1 / times[2][i]);
      console.log(`  purenn ${kernel === "wasm" ? "simd" : "js"} batch ${batchSize}: 2 threads vs 1, per round: ${ratios.map((r) => `${fixed(r, 2)}x`).join(", ")}`);
    }
    setKernel("wasm");
    const weights = tutorial(1).getWeights();
    for (const backend of ["wasm", "cpu"] as const) {
      await useTfBackend(backend);
      const rows = backend === "cpu" || quick ? Math.min(n, (backend === "cpu" ? TFJS_CPU_BATCHES : 200) * batchSize) : n;
      const model = tfjsTutorial(weights);
      const xs = tf.tensor2d(mnist.xTrain.data.subarray(0, rows * 784), [rows, 784]);
      const ys = tf.tensor2d(yTrain.data.subarray(0, rows * 10), [rows, 10]);
      const t = performance.now();
      await model.fit(xs, ys, { epochs: 1, batchSize, verbose: 0 });
      const seconds = ((performance.now() - t) / 1000) * (n / rows);
      let accuracy: number | undefined;
      if (rows === n) {
        const [, acc] = model.evaluate(tf.tensor2d(mnist.xTest.data, [10000, 784]), tf.tensor2d(yTest.data, [10000, 10])) as tf.Scalar[];
        accuracy = acc.dataSync()[0];
      }
      results.push({ engine: `tfjs '${backend}'`, batchSize, secondsPerEpoch: seconds, scaled: rows !== n, accuracy });
      console.log(`  tfjs ${backend} batch ${batchSize}: ${fixed(seconds, 1)} s/epoch${rows === n ? "" : ` (scaled from ${rows / batchSize} batches)`}`);
      tf.disposeVariables();
      xs.dispose();
      ys.dispose();
    }
    for (const threads of [1, 2]) {
      const torch = torchEpoch(mnist, weights, threads, batchSize);
      if (torch === undefined) break;
      results.push({ engine: `PyTorch ${torch.version}, ${threads} thread${threads > 1 ? "s" : ""}`, batchSize, secondsPerEpoch: torch.seconds, scaled: false, accuracy: torch.accuracy });
      console.log(`  PyTorch ${threads}T batch ${batchSize}: ${fixed(torch.seconds, 1)} s/epoch, test accuracy ${fixed(torch.accuracy, 4)}`);
    }
  }

  const rows = results.map((r) => {
    const base = results.find((b) => b.batchSize === r.batchSize && b.engine === "purenn js, 1 thread")!;
    const simd2 = results.find((b) => b.batchSize === r.batchSize && b.engine === "purenn simd, 2 threads")!;
    return [
      r.engine, r.batchSize, `${fixed(r.secondsPerEpoch, 2)}${r.scaled ? " *" : ""}`, Math.round(60000 / r.secondsPerEpoch),
      r.accuracy === undefined ? "n/a *" : fixed(r.accuracy, 4), `${fixed(r.secondsPerEpoch / base.secondsPerEpoch, 2)}x`,
      `${fixed(r.secondsPerEpoch / simd2.secondsPerEpoch, 2)}x`,
    ];
  });
  console.log("");
  table(["engine", "batch", "s/epoch", "samples/s", "test accuracy", "time vs purenn js 1T", "time vs purenn simd 2T"], rows);
  console.log("\n* timed on a subset of batches and scaled to 60000 samples; no test accuracy for a partial epoch.");
  for (const batchSize of [32, 128]) {
    const best = (prefix: string) => {
      const times = results.filter((r) => r.batchSize === batchSize && r.engine.startsWith(prefix)).map((r) => r.secondsPerEpoch);
      return times.length === 0 ? undefined : Math.min(...times);
    };
    const purenn = best("purenn simd")!, torch = best("PyTorch"), wasm = best("tfjs 'wasm'")!;
    console.log(
      `batch ${batchSize}: purenn simd's best ${fixed(purenn, 2)} s/epoch; ${fixed(wasm / purenn, 1)}x faster than tfjs 'wasm'` +
        (torch === undefined ? "" : `; PyTorch's best ${fixed(torch, 2)} s, so purenn takes ${fixed(purenn / torch, 2)}x PyTorch's time`),
    );
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchTrain();
  process.exit(0);
}
