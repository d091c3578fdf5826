/**
 * The sparse product (wasm/sparse.ts) between threads:
 *
 *   C(i, j) = Σ_q vals[q] · B(idx[q], j)     over row i's entries q ∈ [starts[i], starts[i+1])
 *
 * C's columns are cut into blocks that the threads claim (thread-protocol.ts);
 * each column is summed in the same order whoever computes it, so the result
 * has the same bits on any number of threads.
 *
 * B is read either in its own row-major layout or from a copy in panels
 * (packPanels), which moves values and changes no bit of C.
 */
import type { SimdModule } from "./wasm/module.js";
import { SPARSE_BLOCK_COLUMNS } from "./wasm/sparse.js";

/**
 * One sparse product, by byte offsets in the heap: C (rows x width, row stride ldc floats), the
 * entries, and B: row-major with row stride ldb when panelRows is 0, else in panels (packPanels).
 */
export interface SparseProduct {
  c: number; ldc: number; starts: number; idx: number; vals: number; rows: number; b: number; ldb: number; width: number;
  panelRows: number;
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
  productColumns(simd, p, 0, p.width);
}

/** C's columns [j0, j1) of the product (j0 a multiple of SPARSE_BLOCK_COLUMNS): one call, or one a panel of B. */
export function productColumns(simd: SimdModule, p: SparseProduct, j0: number, j1: number): void {
  if (p.panelRows === 0) return simd.sparseProduct(p.c, p.ldc, p.starts, p.idx, p.vals, p.rows, p.b, p.ldb, j0, j1);
  for (let j = j0; j < j1; j += SPARSE_BLOCK_COLUMNS) {
    const width = Math.min(SPARSE_BLOCK_COLUMNS, j1 - j);
    simd.sparseProduct(p.c + 4 * j, p.ldc, p.starts, p.idx, p.vals, p.rows, p.b + 4 * j * p.panelRows, width, 0, width);
  }
}

/**
 * B (rows x cols, row stride cols, at byte offset b) copied to `panels` as panels of
 * SPARSE_BLOCK_COLUMNS (24) columns, one after another: panel q holds columns [24q, 24q + w)
 * as rows x w, from byte 4·24q·rows. The product reads 24 floats of B's row idx[q] for each
 * entry: in a kernel's own layout (rows 1 KB apart for 256 units) one block's floats are spread
 * over hundreds of pages and few cache sets, in a panel they are one stretch of memory.
 * One thread, the tutorial's 784x256 kernel, MNIST test rows, µs a product in one run:
 *   rows          32    128    1000
 *   row-major     196   756    4377
 *   panels        165   613    3330
 * and packing takes ~80 µs: it pays where the kernel serves several products (predict).
 */
export function packPanels(simd: SimdModule, panels: number, b: number, rows: number, cols: number): void {
  for (let j = 0; j < cols; j += SPARSE_BLOCK_COLUMNS) {
    const width = Math.min(SPARSE_BLOCK_COLUMNS, cols - j);
    simd.copyRows(panels + 4 * j * rows, b + 4 * j, width, rows, width, cols);
  }
}
