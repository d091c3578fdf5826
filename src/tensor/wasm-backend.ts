/**
 * The "wasm" backend: the js backend's operations (js-backend.ts) run as
 * WebAssembly SIMD, four floats an instruction, on the heap (heap.ts).
 *
 * The module is written byte by byte from TypeScript when purenn loads
 * (wasm/module.ts). It reaches arrays by their byte offset in the heap, a
 * shared WebAssembly.Memory that holds every matrix: all the offsets, and the
 * copies for arrays that live elsewhere, stay in this file (and in
 * dense-stack.ts, predict's program). An operation whose arrays are not in the
 * heap falls back to the js backend's.
 *
 * Inputs that are mostly zeros (MNIST's pixels) are multiplied by their
 * non-zero entries only (wasm/sparse.ts), with the dense product's bits; the
 * weight gradient reuses the entries its affine found, one scan a step.
 * Such a product reads its other operand from a copy in panels
 * (sparse-product.ts): the weight gradient's dz and, from 128 rows on, the
 * kernel, packed by the product itself; while the weights are fixed
 * (withFixedWeights: predict, evaluate), the kernel is packed once for the call.
 *
 * predict and evaluate of a stack of Dense layers (predictStack) run each block
 * of rows through every layer on one thread, the blocks shared out between
 * threads (dense-stack.ts), with the layers' own kernels and bits.
 *
 * Against the reference: the products sum in float32 (so they differ from the
 * float64 reference sums by rounding), the sigmoid is computed in float64
 * (within one ulp of the reference, and equal on all 268M inputs swept:
 * wasm/sigmoid.ts); every other operation has the reference's bits.
 */
import { UINT32_RANGE } from "./random.js";
import { HeapDraws } from "./heap-draws.js";
import { JsBackend } from "./js-backend.js";
import { getGemmExecutor, indexListsInHeap, type GemmProblem, type Selection } from "./gemm.js";
import { heapInt32, heapMemory, inHeap, wholeHeap } from "./heap.js";
import { allocFloat32 } from "./alloc.js";
import { SimdModule, gemmScratchBytes, wasmSimdAvailable } from "./wasm/module.js";
import { workspace, type Matrix } from "./matrix.js";
import type { Gradient } from "./parameter.js";
import { entryLimit, packPanels, sparseProduct, type SparseProduct } from "./sparse-product.js";
import { STACK_ROWS, makeProgram, programKey, setProgram, stackBlock, stackExecutor, type DenseStep, type StackProgram } from "./dense-stack.js";
import { MAX_PIECES } from "./thread-protocol.js";
import { apart, gatherRows, splitGather, transposeInto } from "./ops.js";

/**
 * An array found dense is not scanned again for this many calls: the same
 * buffers come back batch after batch (a layer's activations, never zero after
 * a sigmoid), and a scan of them would find the same.
 */
const DENSE_RESCAN = 64;

/**
 * A sparse product of this many rows or more pays for packing its kernel in panels (panelsOf): the
 * copy (50–90 µs for 784 x 256, sparse-product.ts) then costs less than it saves. While the weights
 * are fixed, smaller products pack at the kernel's second product, once for all the products after.
 */
export const PACK_ROWS = 128;
/** A sparse product that reads its kernel in place (panelsOf): made once, not per product. */
const IN_PLACE = { panels: 0, panelRows: 0, pack: false } as const;

/** The non-zero entries of an input, row by row and column by column (wasm/sparse.ts), in the heap. */
interface Entries {
  /** How many there are now, and the shape of the array scanned. */
  count: number;
  rows: number;
  cols: number;
  starts: Int32Array; idx: Int32Array; vals: Float32Array;
  pos: Int32Array; cStarts: Int32Array; cIdx: Int32Array; cVals: Float32Array;
}

/** An array the SIMD module can reach: in the heap, or none given (simdFor's unused parameters). */
function reachable(a: ArrayBufferView | undefined): boolean {
  return a === undefined || inHeap(a);
}

