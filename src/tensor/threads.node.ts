/**
 * Products, loops, row updates and gathers on several cores: worker threads over
 * shared memory (Node only).
 *
 * A job is cut into pieces, more pieces than threads, dealt out in ranges,
 * one a thread; each thread computes its own and then takes what the others
 * have not started (thread-protocol.ts: claim).
 *
 * The hand-off. What each side writes and reads, in this order (every step
 * marked "atomic" is a sequentially consistent Atomics operation):
 *
 *   caller                                        worker
 *   1. (the last job has done = P)                a. S ← load(published) (atomic). If S differs
 *   2. writes the job's words (plain stores),        from the last it looked at: seq ←
 *      done ← 0 (atomic)                             load(words[0]) (atomic), then c.
 *   3. words[1 + t] ← (seq, its range), for       b. re-loads for a while (spin); then
 *      every thread t (atomic)                       wait(published, S): sleeps only if
 *   4. words[0] ← seq, then published ← seq          published still equals S; back to a.
 *      mod 2³¹ (atomic); notify(published)        c. claims a piece: a swap on a range word that
 *   5. claims and computes pieces, as c              names seq (atomic), then reads the job's words,
 *   6. waits until done = P: re-loads about          computes it, done += 1 (atomic), notify(done);
 *      a piece's time, then wait(done, D)            again until no range has a piece left: a.
 *
 * No wake-up is lost. Atomics.wait compares and goes to sleep as one step
 * with respect to Atomics.notify on the same word. If the caller's store (4)
 * comes before the worker's compare (b), the worker sees a new job and does
 * not sleep; otherwise it is asleep by the time of the notify, which wakes
 * it. The same holds for done between c and 6. Neither side needs a timeout.
 * A worker that sees published change sees words[0] at that job's seq or a
 * later one (stored before it), so it claims from that job or a newer one.
 * (Spinning reads the int32 published, not words[0]: a load from a
 * BigInt64Array allocates, thread-protocol.ts: SPIN_CHECK.)
 *
 * A worker reads the right job. The job's words are written before the store
 * (3) of the range word that a successful swap (c) read; the atomics order the
 * two. They cannot change while the worker computes: the caller writes the
 * next job only after done = P (1), which needs this worker's piece.
 *
 * A piece counts for its own job. A swap succeeds only if the range word still
 * names the job (seq): a worker that slept through several jobs finds seq
 * moved on, and claims nothing of the old one.
 *
 * A stalled thread costs little. The caller waits only for pieces that are
 * claimed and unfinished, never for a worker that is asleep or not scheduled:
 * a worker the OS has descheduled costs at most the piece it holds. When
 * other work keeps the cores busy, splitting can be slower than running alone:
 * the pool tries both now and then, and runs jobs on the caller alone while
 * that is faster (split-policy.ts); the workers then sleep. A product of
 * ALWAYS_SPLIT_FLOPS or more is split whatever the policy says, in smaller
 * pieces. Small jobs stay on the caller (MIN_*): there a hand-off costs more
 * than it saves. The workers start only START_AFTER_MS after the first job
 * (or at threadsReady()): a short program never pays for starting them.
 *
 * Failures. A worker whose piece throws sets `failed` and still counts the
 * piece done, so the caller throws at once. If the caller's own piece throws,
 * it first takes every unclaimed piece (without computing it) and waits for
 * the claimed ones, so no piece of that job can land in the next. A worker
 * that dies mid-piece would keep done below P: past a deadline the caller
 * gives the pool up, with an error that names the job and the piece.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { setGemmExecutor, indexListsInHeap, packA, packB, panelCounts, MR, NR, type GemmExecutor, type GemmProblem } from "./gemm.js";
import {
  CONTROL, Command, MAX_THREADS, PUBLISHED_RANGE, SPIN_CHECK, chunkCount, chunkPanels, claim, cut, describeJob, rangeWord, pieceCount, problemFrom, runPiece,
  simdUnits, splitsColumns, type ThreadContext,
} from "./thread-protocol.js";
import { SplitPolicy } from "./split-policy.js";
import { setRowUpdateExecutor, type RowUpdateExecutor } from "./row-update.js";
import { setSparseExecutor, type SparseExecutor, type SparseProduct } from "./sparse-product.js";
import { apart, setGatherExecutor, type GatherExecutor } from "./ops.js";
import { setStackExecutor, type StackExecutor } from "./dense-stack.js";
import { SimdModule, gemmScratchBytes, wasmSimdAvailable, sharedModule, WARM_UP_BYTES } from "./wasm/module.js";
import { SPARSE_BLOCK_COLUMNS } from "./wasm/sparse.js";
import { heapMemory, inHeap, wholeHeap } from "./heap.js";
import { allocFloat32 } from "./alloc.js";
import { setLoopExecutor, type Loop, type LoopExecutor } from "./elementwise.js";

/**
 * Smallest product (flops, 2·m·n·k) worth splitting, per backend (js, wasm), timed on 1 and
 * 2 threads (npm run bench -- matmul): below it the hand-off costs more. The wasm one is 2²²,
 * so that a batch of 32's products (the tutorial's layer 2: 2.1 MFLOP) stay on the caller
 * with the sparse ones (sparse-product.ts): split, each thread computes part of a layer's
 * output, and the next product or sigmoid reads rows the other core wrote. Predict at batch
 * 32 took 80–140 ms with them split (the split policy found out only after several trials),
 * 75–85 ms on one thread; now the default takes what one thread takes (tsx bench/rows-child.ts
 * --data=DIR --job=predict --batch=32 --repeats=5, with and without --threads=1).
 */
