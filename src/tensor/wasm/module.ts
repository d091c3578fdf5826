/**
 * The WebAssembly SIMD module: the wasm backend's products and passes,
 * written byte by byte from this TypeScript (binary.ts), compiled by the
 * JavaScript engine, and run on matrices that live in one WebAssembly.Memory
 * (the heap).
 *
 * Writing the module takes the engine ~60-100 ms of cold JavaScript, a
 * fresh process's whole first fit over again; so the bytes purenn uses (shared
 * memory, default options) are kept written out in module-bytes.ts, and a
 * test checks that they are exactly what this code writes
 * (`npx tsx src/tensor/wasm/write-module-bytes.node.ts` writes them anew).
 *
 *   C(i, j) = Σ_{q<k} A(i, kk(q)) · B(kk(q), j)        kk(q) = ks ? ks[q] : q
 *   A(i, p) = transA ? a[p·lda + r(i)] : a[r(i)·lda + p]     r(i) = aRows ? aRows[i] : i
 *   B(p, j) = transB ? b[j·ldb + p]    : b[p·ldb + j]
 *
 * computed for a block i ∈ [i0, i1), j ∈ [j0, j1) of C (row stride ldc), so
 * threads can share a product. It is the same scheme as the js backend's product
 * (../gemm.ts): pack, slice k, register tile — with the tile in v128 registers
 * (microkernel.ts), the packing in SIMD copies and shuffles (pack.ts), and all
 * the loops in WebAssembly (driver.ts), so a product is one call.
 *
 * The pieces:
 *   binary.ts       the module format: sections, LEB128, opcodes
 *   microkernel.ts  the MR x NR tile of f32x4 sums
 *   pack.ts         panels of A and B in the order the tile reads them
 *   driver.ts       the loops over k slices, row blocks and tiles
 *   epilogue.ts     C += bias, then relu, fused
 *   loops.ts        the optimizers' update loops, with JavaScript's bits
 *   sigmoid.ts      1/(1 + exp(−x)) in float64, with (nearly always) JavaScript's bits
 *   finite.ts       whether an array holds only finite numbers
 *   row-update.ts   plain SGD on a gradient held as its non-zero rows
 *   columns.ts      which columns of a batch hold a non-zero value
 *   pointwise.ts    relu forward and backward, sigmoid backward, column sums, dropout
 *   sparse.ts       products that take a mostly-zero input by its non-zero entries
 *   multiply-add.ts a sum's step, s + a·b, fused or not: the same in every product
 *   conv-loops.ts   a convolution's im2col copies, col2im sums, max pooling and its gradient, zeroing
 *   draws.ts        the seeded generator's bulk draws (initial weights, fit's shuffle), with JavaScript's bits
 *
 * Numbers: every C element is a float32 sum in increasing q, each term
 * `s = s + a·b` taken the same way in every product of a module, so its bits
 * do not depend on the tile, the slice, the split of C between threads, or
 * whether the sparse kernels computed it. A module is written in one of two
 * forms (multiply-add.ts): unfused, the product rounded to float32 and then
 * the sum (base SIMD128, every runtime with SIMD); or fused, one
 * f32x4.relaxed_madd, rounded once, where the runtime validates relaxed SIMD
 * (defaultOptions). Against the js backend (float64 sums per slice) results
 * differ by rounding only.
 *
 * All addresses are byte offsets into the memory; ldc, lda, ldb count floats.
 * The memory is imported as env.memory: a module is compiled once for shared
 * memories and once for the others (the import's `shared` flag must match).
 */
import { ModuleWriter } from "./binary.js";
import { emitMicroKernel, emitEdgeTile } from "./microkernel.js";
import { emitPack } from "./pack.js";
import { emitGemm, scratchBytes, type DriverOptions } from "./driver.js";
import { emitBiasActivation } from "./epilogue.js";
import { emitUpdateLoop, type UpdateRule } from "./loops.js";
import { emitSgdRows } from "./row-update.js";
import { emitNonzeroColumns } from "./columns.js";
import { emitSparse, emitSparsePanels } from "./sparse.js";
import { emitPointwise } from "./pointwise.js";
import { emitSigmoid } from "./sigmoid.js";
import { emitAllFinite } from "./finite.js";
import { emitDraws } from "./draws.js";
import { emitConvLoops } from "./conv-loops.js";
import { emitGather } from "./gather.js";
import { wasm, type WasmMemory } from "../webassembly.js";
import { SHARED_MODULE_BASE64, SHARED_FUSED_MODULE_BASE64 } from "./module-bytes.js";

