/**
 * The loops around the convolution products, as WebAssembly SIMD for the wasm
 * backend (../conv-fast.ts calls them, on any thread; the js backend runs the
 * same loops in TypeScript, with the same bits). Four floats an instruction:
 *
 *   copyRows(dst, src, span, rows, dstStep, srcStep)    im2col's copies
 *       for r < rows:  dst[r·dstStep + t] = src[r·srcStep + t],   t < span
 *   addRows(dst, src, span, rows, dstStep, srcStep)     col2im's sums, rows in order
 *       for r < rows:  dst[r·dstStep + t] += src[r·srcStep + t],  t < span
 *   maxWindow(y, at, x, first, rows, cols, rowStep, c)  one max-pooling window
 *       y[ch] = max over r < rows, q < cols of x[r·rowStep + q·c + ch],  at[ch] = where
 *       (the first maximum in row-major order: f32x4.gt, then v128.bitselect)
 *   maxPool(y, at, x, n, h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow)
 *                                                       every window of n images, in order: maxWindow
 *       on each output pixel's window (clipped to the image), as the TypeScript loop calls it
 *   scatterAdd(dx, dy, at, count)                       max pooling's backward
 *       dx[at[o]] += dy[o],  o < count
 *   zero(dst, count)                                    dst[t] = +0, t < count: memory.fill, as fast
 *       as memset (a typed array's fill on shared memory stores value by value, 3–4x slower)
 * Arrays are byte offsets into the heap; counts and steps are in floats; c is
 * a multiple of 4 (the caller checks); a span is any length (its last span mod 4
 * floats go one at a time). `first` is x's index in its
 * array, so that `at` holds indices into x.data, as the reference's does.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";

/** Emits copyRows, addRows, maxWindow (which maxPool calls), maxPool, scatterAdd and zero; returns copyRows (sparse.ts's panels call it). */
export function emitConvLoops(mod: ModuleWriter): FunctionWriter {
  const copyRows = emitRows(mod, "copyRows", false);
  emitRows(mod, "addRows", true);
  emitMaxPool(mod, emitMaxWindow(mod));
  emitScatterAdd(mod);
  const zero = mod.func(["i32", "i32"], [], "zero");
  zero.get(0).i32(0).get(1).i32(4).i32Mul().memoryFill();
  return copyRows;
}

const LANES = new Uint8Array(new Int32Array([0, 1, 2, 3]).buffer);

/** copyRows or addRows: the same loops, with or without the add. */
function emitRows(mod: ModuleWriter, name: string, add: boolean): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32"], [], name);
  const [dst, src, span, rows, dstStep, srcStep] = [0, 1, 2, 3, 4, 5];
  const r = f.local("i32"), t = f.local("i32"), d = f.local("i32"), s = f.local("i32");
  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(dst).get(r).get(dstStep).i32Mul().i32(4).i32Mul().i32Add().set(d);
    f.get(src).get(r).get(srcStep).i32Mul().i32(4).i32Mul().i32Add().set(s);
    // Four floats at a time while t + 16 bytes ≤ span·4, then one at a time.
    f.forLoop(t, () => f.i32(0), () => f.get(span).i32(4).i32Mul().i32(12).i32Sub(), 16, () => {
      f.get(d).get(t).i32Add(); // the address to store to
      if (add) f.get(d).get(t).i32Add().v128Load();
      f.get(s).get(t).i32Add().v128Load();
      if (add) f.f32x4Add();
      f.v128Store();
    });
    f.forLoop(t, () => f.get(t), () => f.get(span).i32(4).i32Mul(), 4, () => {
      f.get(d).get(t).i32Add();
      if (add) f.get(d).get(t).i32Add().f32Load();
      f.get(s).get(t).i32Add().f32Load();
      if (add) f.f32Add();
      f.f32Store();
    });
  });
  return f;
}

