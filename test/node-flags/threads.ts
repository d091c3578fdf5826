// Run by test/node-flags.test.ts under node with V8 options: starts the worker threads and
// splits one product between them; prints what happened as JSON.
import { setThreads, threadsReady, getThreads, Matrix, matmul } from "../../src/index.js";
import { adaptToLoad, splitStats } from "../../src/tensor/threads.node.js";
import { defaultOptions } from "../../src/tensor/wasm/module.js";

setThreads(2);
adaptToLoad(false); // split every large job
let error: string | undefined;
try {
  await threadsReady();
} catch (e) {
  error = (e as Error).message;
}
const a = new Matrix(256, 256), b = new Matrix(256, 256), c = new Matrix(256, 256);
a.data.fill(1);
b.data.fill(2);
// Products until a worker has computed a piece (the caller may take them all while a worker wakes up).
for (const t0 = performance.now(); performance.now() - t0 < 10_000; ) {
  matmul(c, a, b);
  if (splitStats().workerPieces > 0) break;
}
console.log(JSON.stringify({ error, threads: getThreads(), workerPieces: splitStats().workerPieces, c: c.data[0], fused: defaultOptions().tile.fused === true }));
process.exit(0);
