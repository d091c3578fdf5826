/**
 * Products with a sparse left operand: the first layer of an MNIST network,
 * whose input images are ~81% black pixels (zeros), does ~5x less work if it
 * multiplies only the pixels that are lit.
 *
 * The sparse operand is given by its non-zero entries, row by row (the
 * "compressed sparse row" form):
 *
 *   row i's entries are q ∈ [starts[i], starts[i+1]):  S(i, idx[q]) = vals[q]
 *
 * and the product is what the dense product computes, with the zero terms left out:
 *
 *   sparseProduct      C(i, j) = Σ_q vals[q] · B(idx[q], j)          (q in row i's entries, increasing)
 *
 * Forward, z = x·W: S = x, B = W. The weight gradient dW = xᵀ·dz uses the same
 * product on the entries of xᵀ, column by column of x (sparseColumns):
 * S = xᵀ restricted to x's non-zero columns, B = dz.
 *
 * Each lane sums its terms in the dense product's order (increasing p, then
 * increasing sample) with the same float32 multiply and add, and a term left
 * out is 0·w, which adds nothing: so the result has the dense product's bits
 * (wasm/microkernel.ts), and a block of columns does not depend on which
 * thread computes it. (Two cases differ. A non-finite weight times an exact 0:
 * the dense product makes it NaN, here it is left out, as the column skipping
 * has always done. And, fused, the sign of a zero: a sum that is +0 plus a
 * product that underflows below the smallest float32 rounds once to −0, which
 * the dense product's next 0·w term turns back into +0 and this one, leaving
 * that term out, keeps; the values are equal.)
 *
 *   sparseRows(x, n, c, starts, idx, vals, limit) → nnz
 *                                                     S = x (n x c floats), its non-zeros row by row;
 *                                                     it stops after the row that takes nnz past limit
 *                                                     (x is then too dense to pay): idx and vals need
 *                                                     room for limit + c, and starts is incomplete
 *   sparseColumns(n, c, starts, idx, vals, pos, cols, cStarts, cIdx, cVals) → u
 *                                                     the same entries column by column, for the u
 *                                                     columns that have any: cols (increasing), cStarts
 *                                                     (u + 1), cIdx (S's row numbers), cVals; pos: c int32 scratch
 *   sparseProduct(c, ldc, starts, idx, vals, rows, b, ldb, j0, j1)
 *                                                     C's columns [j0, j1), for i < rows
 *   sparsePanels(c, ldc, starts, idx, vals, rows, b, ldb, panels, panelRows, j0, j1, pack)
 *                                                     the same, B read from a copy in panels of
 *                                                     SPARSE_BLOCK_COLUMNS columns (../sparse-product.ts:
 *                                                     productColumns), packed from B first when pack ≠ 0:
 *                                                     copyRows then sparseProduct, panel by panel, in one call
 *   sparseScatter(c, ldc, cRows, starts, idx, vals, rows, b, ldb, j0, j1)
 *                                                     C = Sᵀ·B, C's columns [j0, j1) (C has cRows
 *                                                     rows: S's columns), from S's rows:
 *                                                       C(idx[q], j) += vals[q] · B(i, j)
 *                                                     for i < rows, q in row i's entries
 *
 * The scatter form is for Sᵀ·B with B tall and wide (a convolution's weight
 * gradient: B its 15488 windows of 289 values, S the gradient through max
 * pooling). Taking S column by column would visit B's rows in a scattered
 * order, once per block of columns, each row from memory; row by row, B
 * streams through once and the sums (C, a few rows) stay in cache. Each C(o, j)
 * still sums its terms in increasing i, so the bits are those of the dense
 * product Sᵀ·B too.
 *
 * With `fused` (the module's dense kernel multiplies and adds as one
 * f32x4.relaxed_madd, microkernel.ts) every term here is fused too, the last
 * columns' single lanes included: the bits stay the dense product's.
 *
 * A value counts as non-zero when its bits other than the sign are not all 0:
 * −0 is left out like 0, a NaN is kept (it must reach the product).
 * All arguments are byte offsets of int32 or float32 arrays, or counts.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";
import { multiplyAdd, multiplyAddScalar } from "./multiply-add.js";

/**
 * Columns of C per register block: 6 vectors of 4. V8 loads all of an entry's
 * 6 vectors of B before it multiplies any (module.ts: FUSED_OPTIONS), so 6
 * sums, 6 values and the broadcast take 13 of the 15 registers; at 8, two
 * sums went to the stack and back for every entry. GFLOP/s of the done
 * products, one thread, a batch of 128 MNIST images times 784x256, in one run:
 *   vectors          8      7      6      5      4
 *   forward, fused   13.4   15.2   16.9   15.9   14.2
 *   dW, fused        14.8   19.2   20.9   19.4   18.7
 * (unfused, 6 is as fast as 8 or faster). C's columns go 6 vectors at a time,
 * then 4, then 1, then single floats.
 */
