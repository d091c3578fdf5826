/**
 * A matmul worker thread: sleeps on the shared control block, computes its
 * share of each product's tiles from the shared packed panels, reports done.
 * (The protocol is described in threads.node.ts.)
 */
import { workerData, parentPort, receiveMessageOnPort } from "node:worker_threads";
import { gemmTiles, type GemmBuffers } from "./gemm.js";
import { CONTROL, Command, threadRange } from "./thread-protocol.js";

const { control, index, threads } = workerData as { control: Int32Array; index: number; threads: number };
let bufs: GemmBuffers = workerData as GemmBuffers;

// Read the generation BEFORE saying ready: the caller may send the first job the moment
// `ready` counts this worker, and a job sent between the two lines must not be slept through.
let seen = Atomics.load(control, CONTROL.generation);
Atomics.add(control, CONTROL.ready, 1);
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  const command = control[CONTROL.command];
  if (command === Command.Exit) break;
  if (command === Command.Reload) {
    // The caller posted the new buffers before waking us; the message may still be in flight.
    let message = receiveMessageOnPort(parentPort!);
    while (!message) {
      Atomics.wait(control, CONTROL.pending, Atomics.load(control, CONTROL.pending), 1);
      message = receiveMessageOnPort(parentPort!);
    }
    bufs = message.message as GemmBuffers;
  } else if (command === Command.Gemm) {
    const m = control[CONTROL.m], n = control[CONTROL.n], k = control[CONTROL.k];
    const [ip0, ip1, jp0, jp1] = threadRange(m, n, index, threads);
    gemmTiles(bufs.c, m, n, k, bufs.packedA, bufs.packedB, ip0, ip1, jp0, jp1);
  }
  Atomics.sub(control, CONTROL.pending, 1);
  Atomics.notify(control, CONTROL.pending);
}
