/**
 * Plain SGD on a gradient held as rows (../row-update.ts), as one WebAssembly
 * call over a block of columns:
 *
 *   W(cols[q], j) −= lr · G(q, j)        q < count,  j ∈ [j0, j1)
 *   W: rows of `width` floats at w;  G: count rows of `width` floats at g;
 *   cols: count int32 row numbers at `cols` (byte offsets, all three)
 *
 * Each row segment is one call of the `sgd` loop (loops.ts) on the row's
 * addresses, so every element gets exactly the bits of the whole update
 * w −= lr·g. A thread passes the columns [j0, j1) of the piece it claimed
 * (thread-protocol.ts).
 *
 *   sgdRows(w, g, cols, count, width, j0, j1, lr)
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";

export function emitSgdRows(mod: ModuleWriter, sgd: FunctionWriter): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "i32", "f64"], [], "sgdRows");
  const [w, g, cols, count, width, j0, j1, lr] = [0, 1, 2, 3, 4, 5, 6, 7];
  const q = f.local("i32"), rowBytes = f.local("i32"), noMomentum = f.local("f64"); // locals start at 0
  f.get(width).i32(4).i32Mul().set(rowBytes);
  f.forLoop(q, () => f.i32(0), () => f.get(count), 1, () => {
    // sgd(w + cols[q]·rowBytes, g + q·rowBytes, _, j0, j1, lr, 0)
    f.get(w).get(cols).get(q).i32(4).i32Mul().i32Add().i32Load().get(rowBytes).i32Mul().i32Add();
    f.get(g).get(q).get(rowBytes).i32Mul().i32Add();
    f.i32(0).get(j0).get(j1).get(lr).get(noMomentum).call(sgd);
  });
  return f;
}
