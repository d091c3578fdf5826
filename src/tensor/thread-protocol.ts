/**
 * The shared control block between the calling thread and matmul workers
 * (threads.node.ts, gemm-worker.node.ts), and how the tile grid is split.
 */
import { panelCounts } from "./gemm.js";

/** Int32 slots of the control block. */
export const CONTROL = {
  generation: 0, // bumped once per job; workers sleep while it is unchanged
  pending: 1, // workers that have not finished the current job
  command: 2,
  ready: 3, // workers that have started
  m: 4,
  n: 5,
  k: 6,
  size: 8,
} as const;

export const enum Command {
  Gemm = 1,
  Reload = 2, // new shared buffers wait in the worker's message port
  Exit = 3,
}

/**
 * Thread t's share of the tile grid, as [ip0, ip1, jp0, jp1): contiguous
 * ranges of whichever panel count is larger, so even a 32-row batch splits.
 */
export function threadRange(m: number, n: number, t: number, threads: number): [number, number, number, number] {
  const [pa, pb] = panelCounts(m, n);
  if (pb >= pa) return [0, pa, Math.floor((t * pb) / threads), Math.floor(((t + 1) * pb) / threads)];
  return [Math.floor((t * pa) / threads), Math.floor(((t + 1) * pa) / threads), 0, pb];
}
