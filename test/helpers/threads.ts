// Runs `run` with the pool's workers loaded from helpers/faulty-worker.ts, whose pieces go wrong
// as `fault` says ("stall", "throw" or "slow"); puts the real worker back afterwards.
import { setWorkerFile } from "../../src/tensor/threads.node.js";

export async function withFaultyWorker(fault: "stall" | "throw" | "slow", run: () => Promise<void>): Promise<void> {
  process.env.PURENN_TEST_FAULT = fault;
  setWorkerFile(new URL("./faulty-worker.ts", import.meta.url));
  const quiet = () => {}; // the pool's "worker thread failed" warning is expected here
  process.on("warning", quiet);
  try {
    await run();
  } finally {
    process.off("warning", quiet);
    setWorkerFile(undefined);
    delete process.env.PURENN_TEST_FAULT;
  }
}
