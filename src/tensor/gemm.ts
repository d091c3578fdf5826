/**
 * gemm: the js backend's product (js-backend.ts), behind matmul, matmulTransA
 * and matmulTransB.
 *
 *   C = A · B        A: (m, k)   B: (k, n)   C: (m, n)
 *   where A is a or aᵀ, and B is b or bᵀ, chosen by the flags.
 *
 * It computes exactly what `matmulNaive` defines, with one trick in three
 * steps (the GotoBLAS / BLIS scheme):
 *
 *   1. Pack. A is copied into row panels MR rows tall and B into column panels
 *      NR columns wide, each stored p-major, so the inner loop reads both from
 *      consecutive addresses. Transposition happens here, once, while copying:
 *      the three forms differ only in how they are packed. Panels are padded
 *      with zeros to a whole MR or NR, so the inner loop has no edge cases.
 *
 *        Ap[(panel·k + p)·MR + r] = A(panel·MR + r, p)
 *        Bp[(panel·k + p)·NR + c] = B(p, panel·NR + c)
 *
 *   2. Block over k. The sum over p is cut into slices of KC, so one B micro-
 *      panel (KC x NR) stays in L1 while every A panel streams past it from L2.
 *
 *   3. Register tile. The micro-kernel keeps an MR x NR block of C in local
 *      variables (registers) for a whole k slice: per step p it loads MR + NR
 *      values and does MR·NR multiply-adds. It then adds the block into C,
 *      writing only the rows and columns that exist (the edge path).
 *
 * Sums are in float64 within a k slice and rounded to float32 when stored.
 * The scratch panels are allocated once and grow only when a larger product
 * comes along: nothing is allocated per call. Large products can be split
 * between threads by tile (see GemmExecutor); small ones stay on the caller.
 */
import { allocFloat32 } from "./alloc.js";
import { heapInt32 } from "./heap.js";
import type { Matrix } from "./matrix.js";

/** Register tile: MR rows x NR columns of C held in locals. */
export const MR = 4;
export const NR = 4;
/** Slice of the k sum kept hot in cache. */
const KC = 256;

const edgeTile = new Float64Array(MR * NR);

/**
 * One product, as the executors see it: C (m x n, row stride n) = A · B with
 *   A(i, p) = transA ? a[p·lda + r(i)] : a[r(i)·lda + p]     r(i) = aRows ? aRows[i] : i
 *   B(p, j) = transB ? b[j·ldb + p]    : b[p·ldb + j]
 * and the sum over p running through ks when given (see Selection).
 */
export interface GemmProblem {
  c: Float32Array; a: Float32Array; b: Float32Array;
  lda: number; ldb: number; transA: boolean; transB: boolean;
  m: number; n: number; k: number;
  ks?: Int32Array; aRows?: Int32Array;
}

/**
 * Who computes large products. The default is the calling thread alone;
 * `threads.node.ts` installs an executor that splits the product between
 * worker threads (setThreads). It may decline (workers still starting,
 * operands outside the shared heap): the caller then computes it alone.
 */
export interface GemmExecutor {
  /** Only products of at least this many floating-point operations are offered. */
  readonly minFlops: number;
  /** `simd`: use the WebAssembly module (every operand is then in the heap). */
  run(problem: GemmProblem, simd: boolean): boolean;
}

let executor: GemmExecutor | undefined;
let packedA: Float32Array = new Float32Array(0);
let packedB: Float32Array = new Float32Array(0);

/** Installs (or, with undefined, removes) a multi-threaded executor. */
export function setGemmExecutor(e: GemmExecutor | undefined): void {
  executor = e;
}

/** The multi-threaded executor, if one is installed (the wasm backend offers it its products too). */
export function getGemmExecutor(): GemmExecutor | undefined {
  return executor;
}

/**
 * Optional index lists that narrow the product (for inputs with all-zero columns):
 *   ks:    the sum runs over p ∈ ks only          C(i, j) = Σ_{q} A(i, ks[q]) · B(ks[q], j)
 *   aRows: C's row i is A's row aRows[i]            (C has aRows.length rows)
 */
export interface Selection {
  ks?: Int32Array;
  aRows?: Int32Array;
}

/**
 * out = A · B with A = a or aᵀ and B = b or bᵀ (the flags), narrowed by `sel`,
 * on the packed tiles below; split between threads when an executor is
 * installed and the product is large enough.
 */
