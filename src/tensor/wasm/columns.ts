/**
 * Which columns of a batch hold a non-zero value (../ops.ts nonzeroColumns),
 * for the first layer's products, which skip the others (an MNIST batch of
 * 32 leaves ~42% of its 784 pixels black in every image):
 *
 *   x: n rows of c floats       column j counts when x(i, j) ≠ 0 for some i
 *
 * Two passes, in memory order:
 *   1. any(j) = OR over the rows of x(i, j)'s 32 bits         (v128.or, 4 columns at a time)
 *   2. for j < c: if any(j) & 0x7fffffff ≠ 0, out[count++] = j
 * Masking the sign bit makes −0 count as zero, as `x !== 0` does; a NaN has
 * exponent bits set, so it counts as non-zero and still reaches the product.
 *
 *   nonzeroColumns(x, n, c, any, out) → count
 * x: byte offset of the n x c floats; any: scratch for c int32 (zeroed here);
 * out: room for c int32 column numbers, increasing.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";

export function emitNonzeroColumns(mod: ModuleWriter): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32"], ["i32"], "nonzeroColumns");
  const [x, n, c, any, out] = [0, 1, 2, 3, 4];
  const i = f.local("i32"), j = f.local("i32"), row = f.local("i32"), count = f.local("i32");
  const at = (base: number) => f.get(base).get(j).i32(4).i32Mul().i32Add();

  f.forLoop(j, () => f.i32(0), () => f.get(c), 1, () => { at(any).i32(0).i32Store(); });
  f.forLoop(i, () => f.i32(0), () => f.get(n), 1, () => {
    f.get(x).get(i).get(c).i32Mul().i32(4).i32Mul().i32Add().set(row);
    // Four columns at a time while j + 4 <= c, then one at a time.
    f.forLoop(j, () => f.i32(0), () => f.get(c).i32(3).i32Sub(), 4, () => {
      at(any); at(any).v128Load(); at(row).v128Load(); f.v128Or().v128Store();
    });
    f.forLoop(j, () => f.get(j), () => f.get(c), 1, () => {
      at(any); at(any).i32Load(); at(row).i32Load(); f.i32Or().i32Store();
    });
  });
  f.forLoop(j, () => f.i32(0), () => f.get(c), 1, () => {
    at(any).i32Load().i32(0x7fffffff).i32And().ifElse(() => {
      f.get(out).get(count).i32(4).i32Mul().i32Add().get(j).i32Store();
      f.get(count).i32(1).i32Add().set(count);
    });
  });
  f.get(count);
  return f;
}