/** Why the wasm backend cannot run here, or undefined when it can. */
export function wasmBackendProblem(): string | undefined {
  if (!wasmSimdAvailable()) return "this runtime does not validate WebAssembly SIMD (or has no WebAssembly)";
  if (heapMemory() === undefined) return "shared WebAssembly memory is unavailable here (a browser page needs cross-origin isolation)";
  return undefined;
}

export class WasmBackend extends JsBackend {
  override readonly name: JsBackend["name"] = "wasm";
  readonly simd: SimdModule;
  /** Heap copies of operands that live elsewhere, reused from product to product. */
  private readonly staging: Float32Array[] = [];
  private scratch: Float32Array | undefined;
  private columnScratch: Int32Array | undefined;
  /** gradientProduct's outᵀ, reused. */
  private transposed: Matrix | undefined;
  /** The weight gradient's dz in panels (sparse-product.ts: productColumns), reused from batch to batch. */
  private dzPanels: Matrix | undefined;
  /** Each kernel's copy in panels, kept while the kernel lives (only copies in the heap are kept). */
  private readonly panels = new WeakMap<Float32Array, Float32Array>();
  /** Inside withFixedWeights: each kernel a sparse product used so far, and whether its panels are packed. */
  private fixed: Map<Float32Array, boolean> | undefined;
  private entries: Entries | undefined;
  /** The array whose entries `entries` holds (the last scan that found it sparse), or undefined. */
  private scanned: Float32Array | undefined;
  /** Arrays last found dense, and how many calls they skip the scan for. */
  private readonly dense = new WeakMap<Float32Array, number>();
  private readonly draws: HeapDraws;
  /** predictStack's program and the buffers it names, kept for the next predict of the same shapes. */
  private stack: StackProgram | undefined;

  constructor() {
    super();
    const problem = wasmBackendProblem();
    if (problem !== undefined) throw new Error(`the wasm backend cannot run here: ${problem}`);
    this.simd = new SimdModule(heapMemory()!);
    this.draws = new HeapDraws(this.simd);
  }

  /**
   * The SIMD module when every array given (up to four) lives in the heap (it reaches them by offset),
   * else undefined. Fixed parameters, not a rest array: ~25 calls a batch, and until V8 optimizes
   * the callers each rest array and every() callback was allocated and run (384 KB a first fit).
   */
  protected override simdFor(a?: ArrayBufferView, b?: ArrayBufferView, c?: ArrayBufferView, d?: ArrayBufferView): SimdModule | undefined {
    return reachable(a) && reachable(b) && reachable(c) && reachable(d) ? this.simd : undefined;
  }

  /** C = A·B as one call into WebAssembly (split between threads when large), on heap copies of operands outside the heap. */
  protected override product(out: Matrix, a: Matrix, b: Matrix, transA: boolean, transB: boolean, sel: Selection = {}): void {
    const m = out.rows, n = out.cols, k = sel.ks ? sel.ks.length : transA ? a.rows : a.cols;
    if (m === 0 || n === 0) return;
    if (k === 0) {
      out.data.fill(0);
      return;
    }
    const g = this.inHeap({ c: out.data, a: a.data, b: b.data, lda: a.cols, ldb: b.cols, transA, transB, m, n, k, ks: sel.ks, aRows: sel.aRows });
    const executor = getGemmExecutor();
    if (g === undefined || !((executor !== undefined && 2 * m * n * k >= executor.minFlops && executor.run(g, true)) || this.gemmHere(g))) {
      super.product(out, a, b, transA, transB, sel); // the heap is full: the js backend
      return;
    }
    if (g.c !== out.data) out.data.set(g.c);
  }

  /** The problem itself when a, b and c live in the heap, else one on heap copies of them; undefined if the heap is full. */
  private inHeap(g: GemmProblem): GemmProblem | undefined {
    if (inHeap(g.a) && inHeap(g.b) && inHeap(g.c)) return g;
    const [a, b, c] = [g.a, g.b, g.c].map((x, slot) => {
      if (inHeap(x)) return x;
      if ((this.staging[slot]?.length ?? 0) < x.length) this.staging[slot] = allocFloat32(x.length);
      const copy = this.staging[slot].subarray(0, x.length);
      if (slot < 2) copy.set(x); // C's values are only written
      return copy;
    });
    return inHeap(a) && inHeap(b) && inHeap(c) ? { ...g, a, b, c } : undefined;
  }

