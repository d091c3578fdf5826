/**
 * Matmul on several cores: worker threads over shared memory (Node only).
 *
 * Every matrix lives in the heap (heap.ts), a shared WebAssembly memory that
 * each worker receives once, at start. A product is then described by
 * offsets in a small Int32Array control block, and split as
 * thread-protocol.ts describes: the caller packs the small operand, every
 * thread (caller included) claims chunks of the big one, packs them itself
 * and writes its tiles straight into C. Each tile is summed in the same
 * order whoever computes it, so results are bit-identical for any count.
 *
 * Hand-off: the caller writes the job into the control block, bumps
 * `generation` and wakes the workers (Atomics.notify); each worker claims
 * chunks until none are left, decrements `pending` and notifies; the caller
 * claims chunks too, then waits for `pending` to reach 0. Products below
 * MIN_FLOPS stay on the caller: there a hand-off costs more than it saves.
 *
 * On the SIMD kernel (kernel.ts) each thread computes one fixed block of C
 * (runSimdChunks), packed and multiplied by one call into WebAssembly.
 * Elementwise loops (elementwise.ts) are split by contiguous ranges
 * (Command.Loop), row updates of SGD (row-update.ts) by the same blocks of
 * columns as the products (Command.SgdRows). A worker that fails or ends
 * mid-job makes the caller throw (waitForWorkers) rather than wait for ever.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { setGemmExecutor, indexListsInHeap, packA, packB, panelCounts, MR, NR, type GemmExecutor, type GemmProblem } from "./gemm.js";
import {
  CONTROL, Command, chunkCount, chunkPanels, columnShare, problemFrom, runChunks, runSimdChunks, splitsColumns,
} from "./thread-protocol.js";
import { setRowUpdateExecutor, type RowUpdateExecutor } from "./row-update.js";
import { WasmKernel, gemmScratchBytes } from "./wasm/kernel.js";
import { heapMemory, inHeap } from "./heap.js";
import { allocFloat32 } from "./alloc.js";
import { setLoopExecutor, loopRange, loopElements, type Loop, type LoopExecutor } from "./elementwise.js";

/**
 * Smallest product (in flops, 2·m·n·k) worth splitting on the js kernel, found
 * by timing products on 1 and 2 threads: below it the hand-off costs more.
 */
const MIN_FLOPS = 1 << 19;
/**
 * The same for the SIMD kernel, about nine times faster per product: the
 * tutorial's 32x256x128 products (2^21) still gain on two threads (bench/matmul.ts).
 */
