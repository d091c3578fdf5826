// Short fits, one after another, for bench/stress.ts: each on 2 threads (restarted now and then,
// as setThreads does), with a batch size and width drawn at random; prints one line per fit.
//   tsx bench/stress-child.ts --fits=N --seed=S [--repo=DIR]   (DIR: the purenn checkout to run, default this one)
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { intFlag, pathFlag } from "./common-flags.js";

const repo = pathFlag("repo") ?? join(import.meta.dirname, "..");
const { Sequential, Dense, Matrix, toCategorical, setRandomSeed, setThreads, threadsReady, getThreads } = await import(
  pathToFileURL(join(repo, "src/index.ts")).href
);

const fits = intFlag("fits", 10);
let state = intFlag("seed", 1, 0) >>> 0;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const pick = (xs: number[]) => xs[Math.floor(random() * xs.length)];

for (let i = 0; i < fits; i++) {
  if (random() < 0.3) {
    setThreads(1); // start fresh workers, as a program that changes its thread count does
    setThreads(2);
    if (random() < 0.5) await threadsReady();
  }
  const batchSize = pick([17, 32, 64, 128, 256]);
  const width = pick([128, 256, 512]);
  const n = pick([1024, 2048, 3072]);
  const x = new Matrix(n, 784);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < 784; c++) if (c % 28 >= 4 && c % 28 < 24 && c >= 112 && c < 672) x.data[r * 784 + c] = random();
  }
  const y = toCategorical(Uint8Array.from({ length: n }, () => Math.floor(random() * 10)), 10);
  setRandomSeed(i);
  const model = new Sequential([new Dense(width, { inputDim: 784, activation: "sigmoid" }), new Dense(128, { activation: "relu" }), new Dense(10, { activation: "softmax" })]);
  model.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
  const t = performance.now();
  await model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
  console.log(JSON.stringify({ fit: i, seconds: (performance.now() - t) / 1000, batchSize, width, n, threads: getThreads() }));
}
process.exit(0);
