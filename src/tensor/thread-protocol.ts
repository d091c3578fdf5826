/**
 * What the calling thread and the worker threads share (threads.node.ts,
 * gemm-worker.node.ts): the control block that describes one job, the word
 * through which pieces of it are claimed, and what computing one piece means.
 *
 * A job is a product (dense or sparse), an element-wise loop, a row update or a gather, cut into P pieces
 * (more pieces than threads), dealt out in ranges, one a thread. Each thread —
 * the caller included — claims its own pieces, then whatever the others have
 * not started, each with an atomic compare-and-swap, and computes them:
 *
 *   product, SIMD module   a block of C's columns (or rows), a multiple of 16 wide
 *   product, js backend     a chunk of the big operand's panels (the caller packs the small one first)
 *   element-wise loop      a range of elements, cut at multiples of 16
 *   row update             a block of W's columns, a multiple of 16 wide
 *   sparse product         a block of C's columns, a multiple of 24 wide (SPARSE_BLOCK_COLUMNS), packing its panels of B first when asked
 *   gather                 a block of the batch's rows, each copied from the row the index list names
 *   stack of Dense layers  a block of rows through every layer, on the thread's own buffers (dense-stack.ts)
 *
 * A piece's values do not depend on who computes it or on how the job is cut:
 * each C element is summed in the same order whatever block it falls in
 * (wasm/module.ts, gemm.ts), and a loop or a row update computes each element
 * by the same expression. So results are bit-identical for any thread count,
 * and a thread the OS has not scheduled costs at most the piece it holds.
 *
 * All operands live in the heap (heap.ts), one shared WebAssembly memory each
 * worker received once at start, so a job is described by numbers alone:
 * offsets (in float32 units unless said) and sizes.
 */
import { gemmTiles, packA, packB, panelCounts, type GemmProblem } from "./gemm.js";
import { loopElements } from "./elementwise.js";
import type { SimdModule } from "./wasm/module.js";
import { SPARSE_BLOCK_COLUMNS } from "./wasm/sparse.js";
import { productColumns } from "./sparse-product.js";
import { stackBlock } from "./dense-stack.js";

/** Int32 slots of the control block. */
export const CONTROL = {
  done: 0, // pieces of the current job that are finished
  ready: 1, // workers that have started
  failed: 2, // set by a worker whose piece threw (it then ends)
  command: 3,
  m: 4, n: 5, k: 6,
  transA: 7, transB: 8,
  a: 9, lda: 10, b: 11, ldb: 12, c: 13, // offsets in the heap, in float32 units
  ks: 14, aRows: 15, // offsets of index lists in int32 units, or −1
  small: 16, // js backend: the packed small operand
  loop: 17, // an element-wise loop (elementwise.ts): which, over how many elements,
  length: 18,
  arrays: 19, // and the heap offsets of its (up to 4) arrays; its scalars are in a Float64Array beside
  simd: 23, // 1: the job runs on the WebAssembly module (a product's scratch offsets are then in bytes)
  count: 24, // a row update (row-update.ts): how many rows; `length` holds their width, `arrays` W, G, cols
  // (a gather: `count` rows of `length` floats, `arrays` out, src and the index list, read from index[m])
  // (a stack of Dense layers: its program's int32 offset in `arrays`, its first block in `m`)
  // A sparse product (sparse-product.ts) has its byte offsets in `arrays` (C, starts, idx, vals) and `b`,
  // C's rows in `m`, its width in `n`, its row stride in `lda` and B's in `ldb`, and:
  panels: 25, // the byte offset of B's copy in panels (0: none),
  panelRows: 26, // B's rows in them,
  pack: 27, // 1: each piece packs its panels before it reads them
  byColumns: 28, // a SIMD product: 1 if cut along C's columns, 0 along its rows (simdUnits)
  scratch: 29, // thread t packs into the heap from control[scratch + t], t < MAX_THREADS
  holding: 29 + 64, // thread t holds piece control[holding + t] − 1 (0: none); for the deadline's message
  pieces: 29 + 128, // how many pieces the job has
  published: 29 + 129, // the latest job's seq mod 2³¹: workers re-load it and sleep on it (an int32 load allocates nothing; a BigInt64Array's does)
  size: 29 + 130,
} as const;