const BLOCK = 6;
/** C's columns in one register block of the sparse product: threads split C by whole blocks (thread-protocol.ts). */
export const SPARSE_BLOCK_COLUMNS = 4 * BLOCK;

/** Emits the sparse functions above; returns sparseProduct (emitSparsePanels calls it). */
export function emitSparse(mod: ModuleWriter, fused: boolean): FunctionWriter {
  emitSparseRows(mod);
  emitSparseColumns(mod);
  const product = emitSparseProduct(mod, fused);
  emitSparseScatter(mod, fused);
  return product;
}

function emitSparseRows(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "i32"], ["i32"], "sparseRows");
  const [x, n, c, starts, idx, vals, limit] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local("i32"), j = f.local("i32"), row = f.local("i32"), count = f.local("i32"), bits = f.local("i32");
  const magnitude = [0xff, 0xff, 0xff, 0x7f];
  // Column j + lane of this row: (j + lane, value) is written at the end of the list, and kept
  // (count + 1) when the value is not ±0. No branch: in a quad that has a lit pixel, which of
  // the four are lit is a coin toss, and a mispredicted branch costs more than two stores.
  const take = (lane: number) => {
    f.get(row).get(j).i32(4).i32Mul().i32Add().i32Load(4 * lane).set(bits);
    f.get(idx).get(count).i32(4).i32Mul().i32Add().get(j).i32(lane).i32Add().i32Store();
    f.get(vals).get(count).i32(4).i32Mul().i32Add().get(bits).i32Store();
    f.get(count).get(bits).i32(0x7fffffff).i32And().i32(0).i32Ne().i32Add().set(count);
  };
  f.block((tooMany) => {
    f.forLoop(i, () => f.i32(0), () => f.get(n), 1, () => {
      f.get(starts).get(i).i32(4).i32Mul().i32Add().get(count).i32Store();
      f.get(x).get(i).get(c).i32Mul().i32(4).i32Mul().i32Add().set(row);
      // Four columns at a time: most quads of an image are all black, and one test passes them.
      f.forLoop(j, () => f.i32(0), () => f.get(c).i32(3).i32Sub(), 4, () => {
        f.get(row).get(j).i32(4).i32Mul().i32Add().v128Load();
        f.v128Const([...magnitude, ...magnitude, ...magnitude, ...magnitude]).v128And().v128AnyTrue().ifElse(() => {
          for (let lane = 0; lane < 4; lane++) take(lane);
        });
      });
      f.forLoop(j, () => f.get(j), () => f.get(c), 1, () => take(0));
      f.get(count).get(limit).i32GtS().brIf(tooMany);
    });
    f.get(starts).get(n).i32(4).i32Mul().i32Add().get(count).i32Store();
  });
  f.get(count);
}

function emitSparseColumns(mod: ModuleWriter): void {
  const f = mod.func(Array(10).fill("i32"), ["i32"], "sparseColumns");
  const [n, c, starts, idx, vals, pos, cols, cStarts, cIdx, cVals] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const i = f.local("i32"), j = f.local("i32"), q = f.local("i32"), end = f.local("i32");
  const u = f.local("i32"), running = f.local("i32"), count = f.local("i32"), at = f.local("i32");
  const word = (base: number, index: number) => f.get(base).get(index).i32(4).i32Mul().i32Add();

  // pos[j] = how many entries column j has
  f.forLoop(j, () => f.i32(0), () => f.get(c), 1, () => { word(pos, j).i32(0).i32Store(); });
  f.get(starts).get(n).i32(4).i32Mul().i32Add().i32Load().set(end);
  f.forLoop(q, () => f.i32(0), () => f.get(end), 1, () => {
    word(idx, q).i32Load().set(j);
    word(pos, j); word(pos, j).i32Load().i32(1).i32Add().i32Store();
  });
  // Columns with entries, in order; pos[j] becomes where column j's entries start.
  f.forLoop(j, () => f.i32(0), () => f.get(c), 1, () => {
    word(pos, j).i32Load().set(count);
    f.get(count).ifElse(() => {
      word(cols, u).get(j).i32Store();
      word(cStarts, u).get(running).i32Store();
      f.get(u).i32(1).i32Add().set(u);
    });
    word(pos, j).get(running).i32Store();
    f.get(running).get(count).i32Add().set(running);
  });
  word(cStarts, u).get(running).i32Store();
  // Deal the entries out, rows in increasing order: each column's samples come out increasing.
  f.forLoop(i, () => f.i32(0), () => f.get(n), 1, () => {
    word(starts, i).i32Load(4).set(end);
    f.forLoop(q, () => word(starts, i).i32Load(), () => f.get(end), 1, () => {
      word(idx, q).i32Load().set(j);
      word(pos, j).i32Load().set(at);
      word(cIdx, at).get(i).i32Store();
      word(cVals, at); word(vals, q).i32Load().i32Store();
      word(pos, j).get(at).i32(1).i32Add().i32Store();
    });
  });
  f.get(u);
}