const UPDATE_RULES: UpdateRule[] = ["sgd", "momentum", "nesterov"];

/**
 * The tile and blocking of the unfused module, chosen by measurement on one thread of an AMD EPYC
 * (x86-64: 16 xmm registers, of which V8 allocates 15), Node 20, medians of
 * alternating rounds, GFLOP/s at 128x784x256 (and at 128x32x10, n = 10):
 *   tile (rows x columns)   4x8: 28   3x16: 29   4x16: 32   6x8: 33   4x12: 34 (18)   8x8: 34 (21)
 *   broadcast of A          load32_splat: 30 (4x12)   v128 load + shuffle: 34
 *   steps per iteration     1: 27   2: 35   3: 31   4: 30   (4x12, shuffle)
 *   kc 128 … 512, mc 64 … 256: within 2%, noise
 * 8x8 and 4x12 tie at the large shapes; 8x8 wins on n = 10, and NR = 8
 * divides every other width of the tutorial's network, so a split of C's
 * columns between threads is even. Reading B in place (driver.ts) pays up to
 * 32 rows (+7% at 16, +1% at 32) and costs from 48 on (−3% at 128 rows, −12%
 * at 512³). bench/wasm-module.ts measures the result.
 */
export const UNFUSED_OPTIONS: DriverOptions = {
  tile: { mr: 8, nv: 2, unroll: 2, splat: "shuffle" },
  kc: 256,
  mc: 128,
  directRows: 32,
};

/**
 * The fused module's tile. V8 (Node 20) loads every value a loop body reads
 * before it computes with any of them, so a body's sums, its loaded values and
 * its broadcasts must fit the 15 registers together, or sums go to the stack
 * and back at every step (seen in the machine code, perf annotate). The
 * unfused 8x8 tile spills and gains nothing from fitting (mul and add are two
 * instructions a term either way: 4x8, 2x16 and 8x8 all ran at 14–26 GFLOP/s,
 * within noise of each other); with relaxed_madd a fitting tile pays. Same
 * machine, GFLOP/s, one thread, fused tiles against the unfused 8x8 in one run:
 *   shape              unfused 8x8   fused 4x8, 2 steps   fused 4x8, 1 step   fused 3x12   fused 4x12
 *   128x784x256            23.9            20.7                 33.8             37.0         20.2
 *   128x256x128            25.5            21.1                 34.6             37.8         21.2
 *   10000x256x128          23.4            19.1                 33.3             32.7         19.9
 * Two steps a body or 12 sums do not fit. 4x8 keeps NR = 8 (3x12 would split
 * C's columns unevenly): 8 sums, 2 values of B, a vector of 4 values of A and
 * a broadcast, 12 registers.
 */
export const FUSED_OPTIONS: DriverOptions = {
  tile: { mr: 4, nv: 2, unroll: 1, splat: "shuffle", fused: true },
  kc: 256,
  mc: 128,
  directRows: 32,
};

/** Whether this runtime validates relaxed SIMD's f32x4.relaxed_madd (Node 22+, Chrome 114+; Node 20 with --experimental-wasm-relaxed-simd). */
export function relaxedSimdAvailable(): boolean {
  // The smallest module that uses it: one function, (a, b, c) → a·b + c on three v128.
  const probe = new ModuleWriter({ minimum: 0, shared: false });
  probe.func(["v128", "v128", "v128"], ["v128"]).get(0).get(1).get(2).f32x4RelaxedMadd();
  try {
    return wasm !== undefined && wasm.validate(probe.encode());
  } catch {
    return false;
  }
}

/**
 * PURENN_FMA: "0" keeps the products unfused (each product rounded, then the
 * sum, as the js backend's float32 steps do) where relaxed SIMD would fuse
 * them; "1" (or unset): fused where the runtime validates relaxed SIMD.
 */
export function fusedWanted(): boolean {
  // Read without importing node:process, so the core stays browser-safe.
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.PURENN_FMA;
  if (value === undefined || value === "") return true;
  if (value !== "0" && value !== "1") throw new Error(`PURENN_FMA must be "0" (unfused products) or "1" (fused where the runtime has relaxed SIMD), got ${JSON.stringify(value)}`);
  return value === "1";
}

