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
 * (productColumns), which moves values and changes no bit of C.
 */
import type { SimdModule } from "./wasm/module.js";
import { SPARSE_BLOCK_COLUMNS } from "./wasm/sparse.js";

/**
 * One sparse product, by byte offsets in the heap: C (rows x width, row stride ldc floats), the
 * entries, and B (row stride ldb); `panels` (0: none), a copy of B's panelRows rows in panels
 * (productColumns), which the product reads instead, packing them from B first when `pack` is set.
 */
export interface SparseProduct {
  c: number; ldc: number; starts: number; idx: number; vals: number; rows: number; b: number; ldb: number; width: number;
  panels: number; panelRows: number; pack: boolean;
}

/** Below this fraction of non-zero values, an input's products take only its non-zero entries. */
export const SPARSE_DENSITY = 0.5;

/**
 * The most entries `rows` x `cols` values may have to be taken as sparse: the scan's limit
 * (wasm/sparse.ts: sparseRows, which needs room for it + cols entries, as it stops at the end of a row).
 */
export function entryLimit(rows: number, cols: number): number {
  return Math.ceil(SPARSE_DENSITY * rows * cols) - 1;
}

/** Splits a sparse product between threads (threads.node.ts); false to run it on the caller. */
export interface SparseExecutor {
  runSparseProduct(p: SparseProduct, flops: number): boolean;
}

/** Below this many flops a sparse product stays on the calling thread (a batch of 32 MNIST rows times 784x256: ~2.5 MFLOP; see threads.node.ts: MIN_SIMD_FLOPS). */
const MIN_SPLIT_FLOPS = 1 << 22;

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

/**
 * C's columns [j0, j1) of the product (j0 a multiple of SPARSE_BLOCK_COLUMNS). With panels, B is
 * read from a copy in panels of SPARSE_BLOCK_COLUMNS (24) columns, one after another: panel q
 * holds columns [24q, 24q + w) as panelRows x w, from byte 4·24q·panelRows; each piece packs (when
 * asked) and reads the panels of its own columns, panel after panel in one call (wasm/sparse.ts:
 * sparsePanels). The product reads 24 floats of B's row idx[q] for each entry: in a kernel's own
 * layout (rows 1 KB apart for 256 units) one block's floats are spread over hundreds of pages and a
 * few cache sets, in a panel they are one stretch of memory.
 * One thread, a 784x256 kernel, MNIST test rows, µs a product, fused module, one run of
 * `node --experimental-wasm-relaxed-simd --import tsx bench/wasm-module.ts`:
 *   rows                               32    128    1000
 *   kernel read in place               131   531    4403
 *   panels packed beforehand           103   393    3120
 *   panels packed by the product       154   449    3238
 * (packing the whole kernel alone: 51 µs; 50–90 µs in other runs). The copy moves values: C's bits are the same.
 */
export function productColumns(simd: SimdModule, p: SparseProduct, j0: number, j1: number): void {
  if (p.panels === 0) simd.sparseProduct(p.c, p.ldc, p.starts, p.idx, p.vals, p.rows, p.b, p.ldb, j0, j1);
  else simd.sparsePanels(p.c, p.ldc, p.starts, p.idx, p.vals, p.rows, p.b, p.ldb, p.panels, p.panelRows, j0, j1, p.pack);
}

/** B's fields of a product: what packing its panels reads and writes. */
export type PanelsOf = Pick<SparseProduct, "b" | "ldb" | "width" | "panels" | "panelRows">;

/** Packs all of B's panels (productColumns's layout) without a product: what `pack` adds to one. */
export function packPanels(simd: SimdModule, p: PanelsOf): void {
  for (let j = 0; j < p.width; j += SPARSE_BLOCK_COLUMNS) packPanel(simd, p, j, Math.min(SPARSE_BLOCK_COLUMNS, p.width - j));
}

/** The byte offset of the panel of B's columns from j (a multiple of SPARSE_BLOCK_COLUMNS): 4·j·panelRows. */
function panelAt(p: PanelsOf, j: number): number {
  return p.panels + 4 * j * p.panelRows;
}

/** B's columns [j, j + width) copied into their panel: panelRows rows of `width` floats. */
function packPanel(simd: SimdModule, p: PanelsOf, j: number, width: number): void {
  simd.copyRows(panelAt(p, j), p.b + 4 * j, width, p.panelRows, width, p.ldb);
}