const MIN_FLOPS = 1 << 19;
const MIN_SIMD_FLOPS = 1 << 22;
/**
 * A product this large (about 1.5 ms on one core) is split whatever the split
 * policy says. Its pieces are large, so a worker the OS deschedules with one
 * in hand costs a small share of the job; and a job like this, one of few
 * (predict on a whole test set, a convolution's product), would otherwise run
 * alone for its whole length on the word of a trial of small jobs.
 */
const ALWAYS_SPLIT_FLOPS = 1 << 25;
/**
 * Pieces per thread. More pieces hold up less when a thread is descheduled
 * with one in hand, but each SIMD piece packs its block of the small operand
 * again. Epochs of the tutorial's network on 2 threads (one process, configs
 * alternating, 5 rounds, min / median s for 30,000 samples): batch 32: 1 a
 * thread 0.70 / 0.95, 2: 0.74 / 0.97, 4: 0.78 / 0.93; batch 128: 1: 0.61 / 0.69,
 * 2: 0.65 / 0.70, 4: 0.68 / 0.73. Two a thread: a stalled thread costs at most
 * a quarter of a job, for a few percent.
 */
const PIECES_PER_THREAD = 2;
/**
 * Pieces per thread of a job split outside the policy (ALWAYS_SPLIT_FLOPS): the
 * thread that starts late (a worker waking from its sleep) then leaves the
 * others at most an eighth of its share to finish.
 */
const BIG_PIECES_PER_THREAD = 8;
/**
 * The workers start this long after the pool's first job (or at the first
 * job of ALWAYS_SPLIT_FLOPS, or at threadsReady()), not at the first job. A
 * worker takes 0.4 s of a core to start under tsx (it compiles purenn's
 * TypeScript) and its first pieces run on V8's baseline code, while the caller
 * works on the other core: a fresh model's first fit of 6,000 samples took
 * 0.35 s on 2 threads (median of 5) against 0.23 s on 1, the workers never
 * ready in time to help. A program that trains longer loses at most this
 * delay's share of the second core.
 */
const START_AFTER_MS = 300;
/** How long past the caller's own part it waits for a claimed piece before it gives the pool up. */
const JOB_DEADLINE_MS = 5000;
/**
 * The caller re-loads `done` before it sleeps for about as long as it has
 * worked on the job (and at least SPIN_PIECES of its pieces' time), within
 * [SPIN_MIN_MS, SPIN_MAX_MS]: on a quiet machine the
 * workers' last pieces end within that, and waking from a sleep would cost
 * tens of microseconds a job; a worker that needs longer is descheduled, and
 * the caller leaves the core to it.
 */
const SPIN_PIECES = 2;
const SPIN_MIN_MS = 0.1;
const SPIN_MAX_MS = 1;

let threads = 1;
let pool: Pool | undefined;
let adapt = true;
let workerFile: URL | undefined;

