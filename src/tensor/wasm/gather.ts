/**
 * A batch's rows gathered from the training set by a list of row numbers (the
 * trainer's batches; ../ops.ts: gatherRows, whose loop defines it):
 *
 *   gatherRows(dst, src, index, count, span, srcRows) → copied
 *       for r < count, while 0 ≤ index[r] < srcRows:
 *         dst[r·span + t] = src[index[r]·span + t],   t < span
 *
 * It stops at the first row number outside src and returns how many rows it
 * copied (count when every one was inside): the caller copies the batch its own
 * way then. A row goes four vectors (one 64-byte cache line) at a time, then
 * one vector, then one float. Arrays are byte offsets into the heap; span and
 * counts are in floats; dst must not overlap src.
 *
 * One call a batch, where the TypeScript loop calls copyWithin once a row
 * (a C++ builtin, which on a shared memory copies word by word).
 */
import type { ModuleWriter } from "./binary.js";

/** Emits gatherRows(dst, src, index, count, span, srcRows) → i32, exported as "gatherRows". */
export function emitGather(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32"], ["i32"], "gatherRows");
  const [dst, src, index, count, span, srcRows] = [0, 1, 2, 3, 4, 5];
  const r = f.local("i32"), row = f.local("i32"), bytes = f.local("i32"), t = f.local("i32"), d = f.local("i32"), s = f.local("i32");
  f.get(span).i32(4).i32Mul().set(bytes);
  f.block((stop) => {
    f.forLoop(r, () => f.i32(0), () => f.get(count), 1, () => {
      f.get(index).get(r).i32(4).i32Mul().i32Add().i32Load().set(row);
      f.get(row).get(srcRows).i32GeU().brIf(stop); // unsigned: a negative row number is outside too
      f.get(dst).get(r).get(bytes).i32Mul().i32Add().set(d);
      f.get(src).get(row).get(bytes).i32Mul().i32Add().set(s);
      f.forLoop(t, () => f.i32(0), () => f.get(bytes).i32(63).i32Sub(), 64, () => {
        for (let v = 0; v < 4; v++) f.get(d).get(t).i32Add().get(s).get(t).i32Add().v128Load(16 * v).v128Store(16 * v);
      });
      f.forLoop(t, () => f.get(t), () => f.get(bytes).i32(15).i32Sub(), 16, () => {
        f.get(d).get(t).i32Add().get(s).get(t).i32Add().v128Load().v128Store();
      });
      f.forLoop(t, () => f.get(t), () => f.get(bytes), 4, () => {
        f.get(d).get(t).i32Add().get(s).get(t).i32Add().f32Load().f32Store();
      });
    });
  });
  f.get(r);
}
