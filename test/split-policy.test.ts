// When jobs are split between threads: the policy that backs off when hand-offs cost more than they save.
import { describe, it, expect, afterAll } from "vitest";
import { SplitPolicy } from "../src/tensor/split-policy.js";
import { Matrix, matmul } from "../src/index.js";
import { setThreads, threadsReady, setWorkerFile, splitStats, adaptToLoad } from "../src/tensor/threads.node.js";
import { bits, lcg, randomMatrix } from "./helpers/data.js";

afterAll(() => setThreads(1));

describe("SplitPolicy", () => {
  // record(saved, waited, now): ms of the caller's work the workers' pieces took off it, and ms it waited for them.
  it("keeps splitting while the workers save more than the caller waits for them (a quiet machine)", () => {
    const p = new SplitPolicy();
    for (let i = 0, now = 0; i < 1000; i++, now += 0.1) {
      expect(p.shouldSplit(now)).toBe(true);
      p.record(0.05, 0.005, now);
    }
    expect(p.backoffs).toBe(0);
  });

  it("runs alone for 100 ms after a window of 32 jobs that waited longer than they saved, doubling each failed try up to 3.2 s", () => {
    const p = new SplitPolicy();
    let now = 0;
    const lose = () => {
      for (let i = 0; i < 32; i++) p.record(0.05, 2, now); // a worker descheduled with a piece in hand
    };
    lose();
    expect(p.backoffs).toBe(1);
    expect(p.shouldSplit(now + 99)).toBe(false);
    expect(p.shouldSplit(now + 100)).toBe(true);
    const periods: number[] = [];
    for (let k = 0; k < 7; k++) {
      const from = now;
      while (!p.shouldSplit(now)) now += 1;
      periods.push(now - from);
      lose();
    }
    expect(periods).toEqual([100, 200, 400, 800, 1600, 3200, 3200]);
  });

  it("goes back to short tries after a good window", () => {
    const p = new SplitPolicy();
    let now = 0;
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 32; i++) p.record(0.05, 2, now);
      while (!p.shouldSplit(now)) now += 1;
    }
    for (let i = 0; i < 32; i++) p.record(0.05, 0.005, now); // the machine is quiet again
    for (let i = 0; i < 32; i++) p.record(0.05, 2, now);
    const from = now;
    while (!p.shouldSplit(now)) now += 1;
    expect(now - from).toBe(100);
  });

  it("stops splitting when the workers never take a piece (they wake too late: splitting saves nothing)", () => {
    const p = new SplitPolicy();
    for (let i = 0; i < 32; i++) p.record(0, 0, 0);
    expect(p.backoffs).toBe(1);
  });
});

describe("the pool under a slow worker", () => {
  it("stops splitting when every piece the worker takes is late, with the same bits", async () => {
    process.env.PURENN_TEST_FAULT = "slow";
    setWorkerFile(new URL("./helpers/faulty-worker.ts", import.meta.url));
    try {
      adaptToLoad(true);
      setThreads(2);
      await threadsReady(120_000);
      const r = lcg(6);
      const a = randomMatrix(64, 300, r), b = randomMatrix(300, 256, r), c = new Matrix(64, 256);
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) matmul(c, a, b);
      const elapsed = performance.now() - t0;
      const { jobs, backoffs } = splitStats();
      expect(backoffs, "periods run alone").toBeGreaterThan(0);
      // Split, each product would wait ~5 ms for the worker's piece; alone it takes well under 1 ms.
      expect(jobs, `products split (of 200, in ${elapsed.toFixed(0)} ms)`).toBeLessThan(100);
      setThreads(1);
      const expected = new Matrix(64, 256);
      matmul(expected, a, b);
      expect(bits(c).equals(bits(expected))).toBe(true);
    } finally {
      setWorkerFile(undefined);
      delete process.env.PURENN_TEST_FAULT;
    }
  });
});