let chosen: DriverOptions | undefined;

/**
 * The options of the module purenn runs: fused where the runtime validates
 * relaxed SIMD (unless PURENN_FMA=0), else unfused. Decided once, at the first
 * call, so that every module of the process (and its workers, which share the
 * compiled one) has the same form.
 */
export function defaultOptions(): DriverOptions {
  return (chosen ??= fusedWanted() && relaxedSimdAvailable() ? FUSED_OPTIONS : UNFUSED_OPTIONS);
}

const emitted = new Map<string, Uint8Array>();
const moduleKey = (shared: boolean, options: DriverOptions) => JSON.stringify([shared, options]);
/** The variants kept in module-bytes.ts: a shared memory, either form's options. */
const STORED = new Map([
  [moduleKey(true, UNFUSED_OPTIONS), SHARED_MODULE_BASE64],
  [moduleKey(true, FUSED_OPTIONS), SHARED_FUSED_MODULE_BASE64],
]);

/**
 * The module's bytes for a shared or an unshared memory: the stored ones
 * (module-bytes.ts) for a shared memory and either form's options, else
 * written (once per variant, then kept).
 */
export function simdModuleBytes(shared: boolean, options: DriverOptions = defaultOptions()): Uint8Array {
  const key = moduleKey(shared, options);
  let bytes = emitted.get(key);
  if (bytes === undefined) {
    const stored = STORED.get(key);
    bytes = stored !== undefined ? fromBase64(stored) : writeSimdModule(shared, options);
    emitted.set(key, bytes);
  }
  return bytes;
}

/**
 * Base64 to bytes: by Node's Buffer where there is one (a global, nothing imported), else in a
 * plain loop. At a process's first fit the loop took 1.6–1.7 ms for the fused module, as
 * V8 runs it unoptimized 20,000 times, and Buffer 0.1 ms (Uint8Array.from(text, callback),
 * 4.7–4.9 ms).
 */