/** Uses `n` threads (the caller plus n − 1 workers) for large jobs; 1 turns workers off. */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`setThreads expects an integer from 1 to ${MAX_THREADS}, got ${n}`);
  }
  if (n === threads) return;
  pool?.close();
  pool = undefined;
  threads = n;
  const executor = n === 1 ? undefined : (pool = new Pool(n));
  setGemmExecutor(executor);
  setLoopExecutor(executor);
  setRowUpdateExecutor(executor);
  setSparseExecutor(executor);
  setGatherExecutor(executor);
  setStackExecutor(executor);
}

/** The number of threads jobs may use now. */
export function getThreads(): number {
  return threads;
}

/**
 * Resolves once the worker threads are up; rejects as soon as one fails to
 * start (the pool then falls back to one thread). Not needed for correctness:
 * until then jobs run on the calling thread, with the same bits.
 */
export async function threadsReady(timeoutMs = 60_000): Promise<void> {
  await pool?.ready(timeoutMs);
}

/** PURENN_THREADS if set, else the number of cores. */
export function defaultThreads(): number {
  const env = process.env.PURENN_THREADS;
  if (env === undefined || env === "") return availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new Error(`PURENN_THREADS must be an integer from 1 to ${MAX_THREADS}, got "${env}"`);
  return n;
}

// For tests and benchmarks.

/** How many jobs have been split across threads so far. */
export function parallelRunCount(): number {
  return pool?.stats.jobs ?? 0;
}

/** Jobs split, pieces the workers computed, and periods the caller ran alone, in the current pool. */
export function splitStats(): { jobs: number; workerPieces: number; stalls: number; backoffs: number } {
  return { ...(pool?.stats ?? { jobs: 0, workerPieces: 0, stalls: 0 }), backoffs: pool?.policy.backoffs ?? 0 };
}

/** false: split every large job, however the hand-offs go (tests that must see the split); true: adapt (the default). */
export function adaptToLoad(on: boolean): void {
  adapt = on;
}

/** The live worker threads (a test ends one to check the caller goes on). */
export function workerThreads(): readonly Worker[] {
  return pool?.workerList ?? [];
}

/** Where pools started from now on load the worker from (a test moves it, as a bundler might). */
export function setWorkerFile(url: URL | undefined): void {
  workerFile = url;
}

/**
 * The parent's Node options, less those about how the parent's own code is
 * given (`--input-type`, `-e`, `-p`): a worker inheriting `--input-type=module`
 * from `node --input-type=module -e …` fails to load its file.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    if (/^(--input-type|--eval|-e|--print|-p|-pe)$/.test(args[i])) i++; // and its value
    else if (!args[i].startsWith("--input-type=") && !args[i].startsWith("--eval=") && !args[i].startsWith("--print=")) out.push(args[i]);
  }
  return out;
}

/**
 * A worker started with the parent's Node options (workerExecArgv), less any
 * that Node refuses in a worker: V8's (node --max-old-space-size=…,
 * --experimental-wasm-relaxed-simd), which are the process's and so already
 * the worker's. Node names them in its error; the worker starts without them.
 */
function startWorker(make: (execArgv: string[]) => Worker): Worker {
  const execArgv = workerExecArgv();
  try {
    return make(execArgv);
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
    // "Initiated Worker with invalid execArgv flags: --a, --b=1"
    const refused = new Set((e as Error).message.replace(/^[^:]*:/, "").split(",").map((flag) => flag.trim()));
    return make(execArgv.filter((arg) => !refused.has(arg)));
  }
}

