// When the worker threads start: not at a program's first job, but a while after it
// (threads.node.ts: START_AFTER_MS), at the first very large product, or at threadsReady().
// Until then every job runs on the caller.
import { describe, it, expect, afterEach } from "vitest";
import { Matrix, matmul, setThreads, threadsReady } from "../src/index.js";
import { workerThreads, parallelRunCount } from "../src/tensor/threads.node.js";
import { lcg, randomMatrix } from "./helpers/data.js";

afterEach(() => setThreads(1));

const r = lcg(7);
// 2·64·300·256 ≈ 9.8 MFLOP: large enough to split, far below a product split regardless (2^25).
const a = randomMatrix(64, 300, r), b = randomMatrix(300, 256, r), c = new Matrix(64, 256);

describe("worker threads start", () => {
  it("not at the first jobs: those of the first 300 ms run on the caller, then the workers start", async () => {
    setThreads(2);
    const t0 = performance.now(); // before the first job: its time is counted from later
    matmul(c, a, b);
    expect(workerThreads()).toHaveLength(0);
    while (performance.now() - t0 < 250) matmul(c, a, b);
    expect(workerThreads()).toHaveLength(0);
    expect(parallelRunCount()).toBe(0);
    while (workerThreads().length === 0 && performance.now() - t0 < 10_000) matmul(c, a, b);
    expect(workerThreads()).toHaveLength(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it("at the first product of 2^25 flops or more", () => {
    setThreads(2);
    const big = randomMatrix(256, 512, r);
    matmul(new Matrix(256, 256), big, randomMatrix(512, 256, r)); // 2·256·512·256 = 2^26
    expect(workerThreads()).toHaveLength(1);
  });

  it("at threadsReady()", async () => {
    setThreads(2);
    await threadsReady(120_000);
    expect(workerThreads()).toHaveLength(1);
  });
});
