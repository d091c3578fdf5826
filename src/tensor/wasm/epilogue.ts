/**
 * The fused epilogue of a Dense layer, run over its freshly computed product:
 *
 *   C[i, j] = act(C[i, j] + bias[j])      C: rows x cols, row stride ldc floats
 *   act = identity (0) or relu (1):  relu(x) = x > 0 ? x : 0
 *
 * Four columns at a time as v128 (f32x4.add, then f32x4.pmax(0, x), which is
 * exactly `x > 0 ? x : 0` lane by lane, NaN giving 0 like the JavaScript relu
 * in ../../layers/activations.ts), the last cols mod 4 one at a time with the
 * same float32 operations, so every element gets the bits a plain loop gives.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";

/** biasActivation(c, ldc, rows, cols, bias, activation): bias = −1 for none. */
export function emitBiasActivation(mod: ModuleWriter): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32"], [], "biasActivation");
  const [c, ldc, rows, cols, bias, activation] = [0, 1, 2, 3, 4, 5];
  const i = f.local("i32"), j = f.local("i32"), row = f.local("i32");
  const v = f.local("v128"), x = f.local("f32");
  const hasBias = () => f.get(bias).i32(0).i32GeS();
  const at = (base: number) => f.get(base).get(j).i32(4).i32Mul().i32Add();

  f.forLoop(i, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(c).get(i).get(ldc).i32Mul().i32(4).i32Mul().i32Add().set(row);
    // Whole groups of four: j + 4 <= cols.
    f.forLoop(j, () => f.i32(0), () => f.get(cols).i32(3).i32Sub(), 4, () => {
      at(row).v128Load().set(v);
      hasBias().ifElse(() => { f.get(v); at(bias).v128Load().f32x4Add().set(v); });
      f.get(activation).ifElse(() => f.v128Zero().get(v).f32x4Pmax().set(v));
      at(row).get(v).v128Store();
    });
    // The rest, one at a time (j continues from where the loop above stopped).
    f.forLoop(j, () => f.get(j), () => f.get(cols), 1, () => {
      at(row).f32Load().set(x);
      hasBias().ifElse(() => { f.get(x); at(bias).f32Load().f32Add().set(x); });
      f.get(activation).ifElse(() => f.get(x).f32(0).get(x).f32(0).f32Gt().select().set(x));
      at(row).get(x).f32Store();
    });
  });
  return f;
}
