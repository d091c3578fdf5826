/**
 * What the calling thread and the matmul workers share (threads.node.ts,
 * gemm-worker.node.ts): the control block that describes one product, and the
 * loop every thread runs on it.
 *
 * All operands live in the heap (heap.ts), one shared WebAssembly memory each
 * worker received once at start, so a product is described by numbers alone:
 * offsets (in float32 units) and sizes.
 *
 * How a product is split. Its tile grid has pa row panels (of A) and pb column
 * panels (of B). The longer side is "big" and cut into chunks of a few panels
 * (chunkPanels); the other side is "small" and packed once, by the caller,
 * before the workers wake. Then
 * every thread, the caller included, claims chunks one at a time with an
 * atomic counter, packs that chunk's panels of the big operand into its own
 * scratch and computes the chunk's tiles straight into C. Claiming balances
 * the load (a worker that wakes late simply takes fewer chunks), and since a
 * tile is summed in the same order whoever computes it, the result has the
 * same bits for any number of threads. On the SIMD kernel each thread computes
 * one fixed block of C (thread t always the t-th block of columns) with one
 * WebAssembly call that packs and multiplies (runSimdChunks); an elementwise
 * loop is cut into one contiguous range per thread (runLoopShare), and a row
 * update into the same blocks of columns as the products (runSgdRowsShare).
 * A worker whose part throws sets `failed` before it reports done, so the
 * caller throws too instead of going on with a part missing.
 */
import { gemmTiles, packA, packB, panelCounts, type GemmProblem } from "./gemm.js";
import { loopRange, loopElements } from "./elementwise.js";
import type { WasmKernel } from "./wasm/kernel.js";

/** Int32 slots of the control block. */
export const CONTROL = {
  generation: 0, // bumped once per job; workers sleep while it is unchanged
  pending: 1, // workers that have not finished the current job
  command: 2,
  ready: 3, // workers that have started
  next: 4, // the next unclaimed chunk
  chunks: 5,
  m: 6, n: 7, k: 8,
  transA: 9, transB: 10,
  a: 11, lda: 12, b: 13, ldb: 14, c: 15, // offsets in the heap, in float32 units
  ks: 16, aRows: 17, // offsets of index lists in int32 units, or −1
  small: 18, // the packed small operand
  scratch: 19, // thread t packs into the heap from control[scratch + t], t < 64
  loop: 83, // an elementwise loop (elementwise.ts): which, over how many elements,
  length: 84,
  arrays: 85, // and the heap offsets of its (up to 4) arrays; its scalars are in a Float64Array beside
  simd: 89, // 1: the job runs on the WebAssembly kernel (a product's scratch offsets are then in bytes)
  count: 90, // a row update (row-update.ts): how many rows; `length` holds their width, `arrays` W, G, cols
  failed: 91, // set by a worker whose part of a job threw (it then ends)
  size: 92,
} as const;

export const enum Command {
  Gemm = 1,
  Loop = 2,
  Exit = 3,
  /** Plain SGD on a gradient held as rows, by blocks of columns (row-update.ts) */
  SgdRows = 4,
}

/** Thread t's share of the elementwise loop in the control block. */
export function runLoopShare(
  ctl: Int32Array, scalars: Float64Array, heap: Float32Array, t: number, threads: number, simd: () => WasmKernel,
): void {
  const n = ctl[CONTROL.length];
  const arrays: Float32Array[] = [];
  for (let i = 0; i < 4 && ctl[CONTROL.arrays + i] >= 0; i++) arrays.push(heap.subarray(ctl[CONTROL.arrays + i], ctl[CONTROL.arrays + i] + n));
  const [start, end] = loopRange(n, t, threads);
  loopElements(ctl[CONTROL.loop], arrays, scalars, start, end, ctl[CONTROL.simd] === 1 ? simd() : undefined);
}

/** Thread t's share of the row update in the control block: its block of columns (columnShare), in one call. */
export function runSgdRowsShare(ctl: Int32Array, scalars: Float64Array, t: number, threads: number, kernel: WasmKernel): void {
  const width = ctl[CONTROL.length];
  const [j0, j1] = columnShare(width, t, threads);
  const w = ctl[CONTROL.arrays] * 4, g = ctl[CONTROL.arrays + 1] * 4, cols = ctl[CONTROL.arrays + 2] * 4; // bytes
  kernel.sgdRows(w, g, cols, ctl[CONTROL.count], width, j0, j1, scalars[0]);
}

/**
 * Panels per chunk. Small chunks even out the threads' finishing times; a
 * column chunk is 4 panels (16 columns, 64 bytes of each row of C) so that no
 * two threads write into the same cache line of C.
 */
export function chunkPanels(m: number, n: number): number {
  return splitsColumns(m, n) ? 4 : 1;
}

/** How many chunks the big side of the product is cut into. */
export function chunkCount(m: number, n: number): number {
  const [pa, pb] = panelCounts(m, n);
  return Math.ceil(Math.max(pa, pb) / chunkPanels(m, n));
}

/** Panels [q0, q1) of chunk c, of `per` panels each, out of `panels`. */
export function chunkRange(c: number, per: number, panels: number): [number, number] {
  return [c * per, Math.min((c + 1) * per, panels)];
}

