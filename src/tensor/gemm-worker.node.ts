/**
 * A matmul worker thread: sleeps on the shared control block, computes its
 * part of each job in the shared heap (chunks it claims, on the js kernel; its
 * fixed block, on the SIMD kernel), reports done.
 * (The protocol is described in threads.node.ts and thread-protocol.ts.)
 */
import { workerData } from "node:worker_threads";
import type { WasmMemory } from "./webassembly.js";
import { CONTROL, Command, problemFrom, runChunks, runLoopShare, runSgdRowsShare, runSimdChunks } from "./thread-protocol.js";
import { WasmKernel, wasmSimdAvailable } from "./wasm/kernel.js";

const { control, scalars, index, threads, memory } = workerData as {
  control: Int32Array; scalars: Float64Array; index: number; threads: number; memory: WasmMemory;
};
/** How long to spin for the next job before sleeping, and how long each sleep lasts at most (see awaitJob). */
const SPIN_MS = 2;
const SLEEP_SLICE_MS = 50;
let heap = new Float32Array(memory.buffer);
let heapInt = new Int32Array(heap.buffer);
/**
 * This thread's instance of the SIMD kernel, made before this worker says it is
 * ready, never in the middle of a job. Compiling or instantiating a module can
 * wait on work that V8 gives the thread which started it, and during a job the
 * calling thread is blocked in Atomics.wait until this one reports done: made
 * lazily, at the first SIMD job, it once stalled a run for minutes (and, with
 * the caller's deadline, made a product throw after 5 s).
 */
let kernel: WasmKernel | undefined = wasmSimdAvailable() ? new WasmKernel(memory) : undefined;
const simdKernel = (): WasmKernel => (kernel ??= new WasmKernel(memory));

// Read the generation BEFORE saying ready: the caller may send the first job the moment
// `ready` counts this worker, and a job sent between the two lines must not be slept through.
let seen = Atomics.load(control, CONTROL.generation);
Atomics.add(control, CONTROL.ready, 1);
for (;;) {
  awaitJob();
  seen = Atomics.load(control, CONTROL.generation);
  const command = control[CONTROL.command];
  if (command === Command.Exit) break;
  // The caller may have grown the heap since the last job: see all of it.
  if (memory.buffer.byteLength !== heap.byteLength) {
    heap = new Float32Array(memory.buffer);
    heapInt = new Int32Array(heap.buffer);
  }
  try {
    if (command === Command.Gemm && control[CONTROL.simd] === 1) runSimdChunks(control, simdKernel(), index);
    else if (command === Command.Gemm) runChunks(control, heap, problemFrom(control, heap, heapInt), index);
    else if (command === Command.Loop) runLoopShare(control, scalars, heap, index, threads, simdKernel);
    else if (command === Command.SgdRows) runSgdRowsShare(control, scalars, index, threads, simdKernel());
  } catch (e) {
    // Say so before reporting done, so that the caller, waiting on `pending`, throws instead of
    // going on with a part of the job missing; then end this thread (its "error" event names e).
    Atomics.store(control, CONTROL.failed, 1);
    throw e;
  } finally {
    Atomics.sub(control, CONTROL.pending, 1);
    Atomics.notify(control, CONTROL.pending);
  }
}

/**
 * Waits for the generation to change. Products come in bursts (a training
 * step asks for several within a millisecond or two), and waking a sleeping
 * thread costs tens to hundreds of microseconds on a virtual machine: so spin
 * first, for up to SPIN_MS, and only then sleep — in slices of SLEEP_SLICE_MS,
 * looking at the generation between them, so that a wake-up that went astray
 * would cost one slice, not the rest of the run.
 */
function awaitJob(): void {
  const until = performance.now() + SPIN_MS;
  while (Atomics.load(control, CONTROL.generation) === seen) {
    if (performance.now() > until) Atomics.wait(control, CONTROL.generation, seen, SLEEP_SLICE_MS);
  }
}