  /** The whole product on this thread; false if the heap cannot hold its scratch. */
  private gemmHere(g: GemmProblem): boolean {
    const { m, n, k } = g;
    const floats = Math.ceil(gemmScratchBytes(m, n, k) / 4);
    if ((this.scratch?.length ?? 0) < floats) this.scratch = allocFloat32(floats);
    const lists = indexListsInHeap(g);
    if (lists === undefined || !inHeap(this.scratch!)) return false;
    const [ks, aRows] = lists;
    this.simd.gemm(
      g.c.byteOffset, n, g.a.byteOffset, g.lda, g.transA, g.b.byteOffset, g.ldb, g.transB,
      m, n, k, 0, m, 0, n, ks < 0 ? -1 : ks * 4, aRows < 0 ? -1 : aRows * 4, this.scratch!.byteOffset,
    );
    return true;
  }

  /**
   * z = x·W + b; a mostly-zero x by its non-zero entries only. A dense x goes to the dense product
   * whole: the js backend's search for all-zero columns would scan it for nothing (a sigmoid's
   * outputs, a convolution's windows: 2 ms a batch in mnist_convnet).
   */
  override affine(z: Matrix, x: Matrix, W: Matrix, b: Matrix | undefined): void {
    if (!this.simdFor(z.data, W.data, x.data)) return super.affine(z, x, W, b);
    const e = this.sparseEntries(x);
    if (e) {
      sparseProduct(this.simd, {
        c: z.data.byteOffset, ldc: z.cols, starts: e.starts.byteOffset, idx: e.idx.byteOffset, vals: e.vals.byteOffset,
        rows: x.rows, b: W.data.byteOffset, ldb: W.cols, width: W.cols, ...this.panelsOf(W, x.rows),
      }, e.count);
    } else {
      this.product(z, x, W, false, false);
    }
    if (b !== undefined) this.addBias(z, b);
  }

  /** dW = xᵀ·dz; for a mostly-zero x, the rows of its non-zero columns from its entries column by column */
  override weightGradient(dW: Gradient, x: Matrix, dz: Matrix): void {
    const e = this.simdFor(dz.data) && this.entriesAgain(x);
    if (!e) return super.weightGradient(dW, x, dz);
    const columns = this.rowIndex(dW, x.cols); // room for every column's row number
    if (!this.simdFor(columns)) return super.weightGradient(dW, x, dz);
    const u = this.simd.sparseColumns(
      x.rows, x.cols, e.starts.byteOffset, e.idx.byteOffset, e.vals.byteOffset,
      e.pos.byteOffset, columns.byteOffset, e.cStarts.byteOffset, e.cIdx.byteOffset, e.cVals.byteOffset,
    );
    const { rows, index } = this.rowsOf(dW, x.cols, u, dz.cols);
    if (!this.simdFor(rows.data)) return super.weightGradient(dW, x, dz); // the heap is full
    // dz read from panels (sparse-product.ts: productColumns) that the product packs: one thread, 784 x 256,
    // MNIST rows, packing included, fused module (bench/wasm-module.ts, one run): 117 → 111 µs at batch 32,
    // 446 → 385 at 128, 950 → 745 at 256.
    const panels = (this.dzPanels = workspace(this.dzPanels, dz.rows, dz.cols));
    const inHeapPanels = this.simdFor(panels.data) !== undefined; // else dz is read in place
    sparseProduct(this.simd, {
      c: rows.data.byteOffset, ldc: dz.cols, starts: e.cStarts.byteOffset, idx: e.cIdx.byteOffset, vals: e.cVals.byteOffset,
      rows: u, b: dz.data.byteOffset, ldb: dz.cols, width: dz.cols,
      panels: inHeapPanels ? panels.data.byteOffset : 0, panelRows: dz.rows, pack: inHeapPanels,
    }, e.count);
    dW.setRows(rows, index);
  }

