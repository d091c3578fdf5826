// One purenn process timing one row of bench/versus.ts (purenn against PyTorch) or of
// `train`/`predict --compare` (two checkouts side by side). Run as a child so that each row
// starts fresh (its own worker threads, heap and peak memory) and so that --repo can name
// another checkout.
//   tsx bench/rows-child.ts --data=DIR --job=fit|first-fit|predict [--repo=DIR] [--threads=N]
//                           [--batch=B] [--samples=S] [--repeats=R]
// --data: the folder bench/torch.ts's benchFiles wrote (x_train.f32, y_train.u8, x_test.f32), read
//   straight into matrices in purenn's storage, as loadMnist's are (PyTorch's side reads the same files);
// --job=fit: the tutorial's network (compiled as in the README, accuracy metric) fits the first
//   S training rows at batch B, after a warm-up of 300 batches; each of R repeats a fresh model
//   from seed 1;
// --job=first-fit: no warm-up: timed from the model's creation, so the first use of the backend
//   (compiling the WebAssembly, starting worker threads, growing the heap) is inside the time;
// --job=predict: predict on the 10,000 test images at batch B (0: all at once), R repeats after one.
// Prints one JSON line per repeat, {"seconds"}, then {"maxRssMB", "backend", "threads"}: the process's
// peak resident memory, and what purenn ran on.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { openSync, readSync, closeSync, fstatSync } from "node:fs";
import { flag, intFlag, pathFlag } from "./common-flags.js";

const repo = pathFlag("repo") ?? join(import.meta.dirname, "..");
const dataFlag = pathFlag("data");
if (dataFlag === undefined) throw new Error("rows-child: --data=DIR (the folder bench/torch.ts's benchFiles wrote) is required, got none");
const data = dataFlag;
const job = String(flag("job") ?? "fit");
if (!["fit", "first-fit", "predict"].includes(job)) throw new Error(`rows-child: unknown --job=${job}; known: fit, first-fit, predict`);
const batchSize = intFlag("batch", 32, 0); // 0: predict all at once
const repeats = intFlag("repeats", 1);
const threads = intFlag("threads", undefined);
const purenn = await import(pathToFileURL(join(repo, "src/index.ts")).href);

/** A whole file read into `array` (no Buffer in between, so no second copy in memory); returns it. */
function readInto<T extends Float32Array | Uint8Array>(path: string, array: T): T {
  const fd = openSync(path, "r");
  try {
    const bytes = Math.min(fstatSync(fd).size, array.byteLength);
    const view = new Uint8Array(array.buffer, array.byteOffset, bytes);
    for (let at = 0; at < bytes; ) at += readSync(fd, view, at, bytes - at, at);
    return array;
  } finally {
    closeSync(fd);
  }
}

/** The first `rows` images of an x file, in a Matrix of purenn's own storage (the heap, as loadMnist's). */
function images(file: string, rows: number) {
  const x = new purenn.Matrix(rows, 784);
  readInto(join(data, file), x.data);
  return x;
}

function tutorial() {
  purenn.setRandomSeed(1);
  const model = purenn.tutorialModel();
  model.compile({ optimizer: new purenn.SGD({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return model;
}

if (threads !== undefined) purenn.setThreads(threads);
const emit = (o: object) => console.log(JSON.stringify(o));

if (job === "predict") {
  const xTest = images("x_test.f32", 10000);
  await purenn.threadsReady();
  const model = tutorial();
  const size = batchSize > 0 ? batchSize : xTest.rows;
  model.predict(xTest, { batchSize: size });
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    model.predict(xTest, { batchSize: size });
    emit({ seconds: (performance.now() - t) / 1000 });
  }
} else {
  const samples = intFlag("samples", 60000);
  const x = images("x_train.f32", samples);
  const y = purenn.toCategorical(readInto(join(data, "y_train.u8"), new Uint8Array(samples)), 10);
  if (job === "first-fit") {
    const t = performance.now();
    await tutorial().fit(x, y, { epochs: 1, batchSize, verbose: 0 });
    emit({ seconds: (performance.now() - t) / 1000 });
  } else if (job === "fit") {
    await purenn.threadsReady();
    // Warm-up: V8 optimizes the JavaScript and tiers up the WebAssembly over the first few hundred batches.
    const warm = Math.min(samples, 300 * batchSize);
    await tutorial().fit(x.slice(0, warm), y.slice(0, warm), { epochs: 1, batchSize, verbose: 0 });
    for (let r = 0; r < repeats; r++) {
      const model = tutorial();
      const t = performance.now();
      await model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
      emit({ seconds: (performance.now() - t) / 1000 });
    }
  } else {
    throw new Error(`rows-child: unknown --job=${job}; known: fit, first-fit, predict`);
  }
}
const backend = (purenn.getBackend ?? purenn.getKernel)();
emit({ maxRssMB: process.resourceUsage().maxRSS / 1024, backend, threads: purenn.getThreads() });
process.exit(0);