export function gemm(out: Matrix, a: Matrix, b: Matrix, transA: boolean, transB: boolean, sel: Selection = {}): void {
  const m = out.rows;
  const n = out.cols;
  const k = sel.ks ? sel.ks.length : transA ? a.rows : a.cols;
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.data.fill(0);
    return;
  }
  const problem: GemmProblem = {
    c: out.data, a: a.data, b: b.data, lda: a.cols, ldb: b.cols, transA, transB, m, n, k, ks: sel.ks, aRows: sel.aRows,
  };
  if (executor !== undefined && 2 * m * n * k >= executor.minFlops && executor.run(problem, false)) return;
  const [pa, pb] = panelCounts(m, n);
  if (packedA.length < pa * k * MR) packedA = allocFloat32(pa * k * MR);
  if (packedB.length < pb * k * NR) packedB = allocFloat32(pb * k * NR);
  packA(packedA, 0, problem, 0, pa);
  packB(packedB, 0, problem, 0, pb);
  gemmTiles(out.data, 0, problem, packedA, 0, 0, pa, packedB, 0, 0, pb);
}

let indexLists: Int32Array | undefined;

/**
 * Copies a product's index lists (ks, then aRows) into the heap, where the
 * SIMD module and worker threads read them; returns their offsets in int32
 * units (−1 for a list that is absent), or undefined if the heap is full.
 * One buffer serves every product: products run one after another.
 */
export function indexListsInHeap(g: GemmProblem): [number, number] | undefined {
  const ksLength = g.ks?.length ?? 0;
  const length = ksLength + (g.aRows?.length ?? 0);
  if (length === 0) return [-1, -1];
  if ((indexLists?.length ?? 0) < length) indexLists = heapInt32(Math.max(length, 1024));
  if (indexLists === undefined || indexLists.length < length) return undefined;
  const base = indexLists.byteOffset / 4;
  if (g.ks) indexLists.set(g.ks);
  if (g.aRows) indexLists.set(g.aRows, ksLength);
  return [g.ks ? base : -1, g.aRows ? base + ksLength : -1];
}

/** The tile grid: MR-row panels of A and NR-column panels of B. */
export function panelCounts(m: number, n: number): [number, number] {
  return [Math.ceil(m / MR), Math.ceil(n / NR)];
}

/** Packs A's row panels [ip0, ip1) at dst[at..]: dst[at + ((ip − ip0)·k + p)·MR + r] = A(ip·MR + r, p). */
export function packA(dst: Float32Array, at: number, g: GemmProblem, ip0: number, ip1: number): void {
  packPanels(dst, at, g.a, g.lda, g.m, ip0 * MR, ip1 * MR, g.k, !g.transA, g.aRows, g.ks);
}

/** Packs B's column panels [jp0, jp1) at dst[at..]: dst[at + ((jp − jp0)·k + p)·NR + c] = B(p, jp·NR + c). */
export function packB(dst: Float32Array, at: number, g: GemmProblem, jp0: number, jp1: number): void {
  // B (k x n) is packed as the rows of Bᵀ, which is row-major exactly when B is stored transposed.
  packPanels(dst, at, g.b, g.ldb, g.n, jp0 * NR, jp1 * NR, g.k, g.transB, undefined, g.ks);
}

/**
 * C tiles for A panels [ip0, ip1) x B panels [jp0, jp1), from packed operands:
 * ap holds A's panels from panel apFirst on, starting at ap[apAt]; likewise bp.
 * C(i, j) is c[cAt + i·n + j]. Every tile is summed in the same order whichever
 * thread computes it, so a split between threads changes no bit of the result.
 */
export function gemmTiles(
  c: Float32Array, cAt: number, g: GemmProblem,
  ap: Float32Array, apAt: number, ip0: number, ip1: number,
  bp: Float32Array, bpAt: number, jp0: number, jp1: number,
): void {
  const { m, n, k } = g;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    const accumulate = p0 > 0;
    for (let jp = jp0; jp < jp1; jp++) {
      const bOff = bpAt + ((jp - jp0) * k + p0) * NR;
      for (let ip = ip0; ip < ip1; ip++) {
        const aOff = apAt + ((ip - ip0) * k + p0) * MR;
        microKernel(c, cAt, m, n, ip * MR, jp * NR, ap, aOff, bp, bOff, kc, accumulate);
      }
    }
  }
}

/**
 * Packs rows [i0, i1) of S (rows x k; i0 a multiple of 4) into 4-row panels, p-major:
 *   dst[at + ((i − i0)/4·k + p)·4 + i%4] = S(i, p)
 * S is stored row-major (S(i, p) = src[i·ld + p]) or column-major (S(i, p) = src[p·ld + i]).
 * With index lists, S's row i is stored row rowIdx[i] and its column p is stored column kIdx[p].
 * Rows at or past `rows` are packed as zeros. (MR = NR = 4.)
 */