export const MAX_THREADS = 64;

export const enum Command {
  Gemm = 1,
  Loop = 2,
  Exit = 3,
  /** Plain SGD on a gradient held as rows, by blocks of columns (row-update.ts) */
  SgdRows = 4,
  /** A product with a sparse left operand, by blocks of C's columns (sparse-product.ts) */
  SparseProduct = 5,
  /** Rows gathered by an index list (ops.ts: gatherRows), by blocks of rows */
  Gather = 6,
  /** Blocks of rows through a stack of Dense layers (dense-stack.ts), a block a piece */
  Stack = 7,
}

/*
 * The claim words: one 64-bit word per thread, so that a claim names its job.
 *
 *   words[0]      = seq                                the latest job (control[published]: its low 31 bits)
 *   words[1 + t]  = seq · 2²⁴ + hi · 2¹² + lo          thread t's pieces of job seq not yet
 *                                                      taken: [lo, hi)   (lo ≤ hi < 2¹²)
 *
 * The P pieces are dealt out in ranges, one a thread, so that on a quiet
 * machine every thread computes the same part of every product batch after
 * batch (its columns of W stay in its core's cache). A thread takes its own
 * pieces from the front (lo + 1), then helps the others, taking theirs from
 * the back (hi − 1): the owner and a helper meet in the middle, and a thread
 * that is asleep or descheduled simply has its pieces taken from it.
 *
 * Every take is a compare-and-swap of the word it read for the word with one
 * piece fewer. It fails if anything changed in between — in particular if the
 * caller has published another job since, which rewrote the word with a new
 * seq — so no thread ever takes a piece of an old job for one of a new job.
 * (The word could only come back to the value read if seq wrapped round: 2³⁹
 * jobs, days of training, between one thread's load and its swap.)
 */
const SEQ = 2n ** 24n;
const HI = 2n ** 12n;
export const MAX_PIECES = 4095;

/** control[published] holds seq mod PUBLISHED_RANGE (a non-negative int32). */
export const PUBLISHED_RANGE = 2n ** 31n;

/**
 * Re-loads between two looks at the clock while a thread spins (a worker
 * waiting for a job, the caller for the workers' pieces). performance.now()
 * allocates its result, as a load from a BigInt64Array does: a worker that
 * spun on words[0] and read the clock at every re-load collected its heap 234
 * times in 5 fits of 30,000 samples at batch 128 (node --trace-gc; 11 times
 * now), each a pause of the worker, with V8's helper threads taking the
 * cores, and the first seconds of a 2-thread fit were slower for it. So workers
 * spin on control[published] (int32), and the clock is read every SPIN_CHECK
 * re-loads (a few microseconds).
 */
export const SPIN_CHECK = 256;

/** The word that gives a thread pieces [lo, hi) of job `seq`. */
export function rangeWord(seq: bigint, lo: number, hi: number): bigint {
  return seq * SEQ + BigInt(hi) * HI + BigInt(lo);
}

/** Takes one piece of job `seq` from words[at]: the first (fromBack false) or the last; −1 if none is left or the job is not current. */
function take(words: BigInt64Array, at: number, seq: bigint, fromBack: boolean): number {
  for (;;) {
    const w = Atomics.load(words, at);
    const lo = Number(w & 0xfffn), hi = Number((w / HI) & 0xfffn);
    if (w / SEQ !== seq || lo >= hi) return -1;
    const next = fromBack ? w - HI : w + 1n;
    if (Atomics.compareExchange(words, at, w, next) === w) return fromBack ? hi - 1 : lo;
  }
}

