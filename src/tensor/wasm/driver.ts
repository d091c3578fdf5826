/**
 * The gemm driver: the loops around the register tile (the GotoBLAS / BLIS
 * scheme, as in ../gemm.ts), emitted as one WebAssembly function so that a
 * product costs one call from JavaScript however many tiles it has.
 *
 *   C(i, j) = Σ_{q<k} A(i, kk(q)) · B(kk(q), j)     for i ∈ [i0, i1), j ∈ [j0, j1)
 *
 *   for p0 in 0, kc, 2·kc, … < k                   slices of the sum, as even as can be
 *                                                  with kc ≤ KC terms
 *     pack B's columns [j0, j1) for the slice      (NR-wide panels, kc x NR each)
 *     for ic in i0, i0 + MC, … < i1                block of rows
 *       pack A's rows [ic, ic + MC) for the slice  (MR-tall panels, kc x MR each)
 *       for each B panel (NR columns)              one panel stays in L1 …
 *         for each A panel (MR rows)               … while A's block streams from L2
 *           tile (+)= A panel · B panel            (+= from the second slice on)
 *
 * B read in place: when B is stored row-major and the whole of k is summed
 * (no ks), each row of a B panel is already NR consecutive floats: the tile
 * reads them straight from B with stride ldb and only a last partial panel is
 * packed (with zeros past column j1). Whether that pays is measured in
 * bench/wasm-module.ts: it does for small blocks of rows (`DriverOptions.directRows`),
 * where packing B costs as much as a fair part of the product.
 *
 * Scratch, from a 16-byte aligned start:
 *   zero (16 bytes) | tile (MR·NR floats, for edge tiles) | A block | B slice
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";
import type { TileShape } from "./microkernel.js";

export interface DriverOptions {
  tile: TileShape;
  /** Most terms of the sum per slice (k is cut into the fewest slices of at most kc, evenly). */
  kc: number;
  /** Rows of A per packed block (a multiple of MR). */
  mc: number;
  /** Read a row-major B in place instead of packing it (when no ks) for blocks of at most this many rows. */
  directRows: number;
}

export interface DriverParts {
  micro: FunctionWriter;
  edge: FunctionWriter;
  packA: FunctionWriter;
  packB: FunctionWriter;
}

/** Bytes of scratch for a C block of up to m x n with sum length k. */
export function scratchBytes(o: DriverOptions, m: number, n: number, k: number): number {
  const mr = o.tile.mr, nr = 4 * o.tile.nv;
  const kc = Math.min(o.kc, Math.max(k, 1));
  const rowsA = Math.ceil(Math.min(o.mc, m) / mr) * mr;
  const colsB = Math.ceil(n / nr) * nr;
  return 15 + 16 + 4 * mr * nr + 4 * kc * (rowsA + colsB);
}

/** The driver's locals: parameters 0-15, then its own. */
interface Vars {
  c: number; ldc: number; a: number; lda: number; transA: number; b: number; ldb: number; transB: number;
  k: number; i0: number; i1: number; j0: number; j1: number; ks: number; aRows: number; scratch: number;
  zero: number; tile: number; ap: number; bp: number; nb: number; nFull: number; slice: number;
  p0: number; kc: number; ic: number; ie: number; jp: number; ib: number;
  bPtr: number; bStride: number; cols: number; rows: number; aPtr: number; cPtr: number;
}

const PARAMS = ["c", "ldc", "a", "lda", "transA", "b", "ldb", "transB", "k", "i0", "i1", "j0", "j1", "ks", "aRows", "scratch"] as const;
const LOCALS = ["zero", "tile", "ap", "bp", "nb", "nFull", "slice", "p0", "kc", "ic", "ie", "jp", "ib",
  "bPtr", "bStride", "cols", "rows", "aPtr", "cPtr"] as const;