function packPanels(
  dst: Float32Array, at: number, src: Float32Array, ld: number, rows: number, i0: number, i1: number, k: number,
  rowMajor: boolean, rowIdx?: Int32Array, kIdx?: Int32Array,
): void {
  const end = Math.min(i1, rows);
  const whole = end - ((end - i0) % 4); // rows in whole panels end here
  const row = (i: number) => (rowIdx ? rowIdx[i] : i);
  if (rowMajor) {
    // Four rows of S side by side, panel after panel.
    for (let i = i0, off = at; i < whole; i += 4) {
      const r0 = row(i) * ld, r1 = row(i + 1) * ld, r2 = row(i + 2) * ld, r3 = row(i + 3) * ld;
      for (let q = 0; q < k; q++, off += 4) {
        const p = kIdx ? kIdx[q] : q;
        dst[off] = src[r0 + p]; dst[off + 1] = src[r1 + p]; dst[off + 2] = src[r2 + p]; dst[off + 3] = src[r3 + p];
      }
    }
  } else {
    // Each stored row (one p) is read once, in order, and dealt out four values per panel.
    const panelStride = 4 * k;
    for (let q = 0; q < k; q++) {
      const base = (kIdx ? kIdx[q] : q) * ld;
      for (let i = i0, off = at + q * 4; i < whole; i += 4, off += panelStride) {
        if (rowIdx) {
          dst[off] = src[base + rowIdx[i]]; dst[off + 1] = src[base + rowIdx[i + 1]];
          dst[off + 2] = src[base + rowIdx[i + 2]]; dst[off + 3] = src[base + rowIdx[i + 3]];
        } else {
          dst[off] = src[base + i]; dst[off + 1] = src[base + i + 1]; dst[off + 2] = src[base + i + 2]; dst[off + 3] = src[base + i + 3];
        }
      }
    }
  }
  if (whole >= i1) return;
  // The last, partial panel: rows past the end of S are zeros.
  for (let q = 0, off = at + ((whole - i0) / 4) * k * 4; q < k; q++) {
    const p = kIdx ? kIdx[q] : q;
    for (let r = 0; r < 4; r++, off++) {
      const i = whole + r;
      dst[off] = i >= rows ? 0 : rowMajor ? src[row(i) * ld + p] : src[p * ld + row(i)];
    }
  }
}

/**
 * C[i0.., j0..] (+)= Σ_{p < kc} Ap[p][r] · Bp[p][c] over a 4 x 4 tile.
 * The 16 sums live in locals; the edge path stores only rows < m, cols < n.
 */
function microKernel(
  c: Float32Array, cAt: number, m: number, n: number, i0: number, j0: number,
  ap: Float32Array, aOff: number, bp: Float32Array, bOff: number, kc: number, accumulate: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0, ai = aOff, bi = bOff; p < kc; p++, ai += 4, bi += 4) {
    const a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
    const b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (i0 + 4 <= m && j0 + 4 <= n) {
    // Full tile: four rows of four, no bounds to test.
    const at = cAt + i0 * n + j0;
    storeRow(c, at, c00, c01, c02, c03, accumulate);
    storeRow(c, at + n, c10, c11, c12, c13, accumulate);
    storeRow(c, at + 2 * n, c20, c21, c22, c23, accumulate);
    storeRow(c, at + 3 * n, c30, c31, c32, c33, accumulate);
    return;
  }
  // Edge tile: the last rows or columns of C, fewer than 4 of them.
  const tile = edgeTile;
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
  tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
  tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
  for (let r = 0; r < 4 && i0 + r < m; r++) {
    for (let col = 0; col < 4 && j0 + col < n; col++) {
      const idx = cAt + (i0 + r) * n + j0 + col;
      c[idx] = accumulate ? c[idx] + tile[r * 4 + col] : tile[r * 4 + col];
    }
  }
}

function storeRow(
  c: Float32Array, at: number, v0: number, v1: number, v2: number, v3: number, accumulate: boolean,
): void {
  if (accumulate) {
    c[at] += v0; c[at + 1] += v1; c[at + 2] += v2; c[at + 3] += v3;
  } else {
    c[at] = v0; c[at + 1] = v1; c[at + 2] = v2; c[at + 3] = v3;
  }
}