/** Claims a piece of job `seq` for thread t: its own first, then the others' from the back; −1 when the job has none left. */
export function claim(words: BigInt64Array, seq: bigint, t: number, threads: number): number {
  const own = take(words, 1 + t, seq, false);
  if (own >= 0) return own;
  for (let i = 1; i < threads; i++) {
    const p = take(words, 1 + ((t + i) % threads), seq, true);
    if (p >= 0) return p;
  }
  return -1;
}

/** Start of part p of `total` units cut into `parts` nearly equal parts: [cut(p), cut(p + 1)). */
export function cut(total: number, p: number, parts: number): number {
  return Math.floor((p * total) / parts);
}

/** Elements [start, end) of piece p of P over n elements, cut at multiples of `unit`. */
export function pieceRange(n: number, unit: number, p: number, pieces: number): [number, number] {
  const units = Math.ceil(n / unit);
  return [Math.min(n, cut(units, p, pieces) * unit), Math.min(n, cut(units, p + 1, pieces) * unit)];
}

/** How many pieces a job of `units` indivisible parts is cut into, for `threads` threads. */
export function pieceCount(units: number, threads: number, perThread: number): number {
  return Math.max(1, Math.min(units, threads * perThread, MAX_PIECES));
}

/**
 * The 16-wide units a SIMD product is cut along: C's columns when there are
 * enough of them and C is not tall, else its rows. Cut by columns, every piece
 * packs all of A (m x k); by rows, all of B (k x n). So a C with more than twice
 * as many rows as columns is cut along its rows: predict on a whole test set
 * (10000 x 128), a convolution's output pixels (15488 x 64) and its weight
 * gradient (289 x 64, summed over k = 15488).
 */
export function simdUnits(m: number, n: number, threads: number): { byColumns: boolean; units: number } {
  const byColumns = n >= 16 * threads && m <= 2 * n;
  return { byColumns, units: Math.ceil((byColumns ? n : m) / 16) };
}

/** What one thread needs to compute pieces: the control block and its views of the shared memory. */
export interface ThreadContext {
  ctl: Int32Array;
  scalars: Float64Array;
  heap: Float32Array;
  heapInt: Int32Array;
  /** This thread's SIMD module instance, made before its first job (or undefined: no SIMD here). */
  simd: SimdModule | undefined;
  /** This thread's number: 0 the caller, 1 … the workers. */
  t: number;
}

