/**
 * What a worker thread does (gemm-worker.node.ts runs it): wait for a job,
 * claim its pieces one by one and compute them, report each done, wait again.
 * The hand-off it follows, and why no wake-up is lost, are written down at the
 * top of threads.node.ts; the pieces themselves in thread-protocol.ts.
 */
import type { WasmMemory } from "./webassembly.js";
import { CONTROL, Command, SPIN_CHECK, claim, runPiece, type ThreadContext } from "./thread-protocol.js";
import { SimdModule, adoptSharedModule } from "./wasm/module.js";

/** What the pool hands each worker at start. */
export interface WorkerData {
  control: Int32Array;
  /** The claim words (thread-protocol.ts): [0] the latest job, [1 + t] thread t's pieces; control[published] announces a job. */
  words: BigInt64Array;
  scalars: Float64Array;
  index: number;
  threads: number;
  memory: WasmMemory;
  /** Byte offset of this worker's warm-up block in the heap, or −1. */
  warmUpAt: number;
  /** The caller's compiled SIMD module (wasm/module.ts sharedModule), or undefined: no SIMD. */
  simdModule: object | undefined;
}

/**
 * How long a worker re-loads control[published] after its last piece before
 * it sleeps. A training step publishes its jobs up to about a millisecond apart
 * (the loss and the activations run on the caller alone), and a sleeping
 * worker wakes too late for the next one. Measured:
 * 15 epochs of 20,000 samples at batch 32 on 2 threads, fresh processes
 * alternating, p25 / median: spinning 0.5 ms 0.683 / 0.753 s, 2 ms 0.541 /
 * 0.629 s. When the caller runs alone for a while (split-policy.ts), no job
 * comes and the worker sleeps after these 2 ms.
 */
const SPIN_MS = 2;

/** Serves jobs until an Exit job; `beforePiece` is for tests (to stall or fail a piece). */
export function serveJobs(data: WorkerData, beforePiece?: (piece: number) => void): void {
  const { control: ctl, words, memory, index: t, threads } = data;
  // The SIMD module is built and each of its functions compiled (warmUp) before this worker says it is ready.
  if (data.simdModule !== undefined) adoptSharedModule(data.simdModule);
  const simd = data.simdModule !== undefined ? new SimdModule(memory) : undefined;
  if (simd !== undefined && data.warmUpAt >= 0) simd.warmUp(data.warmUpAt);
  const self: ThreadContext = {
    ctl, scalars: data.scalars, heap: new Float32Array(memory.buffer), heapInt: new Int32Array(memory.buffer), simd, t: data.index,
  };
  // Jobs published before this worker is counted ready are the caller's alone; from here on, any job counts.
  let seen = Atomics.load(ctl, CONTROL.published);
  Atomics.add(ctl, CONTROL.ready, 1);
  for (;;) {
    seen = awaitJob(ctl, seen);
    const seq = Atomics.load(words, 0); // this job's, or a later one's
    for (let p = claim(words, seq, t, threads), first = true; p >= 0; p = claim(words, seq, t, threads), first = false) {
      const command = ctl[CONTROL.command] as Command;
      if (command === Command.Exit) return;
      // The caller may have grown the heap since the last job: see all of it.
      if (first && memory.buffer.byteLength !== self.heap.byteLength) {
        self.heap = new Float32Array(memory.buffer);
        self.heapInt = new Int32Array(memory.buffer);
      }
      Atomics.store(ctl, CONTROL.holding + t, p + 1);
      try {
        beforePiece?.(p);
        runPiece(self, command, p);
      } catch (e) {
        // Say so before counting the piece done, so that the caller throws instead of going on
        // with a piece missing; then end this thread (its "error" event names e).
        Atomics.store(ctl, CONTROL.failed, 1);
        throw e;
      } finally {
        Atomics.store(ctl, CONTROL.holding + t, 0);
        Atomics.add(ctl, CONTROL.done, 1);
        Atomics.notify(ctl, CONTROL.done);
      }
    }
  }
}

/** Waits for control[published] to differ from `seen`, and returns it: spins SPIN_MS, then sleeps on it until it changes. */
function awaitJob(ctl: Int32Array, seen: number): number {
  const until = performance.now() + SPIN_MS;
  for (let spins = 1; ; spins++) {
    const published = Atomics.load(ctl, CONTROL.published);
    if (published !== seen) return published;
    if (spins % SPIN_CHECK === 0 && performance.now() > until) Atomics.wait(ctl, CONTROL.published, seen);
  }
}