function emitMaxWindow(mod: ModuleWriter): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], [], "maxWindow");
  const [y, at, x, first, rows, cols, rowStep, c] = [0, 1, 2, 3, 4, 5, 6, 7];
  const ch = f.local("i32"), r = f.local("i32"), q = f.local("i32"), off = f.local("i32");
  const m = f.local("v128"), idx = f.local("v128"), v = f.local("v128"), mask = f.local("v128");
  f.forLoop(ch, () => f.i32(0), () => f.get(c), 4, () => {
    f.get(x).get(ch).i32(4).i32Mul().i32Add().v128Load().set(m);
    f.get(first).get(ch).i32Add().i32x4Splat().v128Const(LANES).i32x4Add().set(idx);
    f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
      f.forLoop(q, () => f.i32(0), () => f.get(cols), 1, () => {
        f.get(r).get(rowStep).i32Mul().get(q).get(c).i32Mul().i32Add().get(ch).i32Add().set(off);
        f.get(x).get(off).i32(4).i32Mul().i32Add().v128Load().set(v);
        f.get(v).get(m).f32x4Gt().set(mask); // lanes where this pixel beats the max so far
        f.get(v).get(m).get(mask).v128Bitselect().set(m); // the larger value where it beats, else the max so far
        f.get(first).get(off).i32Add().i32x4Splat().v128Const(LANES).i32x4Add(); // where these four lanes are in x
        f.get(idx).get(mask).v128Bitselect().set(idx);
      });
    });
    f.get(y).get(ch).i32(4).i32Mul().i32Add().get(m).v128Store();
    f.get(at).get(ch).i32(4).i32Mul().i32Add().get(idx).v128Store();
  });
  return f;
}

/** The whole pooling in one call: a call from JavaScript per window cost more than the window (21,632 a batch in mnist_convnet). */
function emitMaxPool(mod: ModuleWriter, maxWindow: FunctionWriter): void {
  const f = mod.func(Array(15).fill("i32"), [], "maxPool");
  const [y, at, x, n, h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow] = Array.from({ length: 15 }, (_, i) => i);
  const s = f.local("i32"), i = f.local("i32"), j = f.local("i32"), o = f.local("i32"), image = f.local("i32");
  const h0 = f.local("i32"), h1 = f.local("i32"), w0 = f.local("i32"), w1 = f.local("i32"), top = f.local("i32"), first = f.local("i32");
  // local = max(0, value) and min(limit, value + size), with select (a, b, a > b … ) as in the loop's Math.max, Math.min
  const clip = (start: () => void, size: number, limit: number, lo: number, hi: number) => {
    start();
    f.set(top);
    f.get(top).i32(0).get(top).i32(0).i32GtS().select().set(lo);
    f.get(top).get(size).i32Add().get(limit).get(top).get(size).i32Add().get(limit).i32LtS().select().set(hi);
  };
  f.forLoop(s, () => f.i32(0), () => f.get(n), 1, () => {
    f.get(s).get(h).i32Mul().get(w).i32Mul().get(c).i32Mul().set(image);
    f.forLoop(i, () => f.i32(0), () => f.get(oh), 1, () => {
      clip(() => f.get(i).get(sh).i32Mul().get(padTop).i32Sub(), kh, h, h0, h1);
      f.forLoop(j, () => f.i32(0), () => f.get(ow), 1, () => {
        clip(() => f.get(j).get(sw).i32Mul().get(padLeft).i32Sub(), kw, w, w0, w1);
        f.get(image).get(h0).get(w).i32Mul().get(w0).i32Add().get(c).i32Mul().i32Add().set(first);
        f.get(y).get(o).i32(4).i32Mul().i32Add();
        f.get(at).get(o).i32(4).i32Mul().i32Add();
        f.get(x).get(first).i32(4).i32Mul().i32Add();
        f.get(first).get(h1).get(h0).i32Sub().get(w1).get(w0).i32Sub().get(w).get(c).i32Mul().get(c);
        f.call(maxWindow);
        f.get(o).get(c).i32Add().set(o);
      });
    });
  });
}

function emitScatterAdd(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32"], [], "scatterAdd");
  const [dx, dy, at, count] = [0, 1, 2, 3];
  const o = f.local("i32"), a = f.local("i32");
  f.forLoop(o, () => f.i32(0), () => f.get(count), 1, () => {
    f.get(dx).get(at).get(o).i32(4).i32Mul().i32Add().i32Load().i32(4).i32Mul().i32Add().set(a);
    f.get(a).get(a).f32Load().get(dy).get(o).i32(4).i32Mul().i32Add().f32Load().f32Add().f32Store();
  });
}