/** Computes piece p of the job described in the control block. */
export function runPiece(x: ThreadContext, command: Command, p: number): void {
  const ctl = x.ctl;
  const pieces = ctl[CONTROL.pieces];
  if (command === Command.Gemm && ctl[CONTROL.simd] === 1) simdGemmPiece(x, p, pieces);
  else if (command === Command.Gemm) jsGemmPiece(x, p);
  else if (command === Command.Loop) {
    const n = ctl[CONTROL.length];
    const arrays: Float32Array[] = [];
    for (let i = 0; i < 4 && ctl[CONTROL.arrays + i] >= 0; i++) arrays.push(x.heap.subarray(ctl[CONTROL.arrays + i], ctl[CONTROL.arrays + i] + n));
    const [start, end] = pieceRange(n, 16, p, pieces);
    loopElements(ctl[CONTROL.loop], arrays, x.scalars, start, end, ctl[CONTROL.simd] === 1 ? x.simd : undefined);
  } else if (command === Command.SgdRows) {
    const width = ctl[CONTROL.length];
    const [j0, j1] = pieceRange(width, 16, p, pieces);
    const w = ctl[CONTROL.arrays] * 4, g = ctl[CONTROL.arrays + 1] * 4, cols = ctl[CONTROL.arrays + 2] * 4; // bytes
    x.simd!.sgdRows(w, g, cols, ctl[CONTROL.count], width, j0, j1, x.scalars[0]);
  } else if (command === Command.Gather) {
    // out's row r ← src's row index[from + r]; offsets in float32 (int32) units. Every row number is inside
    // src (threads.node.ts: runGather checks): one call into the SIMD module, else copyWithin a row.
    const width = ctl[CONTROL.length], from = ctl[CONTROL.m];
    const out = ctl[CONTROL.arrays], src = ctl[CONTROL.arrays + 1], index = ctl[CONTROL.arrays + 2];
    const [r0, r1] = pieceRange(ctl[CONTROL.count], 1, p, pieces);
    if (x.simd !== undefined) {
      x.simd.gatherRows(4 * (out + r0 * width), 4 * src, 4 * (index + from + r0), r1 - r0, width, 0x7fffffff); // bytes; no row number to stop at
    } else {
      for (let r = r0; r < r1; r++) {
        const s = src + x.heapInt[index + from + r] * width;
        x.heap.copyWithin(out + r * width, s, s + width);
      }
    }
  } else if (command === Command.Stack) {
    stackBlock(x.simd!, x.heap, x.heapInt, ctl[CONTROL.arrays], x.t, ctl[CONTROL.m] + p);
  } else if (command === Command.SparseProduct) {
    const [j0, j1] = pieceRange(ctl[CONTROL.n], SPARSE_BLOCK_COLUMNS, p, pieces);
    const c = ctl[CONTROL.arrays], starts = ctl[CONTROL.arrays + 1], idx = ctl[CONTROL.arrays + 2], vals = ctl[CONTROL.arrays + 3];
    productColumns(x.simd!, {
      c, ldc: ctl[CONTROL.lda], starts, idx, vals, rows: ctl[CONTROL.m], b: ctl[CONTROL.b], ldb: ctl[CONTROL.ldb], width: ctl[CONTROL.n],
      panels: ctl[CONTROL.panels], panelRows: ctl[CONTROL.panelRows], pack: ctl[CONTROL.pack] === 1,
    }, j0, j1);
  }
}

/** A block of C (whole rows by a block of columns, or the reverse) on the WebAssembly module, in one call that packs and multiplies. */
function simdGemmPiece(x: ThreadContext, p: number, pieces: number): void {
  const ctl = x.ctl;
  const m = ctl[CONTROL.m], n = ctl[CONTROL.n], k = ctl[CONTROL.k];
  const ks = ctl[CONTROL.ks] >= 0 ? ctl[CONTROL.ks] * 4 : -1;
  const aRows = ctl[CONTROL.aRows] >= 0 ? ctl[CONTROL.aRows] * 4 : -1;
  const byColumns = ctl[CONTROL.byColumns] === 1;
  const [s0, s1] = pieceRange(byColumns ? n : m, 16, p, pieces);
  const [i0, i1, j0, j1] = byColumns ? [0, m, s0, s1] : [s0, s1, 0, n];
  if (i0 >= i1 || j0 >= j1) return;
  x.simd!.gemm(
    ctl[CONTROL.c] * 4, n, ctl[CONTROL.a] * 4, ctl[CONTROL.lda], ctl[CONTROL.transA] === 1,
    ctl[CONTROL.b] * 4, ctl[CONTROL.ldb], ctl[CONTROL.transB] === 1,
    m, n, k, i0, i1, j0, j1, ks, aRows, ctl[CONTROL.scratch + x.t],
  );
}

/**
 * The js backend's product: its tile grid has pa row panels (of A) and pb column
 * panels (of B). The longer side is "big" and cut into chunks of a few panels
 * (a piece each); the other side is "small", packed once by the caller before
 * the job is published. A piece packs its panels of the big operand into the
 * thread's scratch and computes their tiles straight into C.
 */
