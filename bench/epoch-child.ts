// One process's epochs of the tutorial's network, for bench/busy.ts and bench/stress.ts (run as a
// child, so that each configuration starts fresh: its own worker threads, its own heap).
//   tsx bench/epoch-child.ts [--repo=DIR] [--threads=N] [--batch=B] [--samples=S] [--rounds=R]
// --repo: the purenn checkout to time (default this one), so two commits run side by side;
// --threads: setThreads(N) (default: purenn's own default); --no-adapt: split every large job;
// --predict: then time predict on the test set, at batch 32 and all at once.
// Prints one JSON line per epoch.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { flag, intFlag, pathFlag } from "./common-flags.js";

const repo = pathFlag("repo") ?? join(import.meta.dirname, "..");
const purenn = await import(pathToFileURL(join(repo, "src/index.ts")).href);
const batchSize = intFlag("batch", 32);
const rounds = intFlag("rounds", 1);
const threads = intFlag("threads", undefined);
if (flag("no-adapt")) {
  // Split every large job whatever the machine does (to measure what adapting costs or saves).
  const pool = await import(pathToFileURL(join(repo, "src/tensor/threads.node.ts")).href);
  pool.adaptToLoad?.(false);
}
if (threads !== undefined) purenn.setThreads(threads);
await purenn.threadsReady();

const mnist = await purenn.loadMnist();
const samples = intFlag("samples", mnist.xTrain.rows);
const x = mnist.xTrain.slice(0, samples);
const y = purenn.toCategorical(mnist.yTrain.subarray(0, samples), 10);
const model = purenn.tutorialModel();
purenn.setRandomSeed(1);
model.compile({ optimizer: new purenn.SGD({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
// Warm-up: V8 optimizes the JavaScript and tiers up the WebAssembly over the first few hundred batches.
await model.fit(x.slice(0, Math.min(samples, 300 * batchSize)), y.slice(0, Math.min(samples, 300 * batchSize)), { epochs: 1, batchSize, verbose: 0 });
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, threads: purenn.getThreads(), batchSize, samples }));
}
if (flag("predict")) {
  // The 10,000 test images at batch 32 and all at once, each the best of 5 after a warm-up.
  for (const size of [32, mnist.xTest.rows]) {
    model.predict(mnist.xTest, { batchSize: size });
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      model.predict(mnist.xTest, { batchSize: size });
      best = Math.min(best, performance.now() - t);
    }
    console.log(JSON.stringify({ predictBatch: size, ms: best }));
  }
}
process.exit(0);