const MIN_SIMD_FLOPS = 1 << 21;
/** How long past its own share the caller waits for a worker's share before it gives the pool up. */
const JOB_DEADLINE_MS = 5000;

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
    setLoopExecutor(undefined);
    setRowUpdateExecutor(undefined);
  } else {
    pool = new Pool(n);
    setGemmExecutor(pool);
    setLoopExecutor(pool);
    setRowUpdateExecutor(pool);
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

class Pool implements GemmExecutor, LoopExecutor, RowUpdateExecutor {
  readonly minFlops = MIN_FLOPS;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
  private readonly scalars = new Float64Array(new SharedArrayBuffer(4 * 8));
  private readonly workers: Worker[] = [];
  /** Heap blocks the pool owns: the packed small operand, and one scratch per thread. */
  private small: Float32Array = new Float32Array(0);
  private readonly scratch: Float32Array[] = [];
  /** Views of the whole heap, made again only when it has grown. */
  private heap: Float32Array = new Float32Array(0);
  private heapInt: Int32Array = new Int32Array(0);
  /** This thread's instance of the SIMD kernel, made on first use. */
  private kernel: WasmKernel | undefined;

  /** When the current job was handed out (performance.now()). */
  private dispatchedAt = 0;

  get workerList(): readonly Worker[] {
    return this.workers;
  }

  /** Products and row updates computed split across threads so far (tests use it to see the split happen). */
  parallelRuns = 0;

  constructor(private readonly size: number) {
    for (let t = 0; t < size; t++) this.scratch.push(new Float32Array(0));
  }

  /** Starts the workers, once; until they are up, products run on the caller. */
  start(): void {
    if (this.workers.length > 0) return;
    const memory = heapMemory();
    if (memory === undefined) return;
    const here = new URL(import.meta.url);
    const ts = here.pathname.endsWith(".ts");
    const file = new URL(`./gemm-worker.node.${ts ? "ts" : "js"}`, here);
    for (let t = 1; t < this.size; t++) {
      const workerData = { control: this.control, scalars: this.scalars, index: t, threads: this.size, memory };
      // Under tsx or vitest the worker is TypeScript source: register tsx in it first.
      const worker = ts
        ? new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`, { eval: true, workerData })
        : new Worker(file, { workerData });
      worker.unref();
      worker.on("error", (e) => {
        process.emitWarning(`purenn worker thread failed (${e.message}); matmul continues on one thread`);
        if (pool === this) setThreads(1); // not a newer pool that setThreads has started since
      });
      this.workers.push(worker);
    }
  }

  /** Resolves when every worker has started (polling; startup takes milliseconds, or seconds under tsx). */
  async ready(timeoutMs: number): Promise<void> {
    this.start();
    if (this.workers.length === 0) return; // no shared heap: everything runs on the caller
    const until = Date.now() + timeoutMs;
    while (Atomics.load(this.control, CONTROL.ready) < this.size - 1) {
      if (Date.now() > until) throw new Error(`purenn: worker threads did not start within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  run(g: GemmProblem, simd: boolean): boolean {
    const ctl = this.control;
    this.start();
    if (Atomics.load(ctl, CONTROL.ready) < this.size - 1) return false; // workers still starting
    if (!inHeap(g.a) || !inHeap(g.b) || !inHeap(g.c)) return false;
    if (simd) return this.runSimd(g);
    if (2 * g.m * g.n * g.k < MIN_FLOPS) return false;
    const { m, n, k } = g;
    const [pa, pb] = panelCounts(m, n);
    const byColumns = splitsColumns(m, n);
    const chunks = chunkCount(m, n);
    if (chunks < 2) return false;
    // Heap blocks big enough for this product (they grow, rarely, and are then reused).
    const smallLength = (byColumns ? pa * MR : pb * NR) * k;
    const chunkLength = chunkPanels(m, n) * (byColumns ? NR : MR) * k;
    if (this.small.length < smallLength) this.small = allocFloat32(smallLength);
    for (let t = 0; t < this.size; t++) {
      if (this.scratch[t].length < chunkLength) this.scratch[t] = allocFloat32(chunkLength);
    }
    if (!inHeap(this.small) || !this.describe(g)) return false;
    ctl[CONTROL.simd] = 0;
    ctl[CONTROL.small] = this.small.byteOffset / 4;
    for (let t = 0; t < this.size; t++) ctl[CONTROL.scratch + t] = this.scratch[t].byteOffset / 4;
    ctl[CONTROL.chunks] = chunks;
    ctl[CONTROL.next] = 0;

    // The caller packs the small operand, wakes the workers and claims chunks with them.
    const buffer = heapMemory()!.buffer;
    if (buffer.byteLength !== this.heap.byteLength) {
      this.heap = new Float32Array(buffer);
      this.heapInt = new Int32Array(buffer);
    }
    const heap = this.heap;
    const problem = problemFrom(ctl, heap, this.heapInt);
    if (byColumns) packA(heap, ctl[CONTROL.small], problem, 0, pa);
    else packB(heap, ctl[CONTROL.small], problem, 0, pb);
    this.dispatch(Command.Gemm);
    runChunks(ctl, heap, problem, 0);
    this.waitForWorkers();
    this.parallelRuns++;
    return true;
  }

  /** The product on the WebAssembly kernel: thread t computes block t of C with one call (simdChunk). */
  private runSimd(g: GemmProblem): boolean {
    const ctl = this.control;
    const { m, n, k } = g;
    if (2 * m * n * k < MIN_SIMD_FLOPS) return false;
    const chunks = this.size; // one fixed block per thread (runSimdChunks)
    const scratchFloats = Math.ceil(gemmScratchBytes(m, n, k) / 4);
    for (let t = 0; t < this.size; t++) {
      if (this.scratch[t].length < scratchFloats) this.scratch[t] = allocFloat32(scratchFloats);
    }
    if (!this.describe(g)) return false;
    ctl[CONTROL.simd] = 1;
    ctl[CONTROL.chunks] = chunks;
    ctl[CONTROL.next] = 0;
    for (let t = 0; t < this.size; t++) ctl[CONTROL.scratch + t] = this.scratch[t].byteOffset; // bytes, for the SIMD kernel
    this.dispatch(Command.Gemm);
    runSimdChunks(ctl, (this.kernel ??= new WasmKernel(heapMemory()!)), 0);
    this.waitForWorkers();
    this.parallelRuns++;
    return true;
  }

  /** Writes the product's operands and index lists into the control block; false if the heap is full. */
  private describe(g: GemmProblem): boolean {
    const ctl = this.control;
    const lists = indexListsInHeap(g);
    if (lists === undefined || !this.scratch.every(inHeap)) return false;
    ctl[CONTROL.m] = g.m; ctl[CONTROL.n] = g.n; ctl[CONTROL.k] = g.k;
    ctl[CONTROL.transA] = g.transA ? 1 : 0; ctl[CONTROL.transB] = g.transB ? 1 : 0;
    ctl[CONTROL.a] = g.a.byteOffset / 4; ctl[CONTROL.lda] = g.lda;
    ctl[CONTROL.b] = g.b.byteOffset / 4; ctl[CONTROL.ldb] = g.ldb;
    ctl[CONTROL.c] = g.c.byteOffset / 4;
    [ctl[CONTROL.ks], ctl[CONTROL.aRows]] = lists;
    return true;
  }

  /** Splits an elementwise loop (elementwise.ts) between the threads, by contiguous ranges. */
  runLoop(loop: Loop, arrays: Float32Array[], scalars: number[], length: number, simd: boolean): boolean {
    const ctl = this.control;
    if (Atomics.load(ctl, CONTROL.ready) < this.size - 1 || arrays.length > 4 || scalars.length > this.scalars.length) return false;
    if (!arrays.every(inHeap)) return false;
    ctl[CONTROL.loop] = loop;
    ctl[CONTROL.length] = length;
    for (let i = 0; i < 4; i++) ctl[CONTROL.arrays + i] = i < arrays.length ? arrays[i].byteOffset / 4 : -1;
    this.scalars.set(scalars);
    ctl[CONTROL.simd] = simd ? 1 : 0;
    this.dispatch(Command.Loop);
    const [start, end] = loopRange(length, 0, this.size);
    loopElements(loop, arrays, scalars, start, end, simd ? (this.kernel ??= new WasmKernel(heapMemory()!)) : undefined);
    this.waitForWorkers();
    return true;
  }

  /** Plain SGD on a gradient held as rows (row-update.ts): each thread its block of columns, on the SIMD kernel. */
  runSgdRows(w: Float32Array, g: Float32Array, cols: Int32Array, width: number, lr: number): boolean {
    const ctl = this.control;
    if (Atomics.load(ctl, CONTROL.ready) < this.size - 1) return false;
    if (!inHeap(w) || !inHeap(g) || !inHeap(cols)) return false;
    ctl[CONTROL.arrays] = w.byteOffset / 4;
    ctl[CONTROL.arrays + 1] = g.byteOffset / 4;
    ctl[CONTROL.arrays + 2] = cols.byteOffset / 4;
    ctl[CONTROL.length] = width;
    ctl[CONTROL.count] = cols.length;
    this.scalars[0] = lr;
    this.dispatch(Command.SgdRows);
    const [j0, j1] = columnShare(width, 0, this.size);
    (this.kernel ??= new WasmKernel(heapMemory()!)).sgdRows(w.byteOffset, g.byteOffset, cols.byteOffset, cols.length, width, j0, j1, lr);
    this.waitForWorkers();
    this.parallelRuns++;
    return true;
  }

  close(): void {
    if (this.workers.length === 0) return;
    this.dispatch(Command.Exit);
    for (const w of this.workers) void w.terminate();
  }

  private dispatch(command: Command): void {
    const ctl = this.control;
    this.dispatchedAt = performance.now();
    ctl[CONTROL.command] = command;
    Atomics.store(ctl, CONTROL.pending, this.size - 1);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
  }

  /**
   * Waits for every worker to finish the job. The last chunks end within
   * microseconds of each other, while waking a sleeping thread can cost far
   * more on a virtual machine: so spin for a while, then sleep.
   */
  private waitForWorkers(): void {
    const ctl = this.control;
    const now = performance.now();
    const until = now + 1;
    // A worker that ended without finishing its part (terminated, out of memory) would keep
    // `pending` above 0 for ever, and this thread would hang. Its part is the same size as ours:
    // past a deadline far beyond that, give the pool up with an error instead.
    const deadline = now + JOB_DEADLINE_MS + 10 * (now - this.dispatchedAt);
    for (let left = Atomics.load(ctl, CONTROL.pending); left !== 0; left = Atomics.load(ctl, CONTROL.pending)) {
      const t = performance.now();
      if (t > deadline) this.fail(`did not finish its part of a job within ${((t - this.dispatchedAt) / 1000).toFixed(1)} s`);
      if (t > until) Atomics.wait(ctl, CONTROL.pending, left, 100);
    }
    if (Atomics.load(ctl, CONTROL.failed) !== 0) this.fail("failed in its part of a job (its error follows as a warning)");
  }

  /**
   * A worker let a job down: stop using the pool (the job's result is incomplete) and say so.
   * A worker that was only very slow is terminated, which takes effect asynchronously: until
   * then it may still write its part of that job (so do not reuse that job's output).
   */
  private fail(what: string): never {
    setThreads(1);
    throw new Error(`purenn: a worker thread ${what}; the result is incomplete. From now on products run on one thread (setThreads(n) starts new workers)`);
  }
}

/**
 * For tests: the live worker threads (to end one and check that the caller
 * gets an error rather than waiting for ever).
 */
export function workerThreads(): readonly Worker[] {
  return pool?.workerList ?? [];
}