/** gemm(c, ldc, a, lda, transA, b, ldb, transB, k, i0, i1, j0, j1, ks, aRows, scratch): see module.ts. */
export function emitGemm(mod: ModuleWriter, o: DriverOptions, parts: DriverParts): FunctionWriter {
  const f = mod.func(PARAMS.map(() => "i32"), [], "gemm");
  const v = {} as Vars;
  PARAMS.forEach((name, i) => (v[name] = i));
  for (const name of LOCALS) v[name] = f.local("i32");
  const mr = o.tile.mr, nr = 4 * o.tile.nv;
  const min = minOf(f);

  f.block((done) => {
    f.get(v.i1).get(v.i0).i32LeS().get(v.j1).get(v.j0).i32LeS().i32Or().brIf(done);
    f.get(v.scratch).i32(15).i32Add().i32(-16).i32And().tee(v.zero).v128Zero().v128Store();
    f.get(v.zero).i32(16).i32Add().tee(v.tile).i32(4 * mr * nr).i32Add().set(v.ap);
    // bp = ap + 4 · min(KC, k) · roundUp(min(MC, i1 − i0), MR)
    f.get(v.ap);
    min(() => f.i32(o.kc), () => f.get(v.k));
    min(() => f.i32(o.mc), () => f.get(v.i1).get(v.i0).i32Sub());
    f.i32(mr - 1).i32Add().i32(mr).i32DivU().i32(4 * mr).i32Mul().i32Mul().i32Add().set(v.bp);
    f.get(v.k).i32(0).i32LeS().ifElse(() => {
      zeroBlock(f, v);
      f.br(done);
    });
    f.get(v.j1).get(v.j0).i32Sub().set(v.nb);
    // nFull = (!transB && ks < 0 && i1 − i0 <= directRows) ? floor(nb / NR) · NR : 0   — columns read in place
    f.get(v.nb).i32(nr).i32DivU().i32(nr).i32Mul().i32(0);
    f.get(v.transB).i32Eqz().get(v.ks).i32(0).i32LtS().i32And();
    f.get(v.i1).get(v.i0).i32Sub().i32(o.directRows).i32LeS().i32And().select().set(v.nFull);
    // slice = ceil(k / ceil(k / KC)): the fewest slices of at most KC terms, of even length.
    f.get(v.k).get(v.k).i32(o.kc - 1).i32Add().i32(o.kc).i32DivU().tee(v.slice);
    f.i32Add().i32(1).i32Sub().get(v.slice).i32DivU().set(v.slice);

    f.forLoop(v.p0, () => f.i32(0), () => f.get(v.k), { local: v.slice }, () => {
      min(() => f.get(v.slice), () => f.get(v.k).get(v.p0).i32Sub());
      f.set(v.kc);
      // pack(dst, src, ld, rowMajor, ks, rowIdx, q0, kc, r0, r1, zero)
      f.get(v.bp).get(v.b).get(v.ldb).get(v.transB).get(v.ks).i32(-1).get(v.p0).get(v.kc);
      f.get(v.j0).get(v.nFull).i32Add().get(v.j1).get(v.zero).call(parts.packB);
      f.forLoop(v.ic, () => f.get(v.i0), () => f.get(v.i1), o.mc, () => {
        min(() => f.get(v.ic).i32(o.mc).i32Add(), () => f.get(v.i1));
        f.set(v.ie);
        f.get(v.ap).get(v.a).get(v.lda).get(v.transA).i32Eqz().get(v.ks).get(v.aRows).get(v.p0).get(v.kc);
        f.get(v.ic).get(v.ie).get(v.zero).call(parts.packA);
        emitTiles(f, v, o, parts);
      });
    });
  });
  return f;
}

/** The tiles of one row block and one slice: B panels outside, A panels inside. */
function emitTiles(f: FunctionWriter, v: Vars, o: DriverOptions, parts: DriverParts): void {
  const mr = o.tile.mr, nr = 4 * o.tile.nv;
  const min = minOf(f);
  f.forLoop(v.jp, () => f.i32(0), () => f.get(v.nb), nr, () => {
    min(() => f.i32(nr), () => f.get(v.nb).get(v.jp).i32Sub());
    f.set(v.cols);
    f.get(v.jp).get(v.nFull).i32LtS().ifElse(
      () => { // B in place: B(p0, j0 + jp), one row every ldb floats
        f.get(v.b).get(v.p0).get(v.ldb).i32Mul().get(v.j0).i32Add().get(v.jp).i32Add().i32(4).i32Mul().i32Add().set(v.bPtr);
        f.get(v.ldb).i32(4).i32Mul().set(v.bStride);
      },
      () => { // packed panel (jp − nFull) / NR, kc x NR floats each
        f.get(v.bp).get(v.jp).get(v.nFull).i32Sub().get(v.kc).i32Mul().i32(4).i32Mul().i32Add().set(v.bPtr);
        f.i32(4 * nr).set(v.bStride);
      },
    );
    f.forLoop(v.ib, () => f.get(v.ic), () => f.get(v.ie), mr, () => {
      min(() => f.i32(mr), () => f.get(v.ie).get(v.ib).i32Sub());
      f.set(v.rows);
      f.get(v.ap).get(v.ib).get(v.ic).i32Sub().get(v.kc).i32Mul().i32(4).i32Mul().i32Add().set(v.aPtr);
      f.get(v.c).get(v.ib).get(v.ldc).i32Mul().get(v.j0).i32Add().get(v.jp).i32Add().i32(4).i32Mul().i32Add().set(v.cPtr);
      // micro(a, b, bStride, kc, c, ldc bytes, accumulate = p0 > 0); a block takes no values from outside
      const args = () => {
        f.get(v.aPtr).get(v.bPtr).get(v.bStride).get(v.kc).get(v.cPtr).get(v.ldc).i32(4).i32Mul().get(v.p0).i32(0).i32GtS();
      };
      f.get(v.rows).i32(mr).i32Eq().get(v.cols).i32(nr).i32Eq().i32And().ifElse(
        () => { args(); f.call(parts.micro); },
        () => { args(); f.get(v.rows).get(v.cols).get(v.tile).call(parts.edge); },
      );
    });
  });
}

/** min(x, y) = x < y ? x : y, each operand given as code that pushes it (emitted twice). */
function minOf(f: FunctionWriter): (x: () => void, y: () => void) => void {
  return (x, y) => { x(); y(); x(); y(); f.i32LtS().select(); };
}

/** C(i, j) = 0 on the block (an empty sum). */
function zeroBlock(f: FunctionWriter, v: Vars): void {
  f.forLoop(v.ib, () => f.get(v.i0), () => f.get(v.i1), 1, () => {
    f.forLoop(v.jp, () => f.get(v.j0), () => f.get(v.j1), 1, () => {
      f.get(v.c).get(v.ib).get(v.ldc).i32Mul().get(v.jp).i32Add().i32(4).i32Mul().i32Add().f32(0).f32Store();
    });
  });
}