/** Microseconds of user and system time, in milliseconds. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

class Pool implements GemmExecutor, LoopExecutor, RowUpdateExecutor, SparseExecutor, GatherExecutor, StackExecutor {
  readonly minFlops = MIN_FLOPS;
  readonly policy: SplitPolicy;
  readonly stats = { jobs: 0, workerPieces: 0, stalls: 0 };
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
  /** The claim words (thread-protocol.ts): [0] the latest job, [1 + t] thread t's pieces of it. */
  private readonly words = new BigInt64Array(new SharedArrayBuffer(8 * (1 + MAX_THREADS)));
  private readonly scalars = new Float64Array(new SharedArrayBuffer(4 * 8));
  private readonly workers: Worker[] = [];
  private seq = 0n;
  /** Heap blocks the pool owns: the packed small operand (js backend), and one scratch per thread. */
  private small: Float32Array = new Float32Array(0);
  private readonly scratch: Float32Array[] = [];
  /** This thread's context: its views of the heap and its SIMD module, made before the first job. */
  private readonly self: ThreadContext;
  private startError: Error | undefined;
  private warned = false;
  /** When the first job came (ms), for START_AFTER_MS. */
  private firstJob: number | undefined;
  /** The job being split was not offered to the policy (ALWAYS_SPLIT_FLOPS): its time is not the policy's to count. */
  private outsidePolicy = false;

  constructor(readonly size: number) {
    // The process's CPU time tells the policy whether a slow trial had the cores (split-policy.ts).
    this.policy = new SplitPolicy({ usedMs: () => cpuMs(process.cpuUsage()), threads: size });
    for (let t = 0; t < size; t++) this.scratch.push(new Float32Array(0));
    this.self = { ctl: this.control, scalars: this.scalars, heap: new Float32Array(0), heapInt: new Int32Array(0), simd: undefined, t: 0 };
  }

  get workerList(): readonly Worker[] {
    return this.workers;
  }

  /** Starts the workers, once; until they are up, jobs run on the caller. */
  start(): void {
    if (this.workers.length > 0 || this.startError) return;
    const memory = heapMemory();
    if (memory === undefined) return;
    const simd = wasmSimdAvailable();
    // Every thread, this one included, builds and warms up its SIMD module before its first job (never during one).
    const warmUp = allocFloat32(((this.size * WARM_UP_BYTES) / 4) | 0);
    if (simd && inHeap(warmUp)) {
      this.self.simd = new SimdModule(memory);
      this.self.simd.warmUp(warmUp.byteOffset);
    }
    const here = new URL(import.meta.url);
    const file = workerFile ?? new URL(`./gemm-worker.node.${here.pathname.endsWith(".ts") ? "ts" : "js"}`, here);
    for (let t = 1; t < this.size; t++) {
      const workerData = {
        control: this.control, words: this.words, scalars: this.scalars, index: t, threads: this.size, memory,
        warmUpAt: simd && inHeap(warmUp) ? warmUp.byteOffset + t * WARM_UP_BYTES : -1,
        simdModule: simd ? sharedModule() : undefined,
      };
      let worker: Worker;
      try {
        // Under tsx or vitest the worker is TypeScript source: register tsx in it first.
        worker = startWorker((execArgv) => file.pathname.endsWith(".ts")
          ? new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`, { eval: true, workerData, execArgv })
          : new Worker(file, { workerData, execArgv }));
      } catch (e) {
        this.lose(e as Error);
        return;
      }
      worker.unref();
      worker.on("error", (e) => this.lose(e));
      worker.on("exit", (code) => {
        if (pool === this) this.lose(new Error(`a worker thread exited (code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  /** A worker failed to start or died: warn once, and from now on run everything on one thread. */
  private lose(e: Error): void {
    this.startError ??= e;
    if (pool !== this) return; // a newer pool has started since
    if (!this.warned) process.emitWarning(`purenn worker thread failed (${e.message}); jobs continue on one thread`);
    this.warned = true;
    setThreads(1);
  }

  /** Resolves when every worker has started; rejects as soon as one fails to. */
  async ready(timeoutMs: number): Promise<void> {
    this.start();
    const until = Date.now() + timeoutMs;
    while (!this.started()) {
      if (this.startError) throw new Error(`purenn: a worker thread failed to start (${this.startError.message}); jobs run on one thread`);
      if (this.workers.length === 0) return; // no shared heap: everything runs on the caller
      if (Date.now() > until) throw new Error(`purenn: worker threads did not start within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private started(): boolean {
    return this.workers.length > 0 && Atomics.load(this.control, CONTROL.ready) === this.size - 1;
  }

  /**
   * Whether a job of `work` flops may be split now: workers up, and splitting paying (split-policy.ts),
   * or a product of ALWAYS_SPLIT_FLOPS or more.
   */
  private open(work: number, product = false): boolean {
    if (this.workers.length === 0) {
      // Not started yet: only START_AFTER_MS after the first job, or at one large enough to split regardless.
      const now = performance.now();
      this.firstJob ??= now;
      if (now - this.firstJob < START_AFTER_MS && !(product && work >= ALWAYS_SPLIT_FLOPS)) return false;
      this.start();
    }
    if (!this.started()) return false;
    this.outsidePolicy = product && work >= ALWAYS_SPLIT_FLOPS;
    if (this.outsidePolicy) return true;
    const split = this.policy.offer(work, performance.now());
    return split || !adapt;
  }

  run(g: GemmProblem, simd: boolean): boolean {
    const { m, n, k } = g;
    if (2 * m * n * k < (simd ? MIN_SIMD_FLOPS : MIN_FLOPS)) return false;
    if (!this.open(2 * m * n * k, true) || !inHeap(g.a) || !inHeap(g.b) || !inHeap(g.c)) return false;
    const ctl = this.control;
    let pieces: number;
    if (simd) {
      if (this.self.simd === undefined) return false;
      const { byColumns, units } = simdUnits(m, n, this.size);
      pieces = pieceCount(units, this.size, this.piecesPerThread());
      if (!this.scratchFor(Math.ceil(gemmScratchBytes(m, n, k) / 4)) || !this.describe(g)) return false;
      ctl[CONTROL.byColumns] = byColumns ? 1 : 0;
      for (let t = 0; t < this.size; t++) ctl[CONTROL.scratch + t] = this.scratch[t].byteOffset; // bytes, for the SIMD module
    } else {
      pieces = chunkCount(m, n);
      const [pa, pb] = panelCounts(m, n);
      const byColumns = splitsColumns(m, n);
      const smallLength = (byColumns ? pa * MR : pb * NR) * k;
      if (this.small.length < smallLength) this.small = allocFloat32(smallLength);
      if (!inHeap(this.small) || !this.scratchFor(chunkPanels(m, n) * (byColumns ? NR : MR) * k) || !this.describe(g)) return false;
      ctl[CONTROL.small] = this.small.byteOffset / 4;
      for (let t = 0; t < this.size; t++) ctl[CONTROL.scratch + t] = this.scratch[t].byteOffset / 4;
      // The caller packs the small operand once, before the job is published.
      const heap = this.views().heap;
      const problem = problemFrom(ctl, heap, this.self.heapInt);
      if (byColumns) packA(heap, ctl[CONTROL.small], problem, 0, pa);
      else packB(heap, ctl[CONTROL.small], problem, 0, pb);
    }
    if (pieces < 2) return false;
    ctl[CONTROL.simd] = simd ? 1 : 0;
    this.split(Command.Gemm, pieces);
    return true;
  }

  /** How many pieces a thread gets of the product just opened. */
  private piecesPerThread(): number {
    return this.outsidePolicy ? BIG_PIECES_PER_THREAD : PIECES_PER_THREAD;
  }

  /** Per-thread heap scratch of at least `floats` (grown rarely, then reused); false if the heap is full. */
  private scratchFor(floats: number): boolean {
    for (let t = 0; t < this.size; t++) {
      if (this.scratch[t].length < floats) this.scratch[t] = allocFloat32(floats);
    }
    return this.scratch.every(inHeap);
  }

  /** Writes the product's operands and index lists into the control block; false if the heap is full. */
  private describe(g: GemmProblem): boolean {
    const ctl = this.control;
    const lists = indexListsInHeap(g);
    if (lists === undefined) return false;
    ctl[CONTROL.m] = g.m; ctl[CONTROL.n] = g.n; ctl[CONTROL.k] = g.k;
    ctl[CONTROL.transA] = g.transA ? 1 : 0; ctl[CONTROL.transB] = g.transB ? 1 : 0;
    ctl[CONTROL.a] = g.a.byteOffset / 4; ctl[CONTROL.lda] = g.lda;
    ctl[CONTROL.b] = g.b.byteOffset / 4; ctl[CONTROL.ldb] = g.ldb;
    ctl[CONTROL.c] = g.c.byteOffset / 4;
    [ctl[CONTROL.ks], ctl[CONTROL.aRows]] = lists;
    return true;
  }

  /** An element-wise loop (elementwise.ts), cut into ranges. */
  runLoop(loop: Loop, arrays: Float32Array[], scalars: number[], length: number, simd: boolean): boolean {
    if (!this.open(length) || arrays.length > 4 || scalars.length > this.scalars.length || !arrays.every(inHeap)) return false;
    if (simd && this.self.simd === undefined) return false;
    const ctl = this.control;
    ctl[CONTROL.loop] = loop;
    ctl[CONTROL.length] = length;
    for (let i = 0; i < 4; i++) ctl[CONTROL.arrays + i] = i < arrays.length ? arrays[i].byteOffset / 4 : -1;
    this.scalars.set(scalars);
    ctl[CONTROL.simd] = simd ? 1 : 0;
    this.split(Command.Loop, pieceCount(Math.ceil(length / 16), this.size, PIECES_PER_THREAD));
    return true;
  }

  /** Plain SGD on a gradient held as rows (row-update.ts), on the SIMD module, cut into blocks of columns. */
  runSgdRows(w: Float32Array, g: Float32Array, cols: Int32Array, width: number, lr: number): boolean {
    if (!this.open(cols.length * width) || this.self.simd === undefined || !inHeap(w) || !inHeap(g) || !inHeap(cols)) return false;
    const ctl = this.control;
    ctl[CONTROL.arrays] = w.byteOffset / 4;
    ctl[CONTROL.arrays + 1] = g.byteOffset / 4;
    ctl[CONTROL.arrays + 2] = cols.byteOffset / 4;
    ctl[CONTROL.length] = width;
    ctl[CONTROL.count] = cols.length;
    this.scalars[0] = lr;
    this.split(Command.SgdRows, pieceCount(Math.ceil(width / 16), this.size, PIECES_PER_THREAD));
    return true;
  }

  /** A gather of rows (ops.ts: gatherRows), cut into blocks of rows. */
  runGather(out: Float32Array, src: Float32Array, index: Int32Array, from: number, rows: number, width: number): boolean {
    // The pieces copy within the whole heap: only a gather that stays inside its arrays, from a src
    // that out does not overlap (the copies would then depend on their order), leaves the caller.
    let inside = rows >= 2 && from >= 0 && from + rows <= index.length && out.length >= rows * width;
    for (let r = 0; inside && r < rows; r++) inside = index[from + r] >= 0 && (index[from + r] + 1) * width <= src.length;
    if (!inside || !apart(out, src) || !inHeap(out) || !inHeap(src) || !inHeap(index) || !this.open(rows * width)) return false;
    const ctl = this.control;
    ctl[CONTROL.arrays] = out.byteOffset / 4;
    ctl[CONTROL.arrays + 1] = src.byteOffset / 4;
    ctl[CONTROL.arrays + 2] = index.byteOffset / 4;
    ctl[CONTROL.m] = from;
    ctl[CONTROL.count] = rows;
    ctl[CONTROL.length] = width;
    this.split(Command.Gather, pieceCount(rows, this.size, PIECES_PER_THREAD));
    return true;
  }

  /** A sparse product (sparse-product.ts), on the SIMD module, cut into blocks of C's columns. */
  runSparseProduct(p: SparseProduct, flops: number): boolean {
    if (p.width <= SPARSE_BLOCK_COLUMNS || !this.open(flops, true) || this.self.simd === undefined) return false;
    const pieces = pieceCount(Math.ceil(p.width / SPARSE_BLOCK_COLUMNS), this.size, this.piecesPerThread());
    const ctl = this.control;
    [p.c, p.starts, p.idx, p.vals].forEach((offset, i) => (ctl[CONTROL.arrays + i] = offset));
    ctl[CONTROL.b] = p.b;
    ctl[CONTROL.m] = p.rows;
    ctl[CONTROL.n] = p.width;
    ctl[CONTROL.lda] = p.ldc;
    ctl[CONTROL.ldb] = p.ldb;
    ctl[CONTROL.panels] = p.panels;
    ctl[CONTROL.panelRows] = p.panelRows;
    ctl[CONTROL.pack] = p.pack ? 1 : 0;
    this.split(Command.SparseProduct, pieces);
    return true;
  }

  /**
   * Blocks of rows through a stack of Dense layers (dense-stack.ts), a block a piece: each thread
   * runs its blocks start to end on its own buffers, so the threads meet once, at the end.
   */
  runStack(program: number, first: number, count: number, flops: number): boolean {
    if (count < 2 || flops < MIN_SIMD_FLOPS || !this.open(flops, true) || this.self.simd === undefined) return false;
    this.control[CONTROL.arrays] = program;
    this.control[CONTROL.m] = first;
    this.split(Command.Stack, count);
    return true;
  }

  /** This thread's views of the heap, made again only when it has grown. */
  private views(): ThreadContext {
    const { f32, i32 } = wholeHeap()!;
    this.self.heap = f32;
    this.self.heapInt = i32;
    return this.self;
  }

  /** Publishes the job in the control block as `pieces` pieces, computes pieces until none is left, waits for the rest. */
  private split(command: Command, pieces: number): void {
    const ctl = this.control;
    const self = this.views();
    const seq = ++this.seq;
    const t0 = performance.now();
    ctl[CONTROL.command] = command;
    ctl[CONTROL.pieces] = pieces;
    Atomics.store(ctl, CONTROL.done, 0);
    this.publish(seq, pieces);
    let own = 0;
    try {
      for (let p = claim(this.words, seq, 0, this.size); p >= 0; p = claim(this.words, seq, 0, this.size)) {
        runPiece(self, command, p);
        own++;
        Atomics.add(ctl, CONTROL.done, 1);
      }
    } catch (e) {
      // Take what is left without computing it, and wait for the pieces the workers hold: none may land in the next job.
      for (let p = claim(this.words, seq, 0, this.size); p >= 0; p = claim(this.words, seq, 0, this.size)) Atomics.add(ctl, CONTROL.done, 1);
      this.waitForPieces(pieces, t0, 0);
      throw e;
    }
    const ownDone = performance.now();
    const pieceMs = own > 0 ? (ownDone - t0) / own : 0;
    this.waitForPieces(pieces, t0, pieceMs);
    const end = performance.now();
    if (this.policy.splitEnded(end - ownDone, pieceMs, (pieces - own) / pieces, end)) this.stats.stalls++;
    if (this.outsidePolicy) this.policy.leaveOut(end - t0);
    if (Atomics.load(ctl, CONTROL.failed) !== 0) this.fail("failed in its piece of a job (its error follows as a warning)");
    this.stats.jobs++;
    this.stats.workerPieces += pieces - own;
  }

  /** Deals pieces [0, P) out in ranges, one a thread, then announces job `seq` and wakes the sleepers. */
  private publish(seq: bigint, pieces: number): void {
    for (let t = 0; t < this.size; t++) Atomics.store(this.words, 1 + t, rangeWord(seq, cut(pieces, t, this.size), cut(pieces, t + 1, this.size)));
    Atomics.store(this.words, 0, seq);
    Atomics.store(this.control, CONTROL.published, Number(seq % PUBLISHED_RANGE));
    Atomics.notify(this.control, CONTROL.published);
  }

  /** Waits until all `pieces` are done: re-loads `done` a while (see SPIN_MIN_MS), then sleeps on it, waking at each finished piece. */
  private waitForPieces(pieces: number, t0: number, pieceMs: number): void {
    const ctl = this.control;
    const start = performance.now();
    // About as long again as the caller has worked on the job (the workers started with it), at least SPIN_MIN_MS.
    const spinUntil = start + Math.min(SPIN_MAX_MS, Math.max(SPIN_MIN_MS, start - t0, SPIN_PIECES * pieceMs));
    const deadline = start + JOB_DEADLINE_MS + 10 * (start - t0);
    for (let done = Atomics.load(ctl, CONTROL.done), spins = 1; done < pieces; done = Atomics.load(ctl, CONTROL.done), spins++) {
      if (spins % SPIN_CHECK !== 0) continue; // the clock every SPIN_CHECK re-loads: it allocates (thread-protocol.ts)
      const now = performance.now();
      if (now < spinUntil) continue;
      if (now > deadline) this.fail(`did not finish ${this.held()} within ${((now - t0) / 1000).toFixed(1)} s`);
      Atomics.wait(ctl, CONTROL.done, done, Math.max(1, deadline - now));
    }
  }

  /** The pieces workers hold now, with the job: for the deadline's message. */
  private held(): string {
    const held: string[] = [];
    for (let t = 1; t < this.size; t++) {
      const p = Atomics.load(this.control, CONTROL.holding + t) - 1;
      if (p >= 0) held.push(`piece ${p} (worker ${t})`);
    }
    return `${held.join(", ") || "a piece"} of ${describeJob(this.control)}`;
  }

  close(): void {
    if (this.workers.length === 0) return;
    this.control[CONTROL.command] = Command.Exit;
    this.publish(++this.seq, this.size); // a piece for each thread: a worker that claims one reads Exit and ends
    for (const w of this.workers) void w.terminate();
  }

  /**
   * A worker let a job down: stop using the pool (the job's result is incomplete) and say so.
   * A worker that was only very slow is terminated, which takes effect asynchronously: until
   * then it may still write its piece of that job (so do not reuse that job's output).
   */
  private fail(what: string): never {
    setThreads(1);
    throw new Error(`purenn: a worker thread ${what}; the result is incomplete. From now on jobs run on one thread (setThreads(n) starts new workers)`);
  }
}