  /**
   * out = aᵀ·b (a convolution's weight gradients, conv-fast.ts); a mostly-zero b (the gradient
   * that comes back through max pooling: one pixel of each window gets any) by its entries, as
   *   outᵀ = bᵀ·a      outᵀ(o, ·) += b(p, o) · a(p, ·) for b's entries, row p by row p
   * (wasm/sparse.ts: sparseScatter). Each sum runs over p in increasing order, as the dense
   * product's does (and a·b = b·a exactly in float32), so the bits are the dense product's.
   */
  override gradientProduct(out: Matrix, a: Matrix, b: Matrix): void {
    const e = this.simdFor(out.data, a.data) && this.sparseEntries(b);
    if (!e) return this.matmulTransA(out, a, b);
    const t = (this.transposed = workspace(this.transposed, b.cols, a.cols));
    if (!this.simdFor(t.data)) return this.matmulTransA(out, a, b);
    // On this thread: split between threads (by C's columns, or by its rows) each thread reads all of a,
    // and two threads were no faster (9–15 ms a batch of mnist_convnet against 9–10 on one).
    this.simd.sparseScatter(t.data.byteOffset, a.cols, b.cols, e.starts.byteOffset, e.idx.byteOffset, e.vals.byteOffset, b.rows, a.data.byteOffset, a.cols, 0, a.cols);
    transposeInto(out, t);
  }

  /**
   * out = the stack's outputs for x (dense-stack.ts): x cut into blocks of min(batchSize, STACK_ROWS)
   * rows, each through every layer on one thread, the blocks shared out between threads.
   * false (nothing done) for a single block, for batches above a block on one thread, or when an
   * array is outside the heap or the heap is full.
   */
  predictStack(out: Matrix, x: Matrix, steps: readonly DenseStep[], batchSize: number): boolean {
    const block = Math.min(batchSize, STACK_ROWS), blocks = Math.ceil(x.rows / block);
    const weights = steps.flatMap((s) => (s.b ? [s.W, s.b] : [s.W]));
    if (blocks < 2 || !weights.every(inHeap) || !this.simdFor(out.data, x.data)) return false;
    const executor = stackExecutor();
    const threads = executor?.size ?? 1;
    // One thread, batches above a block: the layers one by one over the whole batch were faster
    // (10k rows all at once: 81 ms against 109 in blocks of STACK_ROWS; bench predict).
    if (threads === 1 && batchSize > STACK_ROWS) return false;
    if (this.stack?.key !== programKey(steps, block, threads)) this.stack = makeProgram(steps, block, threads);
    if (this.stack === undefined) return false;
    // The first kernel in panels (sparse-product.ts: productColumns), packed again at every call: weights change between.
    const first = steps[0];
    const panels = this.kernelPanels(first.W);
    if (panels !== undefined) packPanels(this.simd, { b: first.W.byteOffset, ldb: first.dout, width: first.dout, panels: panels.byteOffset, panelRows: first.din });
    setProgram(this.stack, steps, x.data, x.rows, out.data, panels?.byteOffset ?? 0);
    const at = this.stack.words.byteOffset / 4;
    const flops = 2 * block * steps.reduce((sum, s) => sum + s.din * s.dout, 0); // a block's, as if every input were non-zero
    const { f32: heap, i32: heapInt } = wholeHeap()!;
    for (let from = 0; from < blocks; from += MAX_PIECES) {
      const count = Math.min(MAX_PIECES, blocks - from);
      if (executor?.runStack(at, from, count, count * flops)) continue;
      for (let i = from; i < from + count; i++) stackBlock(this.simd, heap, heapInt, at, 0, i);
    }
    return true;
  }