/*
 * For the WebAssembly kernel, which packs inside each call: one chunk per
 * thread, and thread t always computes chunk t. A product is cut along C's
 * columns whenever there are at least 16 of them per thread (else along its
 * rows), at multiples of 16 (whole tiles, and 64-byte lines of C). Fixed
 * ownership keeps data in one core's cache: the first layer's x·W, xᵀ·dz and
 * SGD step (row-update.ts, cut the same way) all touch the same columns of W
 * on the same thread, so W's half stays in that core's L2 from batch to batch
 * instead of crossing to the other core each time. Measured on two threads
 * (tutorial network, batch 32, epochs alternating in one session): 1.09-1.13 s
 * an epoch against 1.10-1.15 with two chunks a thread claimed by whoever came
 * first, and 1.10 against 1.14 with, besides, W's row update on the caller
 * alone: a small gain, kept for the simpler, fixed ownership.
 */
/** Columns [j0, j1) of thread t's share of n columns, cut at multiples of 16: the same cut for products and row updates. */
export function columnShare(n: number, t: number, threads: number): [number, number] {
  const cut = (q: number) => Math.min(n, Math.ceil((q * n) / threads / 16) * 16);
  return [cut(t), cut(t + 1)];
}

/** Rows [i0, i1) x columns [j0, j1) of C in SIMD chunk c. */
export function simdChunk(m: number, n: number, c: number, chunks: number): [number, number, number, number] {
  if (n >= 16 * chunks) {
    const [j0, j1] = columnShare(n, c, chunks);
    return [0, m, j0, j1];
  }
  const [i0, i1] = columnShare(m, c, chunks); // the same cut, along the rows
  return [i0, i1, 0, n];
}

/** Thread t's part of a product on the WebAssembly kernel: chunk t of `chunks` (one per thread), in one call. */
export function runSimdChunks(ctl: Int32Array, kernel: WasmKernel, t: number): void {
  const m = ctl[CONTROL.m], n = ctl[CONTROL.n], k = ctl[CONTROL.k];
  const ks = ctl[CONTROL.ks] >= 0 ? ctl[CONTROL.ks] * 4 : -1;
  const aRows = ctl[CONTROL.aRows] >= 0 ? ctl[CONTROL.aRows] * 4 : -1;
  const [i0, i1, j0, j1] = simdChunk(m, n, t, ctl[CONTROL.chunks]);
  if (i0 >= i1 || j0 >= j1) return;
  kernel.gemm(
    ctl[CONTROL.c] * 4, n, ctl[CONTROL.a] * 4, ctl[CONTROL.lda], ctl[CONTROL.transA] === 1,
    ctl[CONTROL.b] * 4, ctl[CONTROL.ldb], ctl[CONTROL.transB] === 1,
    m, n, k, i0, i1, j0, j1, ks, aRows, ctl[CONTROL.scratch + t],
  );
}

/** The product in the control block, with views of the heap. */
export function problemFrom(ctl: Int32Array, heap: Float32Array, heapInt: Int32Array): GemmProblem {
  const problem: GemmProblem = {
    c: heap, a: heap, b: heap, lda: ctl[CONTROL.lda], ldb: ctl[CONTROL.ldb],
    transA: ctl[CONTROL.transA] === 1, transB: ctl[CONTROL.transB] === 1,
    m: ctl[CONTROL.m], n: ctl[CONTROL.n], k: ctl[CONTROL.k],
  };
  // Operands are addressed from their offset: a view that starts there is the simplest way.
  problem.a = heap.subarray(ctl[CONTROL.a]);
  problem.b = heap.subarray(ctl[CONTROL.b]);
  if (ctl[CONTROL.ks] >= 0) problem.ks = heapInt.subarray(ctl[CONTROL.ks], ctl[CONTROL.ks] + problem.k);
  if (ctl[CONTROL.aRows] >= 0) problem.aRows = heapInt.subarray(ctl[CONTROL.aRows], ctl[CONTROL.aRows] + problem.m);
  return problem;
}

/** Whether the product is cut along B's column panels (else along A's row panels). */
export function splitsColumns(m: number, n: number): boolean {
  const [pa, pb] = panelCounts(m, n);
  return pb >= pa;
}

/**
 * Thread t's part of the product in the control block: claim chunks until none
 * are left, pack each chunk's panels of the big operand, compute its tiles.
 */
export function runChunks(ctl: Int32Array, heap: Float32Array, problem: GemmProblem, t: number): void {
  const { m, n } = problem;
  const [pa, pb] = panelCounts(m, n);
  const chunks = ctl[CONTROL.chunks];
  const per = chunkPanels(m, n);
  const small = ctl[CONTROL.small];
  const scratch = ctl[CONTROL.scratch + t];
  const c = ctl[CONTROL.c];
  const byColumns = splitsColumns(m, n);
  for (let chunk = Atomics.add(ctl, CONTROL.next, 1); chunk < chunks; chunk = Atomics.add(ctl, CONTROL.next, 1)) {
    if (byColumns) {
      const [jp0, jp1] = chunkRange(chunk, per, pb);
      packB(heap, scratch, problem, jp0, jp1);
      gemmTiles(heap, c, problem, heap, small, 0, pa, heap, scratch, jp0, jp1);
    } else {
      const [ip0, ip1] = chunkRange(chunk, per, pa);
      packA(heap, scratch, problem, ip0, ip1);
      gemmTiles(heap, c, problem, heap, scratch, ip0, ip1, heap, small, 0, pb);
    }
  }
}
