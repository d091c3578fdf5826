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
 * way then. Arrays are byte offsets into the heap; span and counts are in
 * floats; dst must not overlap src.
 *
 * The rows of a shuffled batch lie all over a training set of 188 MB, so each
 * is a wait on memory. GROUP rows go side by side, a vector of each in turn:
 * GROUP streams from memory in flight instead of one. Then the last rows one at
 * a time; a row's last span mod 4 floats one at a time. One call a batch.
 * µs a gather of MNIST rows in a shuffled order from 60,000, one thread, four
 * rounds of every batch of an epoch (a throwaway script; same bits each way):
 *   rows a batch                         32       128       256
 *   copyWithin a row (TypeScript)        29–42    115–156   248–297
 *   one row at a time, a line a step     20–29    84–101    (not run)
 *   4 rows side by side                  16–17    63–70     109–137
 *   8 rows side by side                  13–15    55–66     129–162
 * `npx tsx bench/wasm-module.ts` times the loop against this module (one later
 * run, busier: 41 against 19 µs at 32 rows, 138 against 73 at 128, 357 against
 * 189 at 256).
 */
import type { ModuleWriter } from "./binary.js";

/** Rows copied side by side. */
const GROUP = 8;

/** Emits gatherRows(dst, src, index, count, span, srcRows) → i32, exported as "gatherRows". */
export function emitGather(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32"], ["i32"], "gatherRows");
  const [dst, src, index, count, span, srcRows] = [0, 1, 2, 3, 4, 5];
  const r = f.local("i32"), bytes = f.local("i32"), t = f.local("i32");
  const rows = Array.from({ length: GROUP }, () => ({ row: f.local("i32"), d: f.local("i32"), s: f.local("i32") }));
  f.get(span).i32(4).i32Mul().set(bytes);
  // Row r + k's addresses in rows[k]; a row number outside src leaves by `stop` first.
  const place = (k: number, stop: { level: number }) => {
    const { row, d, s } = rows[k];
    f.get(index).get(r).i32(k).i32Add().i32(4).i32Mul().i32Add().i32Load().set(row);
    f.get(row).get(srcRows).i32GeU().brIf(stop); // unsigned: a negative row number is outside too
    f.get(dst).get(r).i32(k).i32Add().get(bytes).i32Mul().i32Add().set(d);
    f.get(src).get(row).get(bytes).i32Mul().i32Add().set(s);
  };
  // The placed rows copied side by side: a vector of each in turn, then a float of each.
  const copy = (placed: typeof rows) => {
    f.forLoop(t, () => f.i32(0), () => f.get(bytes).i32(15).i32Sub(), 16, () => {
      for (const { d, s } of placed) f.get(d).get(t).i32Add().get(s).get(t).i32Add().v128Load().v128Store();
    });
    f.forLoop(t, () => f.get(t), () => f.get(bytes), 4, () => {
      for (const { d, s } of placed) f.get(d).get(t).i32Add().get(s).get(t).i32Add().f32Load().f32Store();
    });
  };
  f.block((stop) => {
    // GROUP rows at a time. A group with a row number outside src is left, uncopied, to the loop
    // below, which copies up to that row.
    f.i32(0).set(r);
    f.block((groupsDone) => f.forLoop(r, () => f.get(r), () => f.get(count).i32(GROUP - 1).i32Sub(), GROUP, () => {
      for (let k = 0; k < GROUP; k++) place(k, groupsDone);
      copy(rows);
    }));
    f.forLoop(r, () => f.get(r), () => f.get(count), 1, () => {
      place(0, stop);
      copy(rows.slice(0, 1));
    });
  });
  f.get(r);
}