  /** The heap block that holds a kernel's copy in panels while the kernel lives (made on first use); undefined if the heap is full. */
  private kernelPanels(W: Float32Array): Float32Array | undefined {
    let panels = this.panels.get(W);
    if (panels === undefined) {
      panels = allocFloat32(W.length);
      if (!inHeap(panels)) return undefined;
      this.panels.set(W, panels);
    }
    return panels;
  }

  /** While `run` runs, a kernel packed in panels stays packed: the weights do not change. */
  withFixedWeights<T>(run: () => T): T {
    if (this.fixed !== undefined) return run(); // already inside
    this.fixed = new Map();
    try {
      return run();
    } finally {
      this.fixed = undefined;
    }
  }

  /**
   * Where a sparse product of `rows` rows reads W from (sparse-product.ts: productColumns). In
   * training, from panels this product packs when it has PACK_ROWS rows or more, else from W itself.
   * While the weights are fixed, from panels packed once: by W's first product if it has PACK_ROWS
   * rows, else by its second, and read by every product after.
   */
  private panelsOf(W: Matrix, rows: number): Pick<SparseProduct, "panels" | "panelRows" | "pack"> {
    const packed = this.fixed?.get(W.data);
    if (this.fixed === undefined) {
      if (rows < PACK_ROWS) return IN_PLACE;
    } else if (packed === undefined && rows < PACK_ROWS) {
      this.fixed.set(W.data, false);
      return IN_PLACE;
    }
    const panels = this.kernelPanels(W.data);
    if (panels === undefined) return IN_PLACE; // the heap is full: not kept, so a later product may try again
    this.fixed?.set(W.data, true);
    return { panels: panels.byteOffset, panelRows: W.rows, pack: packed !== true };
  }

  /**
   * x's entries for its weight gradient: the last scan's when that scan was of x (the layer's affine
   * of this step; x is the input the layer saved, unchanged since), so a step scans its batch once;
   * else x is scanned again.
   */
  private entriesAgain(x: Matrix): Entries | undefined {
    const e = this.entries;
    return this.scanned === x.data && e?.rows === x.rows && e.cols === x.cols ? e : this.sparseEntries(x);
  }

  /** x's non-zero entries row by row when they are few enough to pay for a sparse product, else undefined. */
  private sparseEntries(x: Matrix): Entries | undefined {
    const size = x.rows * x.cols;
    if (size === 0 || !this.simdFor(x.data)) return undefined;
    const skip = this.dense.get(x.data) ?? 0;
    if (skip > 0) {
      this.dense.set(x.data, skip - 1);
      return undefined;
    }
    // Few enough: at most `limit`. The scan stops in the row that passes it, so it needs room for one row more.
    const limit = entryLimit(x.rows, x.cols), room = limit + x.cols;
    let e = this.entries;
    if (e === undefined || e.idx.length < room || e.pos.length < x.cols || e.starts.length < x.rows + 1) {
      const most = Math.max(room, e?.idx.length ?? 0), cols = Math.max(x.cols, e?.pos.length ?? 0), rows = Math.max(x.rows, (e?.starts.length ?? 1) - 1);
      const starts = heapInt32(rows + 1), idx = heapInt32(most), pos = heapInt32(cols), cStarts = heapInt32(cols + 1), cIdx = heapInt32(most);
      if (!starts || !idx || !pos || !cStarts || !cIdx) return undefined;
      e = this.entries = { count: 0, rows: 0, cols: 0, starts, idx, vals: allocFloat32(most), pos, cStarts, cIdx, cVals: allocFloat32(most) };
      if (!inHeap(e.vals) || !inHeap(e.cVals)) return (this.entries = undefined);
    }
    this.scanned = undefined;
    e.count = this.simd.sparseRows(x.data.byteOffset, x.rows, x.cols, e.starts.byteOffset, e.idx.byteOffset, e.vals.byteOffset, limit);
    e.rows = x.rows;
    e.cols = x.cols;
    if (e.count <= limit) {
      this.scanned = x.data;
      return e;
    }
    this.dense.set(x.data, DENSE_RESCAN);
    return undefined;
  }

