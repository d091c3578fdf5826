/**
 * Matmul on several cores: worker threads over shared memory (Node only).
 *
 * The calling thread packs both operands into SharedArrayBuffer panels, then
 * the tile grid of C is cut into T contiguous ranges of panels (along whichever
 * of A's row panels or B's column panels is longer); thread 0 is the caller,
 * threads 1..T−1 are workers. Each tile is summed in the same order whoever
 * computes it, so results are bit-identical for any thread count.
 *
 * Hand-off: a small Int32Array control block in shared memory. The caller
 * writes the job, bumps `generation` and wakes the workers (Atomics.notify);
 * each worker computes its range, decrements `pending` and notifies; the
 * caller computes its own range, then waits for `pending` to reach 0. Products
 * below MIN_FLOPS stay on the caller: there a hand-off costs more than it saves.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { setGemmExecutor, gemmTiles, panelCounts, type GemmExecutor, type GemmBuffers } from "./gemm.js";
import { CONTROL, Command, threadRange } from "./thread-protocol.js";

/** Smallest product (in flops, 2·m·n·k) worth splitting; set by measurement (bench/threads.ts). */
const MIN_FLOPS = 1 << 19;

let threads = 1;
let pool: Pool | undefined;

/** Uses `n` threads (the caller plus n − 1 workers) for large matmuls; 1 turns workers off. */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new Error(`setThreads expects an integer from 1 to 64, got ${n}`);
  }
  if (n === threads) return;
  pool?.close();
  pool = undefined;
  threads = n;
  if (n === 1) {
    setGemmExecutor(undefined);
  } else {
    pool = new Pool(n);
    setGemmExecutor(pool);
  }
}

/** The number of threads matmul uses now. */
export function getThreads(): number {
  return threads;
}

/**
 * Resolves once the worker threads are up. Not needed for correctness (until
 * then products run on the calling thread, with the same bits); benchmarks and
 * tests wait so that they measure the split.
 */
export async function threadsReady(timeoutMs = 60_000): Promise<void> {
  await pool?.ready(timeoutMs);
}

/** How many products have been split across threads so far. */
export function parallelRunCount(): number {
  return pool?.parallelRuns ?? 0;
}

/** PURENN_THREADS if set, else the number of cores. */
export function defaultThreads(): number {
  const env = process.env.PURENN_THREADS;
  if (env === undefined || env === "") return availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PURENN_THREADS must be a positive integer, got "${env}"`);
  return n;
}

class Pool implements GemmExecutor {
  readonly minFlops = MIN_FLOPS;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
  private readonly workers: Worker[] = [];
  private bufs: GemmBuffers = { packedA: shared(0), packedB: shared(0), c: shared(0) };

  /** Products computed split across threads so far (tests use it to see the split happen). */
  parallelRuns = 0;

  constructor(private readonly size: number) {}

  /** Starts the workers, once; until they are up, products run on the caller. */
  start(): void {
    if (this.workers.length > 0) return;
    const size = this.size;
    const here = new URL(import.meta.url);
    const ts = here.pathname.endsWith(".ts");
    const file = new URL(`./gemm-worker.node.${ts ? "ts" : "js"}`, here);
    for (let t = 1; t < size; t++) {
      const workerData = { control: this.control, index: t, threads: size, ...this.bufs };
      // Under tsx or vitest the worker is TypeScript source: register tsx in it first.
      const worker = ts
        ? new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`, { eval: true, workerData })
        : new Worker(file, { workerData });
      worker.unref();
      worker.on("error", (e) => {
        process.emitWarning(`purenn worker thread failed (${e.message}); matmul continues on one thread`);
        setThreads(1);
      });
      this.workers.push(worker);
    }
  }

  buffers(aLength: number, bLength: number, cLength: number): GemmBuffers {
    const b = this.bufs;
    if (b.packedA.length >= aLength && b.packedB.length >= bLength && b.c.length >= cLength) return b;
    this.bufs = {
      packedA: b.packedA.length >= aLength ? b.packedA : shared(aLength),
      packedB: b.packedB.length >= bLength ? b.packedB : shared(bLength),
      c: b.c.length >= cLength ? b.c : shared(cLength),
    };
    this.resend = true;
    return this.bufs;
  }
  private resend = false;

  /** Resolves when every worker has started (polling; startup takes milliseconds, or seconds under tsx). */
  async ready(timeoutMs: number): Promise<void> {
    this.start();
    const until = Date.now() + timeoutMs;
    while (Atomics.load(this.control, CONTROL.ready) < this.size - 1) {
      if (Date.now() > until) throw new Error(`purenn: worker threads did not start within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  run(m: number, n: number, k: number): void {
    const ctl = this.control;
    const { packedA, packedB, c } = this.bufs;
    this.start();
    if (Atomics.load(ctl, CONTROL.ready) < this.size - 1) {
      // Workers still starting: compute everything here (same bits either way).
      const [pa, pb] = panelCounts(m, n);
      gemmTiles(c, m, n, k, packedA, packedB, 0, pa, 0, pb);
      return;
    }
    if (this.resend) {
      this.resend = false;
      for (const w of this.workers) w.postMessage(this.bufs);
      this.dispatch(Command.Reload);
      this.waitForWorkers();
    }
    ctl[CONTROL.m] = m;
    ctl[CONTROL.n] = n;
    ctl[CONTROL.k] = k;
    this.dispatch(Command.Gemm);
    const [ip0, ip1, jp0, jp1] = threadRange(m, n, 0, this.size);
    gemmTiles(c, m, n, k, packedA, packedB, ip0, ip1, jp0, jp1);
    this.waitForWorkers();
    this.parallelRuns++;
  }

  close(): void {
    if (this.workers.length === 0) return;
    this.dispatch(Command.Exit);
    for (const w of this.workers) void w.terminate();
  }

  private dispatch(command: Command): void {
    const ctl = this.control;
    ctl[CONTROL.command] = command;
    Atomics.store(ctl, CONTROL.pending, this.size - 1);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
  }

  private waitForWorkers(): void {
    const ctl = this.control;
    for (let left = Atomics.load(ctl, CONTROL.pending); left !== 0; left = Atomics.load(ctl, CONTROL.pending)) {
      Atomics.wait(ctl, CONTROL.pending, left);
    }
  }
}

function shared(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(length, 1) * 4));
}
