/**
 * The sparse product (wasm/sparse.ts) between threads:
 *
 *   C(i, j) = Σ_q vals[q] · B(idx[q], j)     over row i's entries q ∈ [starts[i], starts[i+1])
 *
 * C's columns are cut into blocks that the threads claim (thread-protocol.ts);
 * each column is summed in the same order whoever computes it, so the result
 * has the same bits on any number of threads.
 */
import type { SimdModule } from "./wasm/module.js";

/** One sparse product, by byte offsets in the heap: C (rows x width, row stride ldc floats), the entries, B (row stride ldb). */
export interface SparseProduct {
  c: number; ldc: number; starts: number; idx: number; vals: number; rows: number; b: number; ldb: number; width: number;
}

/** Splits a sparse product between threads (threads.node.ts); false to run it on the caller. */
export interface SparseExecutor {
  runSparseProduct(p: SparseProduct, flops: number): boolean;
}

/** Below this many flops a sparse product stays on the calling thread. */
const MIN_SPLIT_FLOPS = 1 << 21;

let executor: SparseExecutor | undefined;

/** Installs (or removes) the multi-threaded executor. */
export function setSparseExecutor(e: SparseExecutor | undefined): void {
  executor = e;
}

/** The product, on the caller or split between threads; `entries`: how many non-zero entries the sparse operand has. */
export function sparseProduct(simd: SimdModule, p: SparseProduct, entries: number): void {
  const flops = 2 * entries * p.width;
  if (executor !== undefined && flops >= MIN_SPLIT_FLOPS && executor.runSparseProduct(p, flops)) return;
  simd.sparseProduct(p.c, p.ldc, p.starts, p.idx, p.vals, p.rows, p.b, p.ldb, 0, p.width);
}