  /** One SIMD pass over x, row by row (wasm/columns.ts): the same list as the loop */
  protected override countNonzeroColumns(x: Matrix, out: Int32Array): number {
    const c = x.cols;
    if ((this.columnScratch?.length ?? 0) < c) this.columnScratch = heapInt32(c);
    if (this.columnScratch === undefined || out.length < c || !this.simdFor(x.data, out)) return super.countNonzeroColumns(x, out);
    return this.simd.nonzeroColumns(x.data.byteOffset, x.rows, c, this.columnScratch.byteOffset, out.byteOffset);
  }

  /** z += b in the SIMD epilogue (wasm/epilogue.ts) */
  protected override addBias(z: Matrix, b: Matrix): void {
    if (!this.simdFor(z.data, b.data)) return super.addBias(z, b);
    this.simd.biasActivation(z.data.byteOffset, z.cols, z.rows, z.cols, b.data.byteOffset, 0);
  }

  override columnSums(out: Matrix, x: Matrix): void {
    if (!this.simdFor(out.data, x.data)) return super.columnSums(out, x);
    this.simd.sumRows(out.data.byteOffset, x.data.byteOffset, x.rows, x.cols);
  }

  override sigmoidBackward(dx: Float32Array, dy: Float32Array, y: Float32Array): void {
    if (!this.simdFor(dx, dy, y)) return super.sigmoidBackward(dx, dy, y);
    this.simd.sigmoidBackward(dx.byteOffset, dy.byteOffset, y.byteOffset, dy.length);
  }

  override relu(y: Float32Array, x: Float32Array): void {
    if (!this.simdFor(y, x)) return super.relu(y, x);
    this.simd.reluForward(y.byteOffset, x.byteOffset, x.length);
  }

  /** SIMD lanes (wasm/pointwise.ts); the draws compared with the least kept one, an integer: ⌈rate · 2³²⌉ */
  override dropout(y: Float32Array, mask: Float32Array, x: Float32Array, draws: Uint32Array, rate: number, scale: number): void {
    const least = Math.ceil(rate * UINT32_RANGE);
    if (least > 0xffffffff || !this.simdFor(y, mask, x, draws)) return super.dropout(y, mask, x, draws, rate, scale);
    this.simd.dropout(y.byteOffset, mask.byteOffset, x.byteOffset, draws.byteOffset, x.length, least, scale);
  }

  override reluBackward(dx: Float32Array, dy: Float32Array, y: Float32Array): void {
    if (!this.simdFor(dx, dy, y)) return super.reluBackward(dx, dy, y);
    this.simd.reluBackward(dx.byteOffset, dy.byteOffset, y.byteOffset, dy.length);
  }

  /**
   * out's rows = src's rows listed in index[from …] (ops.ts: gatherRows): split between threads when
   * large, else one call into WebAssembly (wasm/gather.ts, which gives its speed) when the three live
   * in the heap and out is apart from src. A row number outside src: the loop's way.
   */
  gatherRows(out: Matrix, src: Matrix, index: Int32Array, from: number): void {
    if (splitGather(out, src, index, from)) return;
    const n = out.rows, c = src.cols, o = out.data, s = src.data;
    const fits = from >= 0 && from + n <= index.length && o.length >= n * c && apart(o, s);
    if (fits && inHeap(o) && inHeap(s) && inHeap(index)) {
      if (this.simd.gatherRows(o.byteOffset, s.byteOffset, index.byteOffset + 4 * from, n, c, src.rows) === n) return;
    }
    gatherRows(out, src, index, from);
  }

  /** The seeded generator's draws as WebAssembly (heap-draws.ts), with random.ts's bits */
  uniform(out: Float32Array, lo: number, hi: number): void {
    this.draws.uniform(out, lo, hi);
  }

  shuffle(a: Int32Array): void {
    this.draws.shuffle(a);
  }

  /** x − x is 0 exactly when x is finite: one SIMD pass (wasm/finite.ts) */
  override allFinite(a: Float32Array): boolean {
    return this.simdFor(a) ? this.simd.allFinite(a.byteOffset, a.length) : super.allFinite(a);
  }
}
