// A pool worker whose pieces go wrong, chosen by PURENN_TEST_FAULT: its first piece "stall"s
// (never finishes, as a thread that died mid-piece) or "throw"s; or every piece is "slow"
// (5 ms late, as a thread whose core is busy with other work). threads.test.ts points
// the pool here with setWorkerFile.
import { workerData } from "node:worker_threads";
import { serveJobs, type WorkerData } from "../../src/tensor/worker-loop.js";

const fault = process.env.PURENN_TEST_FAULT;
let pieces = 0;
serveJobs(workerData as WorkerData, () => {
  if (fault === "slow") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  if (pieces++ > 0) return;
  if (fault === "stall") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
  if (fault === "throw") throw new Error("a fault made for the test");
});