function fromBase64(base64: string): Uint8Array {
  const buffer = (globalThis as { Buffer?: { from(text: string, encoding: "base64"): Uint8Array } }).Buffer;
  if (buffer !== undefined) return new Uint8Array(buffer.from(base64, "base64"));
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Writes the module, byte by byte. */
export function writeSimdModule(shared: boolean, options: DriverOptions = defaultOptions()): Uint8Array {
  // A shared memory import must state a maximum; 65536 pages (4 GiB) admits any memory.
  const mod = new ModuleWriter(shared ? { minimum: 0, maximum: 65536, shared } : { minimum: 0, shared });
  // The full tile, and the narrower ones (4, 8, … columns) for C's right edge.
  const micros = Array.from({ length: options.tile.nv }, (_, w) => emitMicroKernel(mod, { ...options.tile, nv: w + 1 }));
  const micro = micros[options.tile.nv - 1];
  const edge = emitEdgeTile(mod, options.tile, micros);
  const packA = emitPack(mod, options.tile.mr);
  const packB = emitPack(mod, 4 * options.tile.nv);
  emitGemm(mod, options, { micro, edge, packA, packB });
  emitBiasActivation(mod);
  const [sgd] = UPDATE_RULES.map((rule) => emitUpdateLoop(mod, rule));
  emitSgdRows(mod, sgd);
  emitNonzeroColumns(mod);
  const sparseProduct = emitSparse(mod, options.tile.fused === true);
  emitPointwise(mod);
  emitSigmoid(mod);
  emitAllFinite(mod);
  emitDraws(mod);
  emitSparsePanels(mod, sparseProduct, emitConvLoops(mod));
  emitGather(mod);
  return mod.encode();
}

let available: boolean | undefined;

/**
 * True when this runtime validates the SIMD module for a shared memory
 * (WebAssembly.validate): SIMD, and the threads proposal's shared memory,
 * which the heap always is (heap.ts).
 */
export function wasmSimdAvailable(): boolean {
  if (available === undefined) {
    try {
      available = wasm !== undefined && wasm.validate(simdModuleBytes(true));
    } catch {
      available = false;
    }
  }
  return available;
}

/** Bytes a warm-up (SimdModule.warmUp) writes. */
export const WARM_UP_BYTES = 4096;

/** Bytes of scratch one gemm call needs for its packed panels (for a C block of up to m x n and sum length k). */
export function gemmScratchBytes(m: number, n: number, k: number): number {
  return Math.max(scratchBytes(UNFUSED_OPTIONS, m, n, k), scratchBytes(FUSED_OPTIONS, m, n, k)); // enough for either form's module
}

type Exported = (...args: number[]) => void;
type UniformFn = (out: number, count: number, state: number, lo: number, hi: number) => void;
const compiled = new Map<string, object>();

/**
 * The compiled module for a shared memory, to hand to worker threads
 * (a WebAssembly.Module crosses to a worker whole): each then instantiates it
 * (adoptSharedModule) without writing, validating and compiling it again.
 */
export function sharedModule(): object {
  const key = moduleKey(true, defaultOptions());
  let module = compiled.get(key);
  if (module === undefined) compiled.set(key, (module = new wasm!.Module(simdModuleBytes(true))));
  return module;
}

/** In a worker: uses the caller's compiled module (sharedModule), which this runtime has therefore validated. */
export function adoptSharedModule(module: object): void {
  compiled.set(moduleKey(true, defaultOptions()), module);
  available = true;
}

function isShared(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

export class SimdModule {
  private readonly gemmFn: Exported;
  private readonly biasActivationFn: Exported;
  private readonly updateFns: Record<UpdateRule, Exported>;
  private readonly sgdRowsFn: Exported;
  private readonly nonzeroColumnsFn: (...args: number[]) => number;
  private readonly sparseFns: { rows: (...args: number[]) => number; columns: (...args: number[]) => number; product: Exported; panels: Exported; scatter: Exported };
  private readonly pointwiseFns: Record<"reluForward" | "reluBackward" | "sigmoidBackward" | "sumRows" | "dropout", Exported>;
  private readonly sigmoidFn: Exported;
  private readonly allFiniteFn: (ptr: number, count: number) => number;
  private readonly drawFns: { uniform: UniformFn; shuffle: Exported };
  private readonly gatherFn: (...args: number[]) => number;
  private readonly convFns: Record<"copyRows" | "addRows" | "maxPool" | "scatterAdd" | "zero", Exported>;

  /** Instantiates the emitted module (synchronously) against `memory`, imported as env.memory. */
  constructor(readonly memory: WasmMemory, options: DriverOptions = defaultOptions()) {
    if (wasm === undefined) throw new Error("SimdModule: this runtime has no WebAssembly");
    const shared = isShared(memory);
    const key = moduleKey(shared, options);
    let module = compiled.get(key);
    if (module === undefined) {
      module = new wasm.Module(simdModuleBytes(shared, options));
      compiled.set(key, module);
    }
    const { exports } = new wasm.Instance(module, { env: { memory } });
    this.gemmFn = exports.gemm as Exported;
    this.biasActivationFn = exports.biasActivation as Exported;
    this.updateFns = { sgd: exports.sgd as Exported, momentum: exports.momentum as Exported, nesterov: exports.nesterov as Exported };
    this.sgdRowsFn = exports.sgdRows as Exported;
    this.nonzeroColumnsFn = exports.nonzeroColumns as (...args: number[]) => number;
    this.sparseFns = {
      rows: exports.sparseRows as (...args: number[]) => number,
      columns: exports.sparseColumns as (...args: number[]) => number,
      product: exports.sparseProduct as Exported,
      panels: exports.sparsePanels as Exported,
      scatter: exports.sparseScatter as Exported,
    };
    this.pointwiseFns = {
      reluForward: exports.reluForward as Exported, reluBackward: exports.reluBackward as Exported,
      sigmoidBackward: exports.sigmoidBackward as Exported, sumRows: exports.sumRows as Exported, dropout: exports.dropout as Exported,
    };
    this.sigmoidFn = exports.sigmoid as Exported;
    this.convFns = {
      copyRows: exports.copyRows as Exported, addRows: exports.addRows as Exported,
      maxPool: exports.maxPool as Exported, scatterAdd: exports.scatterAdd as Exported,
      zero: exports.zero as Exported,
    };
    this.allFiniteFn = exports.allFinite as (ptr: number, count: number) => number;
    this.drawFns = { uniform: exports.uniform as UniformFn, shuffle: exports.shuffle as Exported };
    this.gatherFn = exports.gatherRows as (...args: number[]) => number;
  }

  /**
   * C[i, j] for i in [i0, i1), j in [j0, j1) of C = A·B (m x n, sum length k), as
   * defined at the top of this file. Byte offsets: cOff, aOff, bOff, ksOff and
   * aRowsOff (Int32 lists, or −1 for none; with ks, k is ks's length), scratchOff
   * (gemmScratchBytes(m, n, k) bytes this call may overwrite; one per thread).
   * ldc, lda, ldb are row strides in floats. C is overwritten, not added to.
   */
  gemm(
    cOff: number, ldc: number, aOff: number, lda: number, transA: boolean, bOff: number, ldb: number, transB: boolean,
    m: number, n: number, k: number, i0: number, i1: number, j0: number, j1: number,
    ksOff: number, aRowsOff: number, scratchOff: number,
  ): void {
    if (!(0 <= i0 && i0 <= i1 && i1 <= m && 0 <= j0 && j0 <= j1 && j1 <= n && k >= 0)) {
      throw new Error(`SimdModule.gemm: block [${i0}, ${i1}) x [${j0}, ${j1}) is not inside C [${m}, ${n}] (k ${k})`);
    }
    this.gemmFn(cOff, ldc, aOff, lda, transA ? 1 : 0, bOff, ldb, transB ? 1 : 0, k, i0, i1, j0, j1, ksOff, aRowsOff, scratchOff);
  }

  /** C[i, j] += bias[j] (when biasOff >= 0), then relu when activation is 1; C: rows x cols at cOff, row stride ldc. */
  biasActivation(cOff: number, ldc: number, rows: number, cols: number, biasOff: number, activation: 0 | 1): void {
    this.biasActivationFn(cOff, ldc, rows, cols, biasOff, activation);
  }

  /**
   * An optimizer update over elements [start, end) of float32 arrays at byte
   * offsets w, g, v (v unused by "sgd"), with the bits of the JavaScript loop
   * (loops.ts): sgd w −= lr·g; momentum and nesterov with velocity v and m.
   */
  update(rule: UpdateRule, w: number, g: number, v: number, start: number, end: number, lr: number, m: number): void {
    this.updateFns[rule](w, g, v, start, end, lr, m);
  }

  /**
   * Plain SGD on a gradient held as rows, columns [j0, j1) (row-update.ts):
   * W(cols[q], j) −= lr·G(q, j) for q < count; w, g, cols are byte offsets, W and G rows `width` floats.
   */
  sgdRows(w: number, g: number, cols: number, count: number, width: number, j0: number, j1: number, lr: number): void {
    this.sgdRowsFn(w, g, cols, count, width, j0, j1, lr);
  }

  /**
   * The columns of the n x c floats at x that hold a non-zero value, written
   * increasing as int32 at `out`; returns how many (columns.ts). `any` is scratch for c int32.
   */
  nonzeroColumns(x: number, n: number, c: number, any: number, out: number): number {
    return this.nonzeroColumnsFn(x, n, c, any, out);
  }

  // Products with a sparse left operand (sparse.ts): int32 and float32 arrays at byte offsets.

  /**
   * S = the n x c floats at x, its non-zero entries row by row: starts (n + 1), idx and vals; → how many.
   * Past `limit` entries it stops at the end of the row and returns a count above limit (idx and
   * vals need room for limit + c; starts is then incomplete).
   */
  sparseRows(x: number, n: number, c: number, starts: number, idx: number, vals: number, limit: number): number {
    return this.sparseFns.rows(x, n, c, starts, idx, vals, limit);
  }

  /**
   * The same entries column by column, for the u columns that have any (returned):
   * cols (u, increasing), cStarts (u + 1), cIdx (S's row numbers) and cVals; pos is scratch for c int32.
   */
  sparseColumns(n: number, c: number, starts: number, idx: number, vals: number, pos: number, cols: number, cStarts: number, cIdx: number, cVals: number): number {
    return this.sparseFns.columns(n, c, starts, idx, vals, pos, cols, cStarts, cIdx, cVals);
  }

  /**
   * C = Sᵀ·B from S's entries row by row: C's cRows rows, columns [j0, j1) set to 0, then
   * C(idx[q], j) += vals[q] · B(i, j) for i < rows and row i's entries q; ldc, ldb in floats
   */
  sparseScatter(c: number, ldc: number, cRows: number, starts: number, idx: number, vals: number, rows: number, b: number, ldb: number, j0: number, j1: number): void {
    this.sparseFns.scatter(c, ldc, cRows, starts, idx, vals, rows, b, ldb, j0, j1);
  }

  /** C(i, j) = Σ_q vals[q] · B(idx[q], j) over row i's entries, for i < rows and j in [j0, j1); ldc, ldb in floats */
  sparseProduct(c: number, ldc: number, starts: number, idx: number, vals: number, rows: number, b: number, ldb: number, j0: number, j1: number): void {
    this.sparseFns.product(c, ldc, starts, idx, vals, rows, b, ldb, j0, j1);
  }

  /**
   * The same product with B read from panels of SPARSE_BLOCK_COLUMNS columns at byte offset `panels`
   * (panelRows rows each, panel of column j at panels + 4·j·panelRows), packed from B first when `pack`
   * (sparse.ts: sparsePanels; j0 a multiple of SPARSE_BLOCK_COLUMNS)
   */
  sparsePanels(
    c: number, ldc: number, starts: number, idx: number, vals: number, rows: number, b: number, ldb: number,
    panels: number, panelRows: number, j0: number, j1: number, pack: boolean,
  ): void {
    this.sparseFns.panels(c, ldc, starts, idx, vals, rows, b, ldb, panels, panelRows, j0, j1, pack ? 1 : 0);
  }

  // The per-element passes of a training step (pointwise.ts): float32 arrays at byte offsets,
  // `count` elements each, with the bits of the JavaScript loops in layers/activations.ts and ops.ts.

  /** y = x > 0 ? x : 0 */
  reluForward(y: number, x: number, count: number): void {
    this.pointwiseFns.reluForward(y, x, count);
  }

  /** dx = y > 0 ? dy : 0 */
  reluBackward(dx: number, dy: number, y: number, count: number): void {
    this.pointwiseFns.reluBackward(dx, dy, y, count);
  }

  /** mask = draws ≥ least (uint32) ? scale : 0, y = x · mask */
  dropout(y: number, mask: number, x: number, draws: number, count: number, least: number, scale: number): void {
    this.pointwiseFns.dropout(y, mask, x, draws, count, least | 0, scale);
  }

  /** dx = dy · y · (1 − y), in float64 */
  sigmoidBackward(dx: number, dy: number, y: number, count: number): void {
    this.pointwiseFns.sigmoidBackward(dx, dy, y, count);
  }

  /** out[j] = Σ_{i<n} x[i·c + j], in float64: the column sums of an n x c matrix */
  sumRows(out: number, x: number, n: number, c: number): void {
    this.pointwiseFns.sumRows(out, x, n, c);
  }

  /**
   * y[i] = 1 / (1 + exp(−x[i])) for i in [start, end), float32 arrays at byte
   * offsets y and x (y may be x), computed in float64 (sigmoid.ts): within one
   * ulp of the JavaScript loop, and in practice its bits.
   */
  sigmoid(y: number, x: number, start: number, end: number): void {
    this.sigmoidFn(y, x, start, end);
  }

  // The loops around a convolution's products (conv-loops.ts; ../conv-fast.ts calls them).

  /** dst[r·dstStep + t] = src[r·srcStep + t] for r < rows, t < span (floats; dst, src in bytes) */
  copyRows(dst: number, src: number, span: number, rows: number, dstStep: number, srcStep: number): void {
    this.convFns.copyRows(dst, src, span, rows, dstStep, srcStep);
  }

  /** dst[r·dstStep + t] += src[r·srcStep + t], rows in order */
  addRows(dst: number, src: number, span: number, rows: number, dstStep: number, srcStep: number): void {
    this.convFns.addRows(dst, src, span, rows, dstStep, srcStep);
  }

  /**
   * Max pooling of n images (c a multiple of 4; the geometry as in conv-geometry.ts): each window's
   * first maximum per channel, and where it is (conv-loops.ts: maxWindow on every window)
   */
  maxPool(y: number, at: number, x: number, n: number, h: number, w: number, c: number, kh: number, kw: number,
    sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number): void {
    this.convFns.maxPool(y, at, x, n, h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow);
  }

  /** dx[at[o]] += dy[o], o < count */
  scatterAdd(dx: number, dy: number, at: number, count: number): void {
    this.convFns.scatterAdd(dx, dy, at, count);
  }

  /** count floats at dst set to +0 (memory.fill) */
  zero(dst: number, count: number): void {
    this.convFns.zero(dst, count);
  }

  /**
   * Calls every function of the module once on a tiny problem inside the
   * WARM_UP_BYTES at byte offset `at` (which it overwrites). V8 compiles a
   * WebAssembly function on its first call, in the thread that calls it: a
   * thread warmed up before its first job never compiles in the middle of one
   * (threads.node.ts).
   */
  warmUp(at: number): void {
    const a = at, b = at + 256, c = at + 512, v = at + 768, ints = at + 1024, scratch = at + 2048;
    new Int32Array(this.memory.buffer, ints, 8).set([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const [transA, transB] of [[false, false], [true, true]]) this.gemm(c, 8, a, 8, transA, b, 8, transB, 8, 8, 8, 0, 8, 0, 8, -1, -1, scratch);
    this.gemm(c, 8, a, 8, false, b, 8, false, 8, 8, 8, 0, 8, 0, 8, ints, ints, scratch);
    this.biasActivation(c, 8, 8, 8, b, 1);
    for (const rule of UPDATE_RULES) this.update(rule, a, b, v, 0, 64, 0, 0);
    this.sgdRows(a, b, ints, 8, 8, 0, 8, 0);
    this.nonzeroColumns(a, 8, 8, ints + 64, ints + 128);
    // a's first 2 rows of 8 as entries: starts (3), idx and vals (≤ 16 each), then the column form; 64 bytes a list
    const starts = ints + 64, idx = ints + 128, vals = ints + 256;
    this.sparseRows(a, 2, 8, starts, idx, vals, 16);
    this.sparseColumns(2, 8, starts, idx, vals, ints + 384, ints + 512, ints + 576, ints + 640, ints + 704);
    this.sparseProduct(c, 45, starts, idx, vals, 2, b, 45, 0, 45); // 24 + 16 + 4 + 1 columns: every loop
    this.sparsePanels(c, 45, starts, idx, vals, 2, b, 45, scratch, 8, 0, 45, true); // two panels (24, 21), packed
    this.sparseScatter(scratch, 21, 8, starts, idx, vals, 2, b, 21, 0, 21); // 16 + 4 + 1 columns: every loop
    this.reluForward(c, a, 64);
    this.reluBackward(c, a, b, 64);
    this.dropout(c, v, a, b, 7, 1 << 30, 2); // a vector and three floats
    this.sigmoidBackward(c, a, b, 64);
    this.sumRows(c, a, 8, 8);
    this.sigmoid(c, a, 0, 64);
    this.allFinite(a, 64);
    this.copyRows(c, a, 7, 2, 8, 8); // a vector and three floats a row
    this.addRows(c, a, 7, 2, 8, 8);
    this.maxPool(v, scratch, a, 1, 2, 2, 4, 2, 2, 2, 2, 0, 0, 1, 1); // one 2x2 window of 4 channels
    this.scatterAdd(c, a, ints, 8); // ints hold 0 … 7: indices into c
    this.zero(scratch, 8);
    this.uniform(c, 4, ints + 768, 0, 1); // after the lists above: it writes a state there
    this.shuffle(ints, 8, ints + 768);
    this.gatherRows(c, a, ints, 2, 21, 3); // ints hold 0 … 7; rows 0 and 1 of a, 21 floats each (a vector loop and a float loop)
  }

  /**
   * out[i] = lo + (hi − lo) · u for i < count, u the next draws / 2³² of the generator whose four
   * state words are at byte offset `state` (written back after): random.ts's fillUniform (draws.ts)
   */
  uniform(out: number, count: number, state: number, lo: number, hi: number): void {
    this.drawFns.uniform(out, count, state, lo, hi);
  }

  /** The n int32 values at byte offset a shuffled (Fisher–Yates) with that generator's draws: random.ts's shuffle (draws.ts) */
  shuffle(a: number, n: number, state: number): void {
    this.drawFns.shuffle(a, n, state);
  }

  /**
   * dst's row r = src's row index[r] (rows of span floats) for r < count, stopping at the first
   * row number outside [0, srcRows); returns how many rows it copied (gather.ts). Byte offsets.
   */
  gatherRows(dst: number, src: number, index: number, count: number, span: number, srcRows: number): number {
    return this.gatherFn(dst, src, index, count, span, srcRows);
  }

  /** Whether the `count` float32 values at byte offset ptr are all finite (no NaN, no ±Infinity); finite.ts. */
  allFinite(ptr: number, count: number): boolean {
    return this.allFiniteFn(ptr, count) === 1;
  }
}