function jsGemmPiece(x: ThreadContext, chunk: number): void {
  const { ctl, heap } = x;
  const g = problemFrom(ctl, heap, x.heapInt);
  const [pa, pb] = panelCounts(g.m, g.n);
  const per = chunkPanels(g.m, g.n);
  const small = ctl[CONTROL.small], scratch = ctl[CONTROL.scratch + x.t], c = ctl[CONTROL.c];
  if (splitsColumns(g.m, g.n)) {
    const [jp0, jp1] = chunkRange(chunk, per, pb);
    packB(heap, scratch, g, jp0, jp1);
    gemmTiles(heap, c, g, heap, small, 0, pa, heap, scratch, jp0, jp1);
  } else {
    const [ip0, ip1] = chunkRange(chunk, per, pa);
    packA(heap, scratch, g, ip0, ip1);
    gemmTiles(heap, c, g, heap, scratch, ip0, ip1, heap, small, 0, pb);
  }
}

/**
 * Panels per js chunk. Small chunks even out the threads' finishing times; a
 * column chunk is 4 panels (16 columns, 64 bytes of each row of C) so that no
 * two threads write into the same cache line of C.
 */
export function chunkPanels(m: number, n: number): number {
  const [pa, pb] = panelCounts(m, n);
  const base = splitsColumns(m, n) ? 4 : 1;
  return base * Math.ceil(Math.max(pa, pb) / base / MAX_PIECES); // at most MAX_PIECES chunks
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

/** Whether the js product is cut along B's column panels (else along A's row panels). */
export function splitsColumns(m: number, n: number): boolean {
  const [pa, pb] = panelCounts(m, n);
  return pb >= pa;
}

/** The product in the control block, with views of the heap. */
export function problemFrom(ctl: Int32Array, heap: Float32Array, heapInt: Int32Array): GemmProblem {
  const problem: GemmProblem = {
    c: heap, a: heap.subarray(ctl[CONTROL.a]), b: heap.subarray(ctl[CONTROL.b]), lda: ctl[CONTROL.lda], ldb: ctl[CONTROL.ldb],
    transA: ctl[CONTROL.transA] === 1, transB: ctl[CONTROL.transB] === 1,
    m: ctl[CONTROL.m], n: ctl[CONTROL.n], k: ctl[CONTROL.k],
  };
  if (ctl[CONTROL.ks] >= 0) problem.ks = heapInt.subarray(ctl[CONTROL.ks], ctl[CONTROL.ks] + problem.k);
  if (ctl[CONTROL.aRows] >= 0) problem.aRows = heapInt.subarray(ctl[CONTROL.aRows], ctl[CONTROL.aRows] + problem.m);
  return problem;
}

/** A short description of the job in the control block, for error messages. */
export function describeJob(ctl: Int32Array): string {
  switch (ctl[CONTROL.command] as Command) {
    case Command.Gemm: {
      const t = (f: number) => (ctl[f] === 1 ? "ᵀ" : "");
      return `the product A${t(CONTROL.transA)}·B${t(CONTROL.transB)} of ${ctl[CONTROL.m]}x${ctl[CONTROL.k]} by ${ctl[CONTROL.k]}x${ctl[CONTROL.n]}`;
    }
    case Command.Loop: return `element-wise loop ${ctl[CONTROL.loop]} over ${ctl[CONTROL.length]} elements`;
    case Command.SgdRows: return `the row update of ${ctl[CONTROL.count]} rows of ${ctl[CONTROL.length]}`;
    case Command.SparseProduct: return `the sparse product of ${ctl[CONTROL.m]} rows by ${ctl[CONTROL.n]} columns`;
    case Command.Gather: return `the gather of ${ctl[CONTROL.count]} rows of ${ctl[CONTROL.length]}`;
    case Command.Stack: return `blocks ${ctl[CONTROL.m]} to ${ctl[CONTROL.m] + ctl[CONTROL.pieces] - 1} through a stack of Dense layers`;
    default: return `command ${ctl[CONTROL.command]}`;
  }
}