function emitSparseProduct(mod: ModuleWriter, fused: boolean): FunctionWriter {
  const f = mod.func(Array(10).fill("i32"), [], "sparseProduct");
  const [c, ldc, starts, idx, vals, rows, b, ldb, j0, j1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const i = f.local("i32"), jb = f.local("i32"), qp = f.local("i32"), qEnd = f.local("i32");
  const bBase = f.local("i32"), rowBytes = f.local("i32"), bRow = f.local("i32"), cPtr = f.local("i32");
  const splat = f.local("v128"), value = f.local("f32");
  const acc = Array.from({ length: BLOCK }, () => f.local("v128"));
  const sum = f.local("f32");

  f.get(ldb).i32(4).i32Mul().set(rowBytes);
  // For each row of C: its entries' byte range [qp, qEnd) in idx and vals, and where its block of C starts.
  const eachRow = (body: () => void) => {
    f.forLoop(i, () => f.i32(0), () => f.get(rows), 1, () => {
      f.get(starts).get(i).i32(4).i32Mul().i32Add().i32Load().i32(4).i32Mul().set(qp);
      f.get(starts).get(i).i32(4).i32Mul().i32Add().i32Load(4).i32(4).i32Mul().set(qEnd);
      f.get(c).get(i).get(ldc).i32Mul().get(jb).i32Add().i32(4).i32Mul().i32Add().set(cPtr);
      body();
    });
  };
  // while (qp < qEnd) { bRow = B's row idx[q], from column jb; step(); qp += 4 }
  const eachEntry = (step: () => void) => {
    f.block((done) => {
      f.get(qp).get(qEnd).i32GeS().brIf(done);
      f.loop((top) => {
        f.get(idx).get(qp).i32Add().i32Load().get(rowBytes).i32Mul().get(bBase).i32Add().set(bRow);
        step();
        f.get(qp).i32(4).i32Add().tee(qp).get(qEnd).i32LtS().brIf(top);
      });
    });
  };
  // Columns [jb, jb + 4·nv) of every row, nv vectors of sums at a time, while they fit before j1.
  const vectors = (nv: number) => {
    f.forLoop(jb, () => f.get(jb), () => f.get(j1).i32(4 * nv - 1).i32Sub(), 4 * nv, () => {
      f.get(b).get(jb).i32(4).i32Mul().i32Add().set(bBase);
      eachRow(() => {
        for (let v = 0; v < nv; v++) f.v128Zero().set(acc[v]);
        eachEntry(() => {
          f.get(vals).get(qp).i32Add().v128Load32Splat().set(splat);
          for (let v = 0; v < nv; v++) {
            multiplyAdd(f, fused, () => f.get(acc[v]), () => f.get(splat), () => f.get(bRow).v128Load(16 * v));
            f.set(acc[v]);
          }
        });
        for (let v = 0; v < nv; v++) f.get(cPtr).get(acc[v]).v128Store(16 * v);
      });
    });
  };
  f.get(j0).set(jb);
  vectors(BLOCK);
  vectors(4);
  vectors(1);
  // The last columns (fewer than 4), one at a time, with the same float32 operations.
  f.forLoop(jb, () => f.get(jb), () => f.get(j1), 1, () => {
    f.get(b).get(jb).i32(4).i32Mul().i32Add().set(bBase);
    eachRow(() => {
      f.f32(0).set(sum);
      eachEntry(() => {
        f.get(vals).get(qp).i32Add().f32Load().set(value);
        multiplyAddScalar(f, fused, () => f.get(sum), () => f.get(value), () => f.get(bRow).f32Load());
        f.set(sum);
      });
      f.get(cPtr).get(sum).f32Store();
    });
  });
  return f;
}

function emitSparseScatter(mod: ModuleWriter, fused: boolean): void {
  const f = mod.func(Array(11).fill("i32"), [], "sparseScatter");
  const [c, ldc, cRows, starts, idx, vals, rows, b, ldb, j0, j1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const i = f.local("i32"), j = f.local("i32"), qp = f.local("i32"), qEnd = f.local("i32");
  const bRow = f.local("i32"), cRow = f.local("i32"), vectorsEnd = f.local("i32");
  const splat = f.local("v128"), value = f.local("f32");
  const at = (base: number) => f.get(base).get(j).i32(4).i32Mul().i32Add();
  // C(o, j) += value · B(i, j) for j in [j, end), `width` floats a step (16, 4 or 1)
  const run = (width: number, end: () => void) => {
    f.block((done) => {
      f.loop((top) => {
        f.get(j).i32(width).i32Add();
        end();
        f.i32GtS().brIf(done);
        if (width === 1) {
          at(cRow);
          multiplyAddScalar(f, fused, () => at(cRow).f32Load(), () => at(bRow).f32Load(), () => f.get(value));
          f.f32Store();
        } else {
          for (let v = 0; v < width / 4; v++) {
            at(cRow);
            multiplyAdd(f, fused, () => at(cRow).v128Load(16 * v), () => at(bRow).v128Load(16 * v), () => f.get(splat));
            f.v128Store(16 * v);
          }
        }
        f.get(j).i32(width).i32Add().set(j).br(top);
      });
    });
  };

  // C's rows, columns [j0, j1), start at 0 (the sums' first term is added to +0, as in the dense product).
  f.forLoop(i, () => f.i32(0), () => f.get(cRows), 1, () => {
    f.forLoop(j, () => f.get(j0), () => f.get(j1), 1, () => {
      f.get(c).get(i).get(ldc).i32Mul().get(j).i32Add().i32(4).i32Mul().i32Add().f32(0).f32Store();
    });
  });
  // The columns in whole vectors: [j0, vectorsEnd).
  f.get(j1).get(j0).i32Sub().i32(-4).i32And().get(j0).i32Add().set(vectorsEnd);
  f.forLoop(i, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(b).get(i).get(ldb).i32Mul().i32(4).i32Mul().i32Add().set(bRow);
    f.get(starts).get(i).i32(4).i32Mul().i32Add().i32Load().i32(4).i32Mul().set(qp);
    f.get(starts).get(i).i32(4).i32Mul().i32Add().i32Load(4).i32(4).i32Mul().set(qEnd);
    f.block((done) => {
      f.get(qp).get(qEnd).i32GeS().brIf(done);
      f.loop((top) => {
        f.get(c).get(idx).get(qp).i32Add().i32Load().get(ldc).i32Mul().i32(4).i32Mul().i32Add().set(cRow);
        f.get(vals).get(qp).i32Add().v128Load32Splat().set(splat);
        f.get(vals).get(qp).i32Add().f32Load().set(value);
        f.get(j0).set(j);
        run(16, () => f.get(vectorsEnd));
        run(4, () => f.get(vectorsEnd));
        run(1, () => f.get(j1));
        f.get(qp).i32(4).i32Add().tee(qp).get(qEnd).i32LtS().brIf(top);
      });
    });
  });
}

/**
 * sparsePanels: for each panel of B's columns [j, j + w) within [j0, j1) (w = SPARSE_BLOCK_COLUMNS, or
 * what is left), at byte panels + 4·j·panelRows: copyRows(panel, B + 4j, w, panelRows, w, ldb) when
 * pack ≠ 0, then sparseProduct(C + 4j, ldc, …, rows, panel, w, 0, w). One call where TypeScript made
 * two a panel (22 for a 784x256 kernel, each through V8's generic call into WebAssembly until the
 * caller is optimized).
 */
export function emitSparsePanels(mod: ModuleWriter, product: FunctionWriter, copyRows: FunctionWriter): void {
  const f = mod.func(Array(13).fill("i32"), [], "sparsePanels");
  const [c, ldc, starts, idx, vals, rows, b, ldb, panels, panelRows, j0, j1, pack] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const j = f.local("i32"), width = f.local("i32"), panel = f.local("i32");
  f.forLoop(j, () => f.get(j0), () => f.get(j1), SPARSE_BLOCK_COLUMNS, () => {
    // width = min(SPARSE_BLOCK_COLUMNS, j1 − j)
    f.i32(SPARSE_BLOCK_COLUMNS).get(j1).get(j).i32Sub().tee(width).get(width).i32(SPARSE_BLOCK_COLUMNS).i32GtS().select().set(width);
    f.get(panels).get(j).get(panelRows).i32Mul().i32(4).i32Mul().i32Add().set(panel);
    f.get(pack).ifElse(() => {
      f.get(panel).get(b).get(j).i32(4).i32Mul().i32Add().get(width).get(panelRows).get(width).get(ldb).call(copyRows);
    });
    f.get(c).get(j).i32(4).i32Mul().i32Add().get(ldc).get(starts).get(idx).get(vals).get(rows).get(panel).get(width).i32(0).get(width).call(product);
  });
}
