/**
 * Packing: copying an operand into the order the register tile reads it.
 *
 * A matrix S (rows x k) is cut into panels of W rows (W = MR for A, NR for B),
 * each stored p-major, and padded with zeros to a whole W rows:
 *
 *   dst[(panel·kc + q)·W + w] = S(r0 + panel·W + w, kk(q0 + q))       q < kc
 *   kk(q) = ks ? ks[q] : q                    (the sum may run over a list of p)
 *   S(i, p) = rowMajor ? src[row(i)·ld + p] : src[p·ld + row(i)]
 *   row(i)  = rowIdx ? rowIdx[i] : i          (A's rows may come from a list)
 *
 * A is packed as S = A (rowMajor unless transA); B as S = Bᵀ, whose rows are
 * B's columns (rowMajor exactly when transB). Three ways to copy a panel:
 *
 *   1. contiguous: not rowMajor and no rowIdx — the W values for one p sit side
 *      by side in src: copy them as v128 (and an 8-byte, 4-byte rest). This is
 *      B = W in the forward pass (with or without ks) and A = Xᵀ in dW = Xᵀ·dY.
 *   2. transpose: rowMajor, no ks, W a multiple of 4 — read 4 p of 4 rows as
 *      four v128 and transpose the 4x4 block with shuffles. This is A = X in
 *      the forward pass and B = Wᵀ in dX = dY·Wᵀ.
 *   3. gather: anything else (index lists, the last partial panel), one float
 *      at a time: S(i, p) = load(base_w + p·stride_w), where a row past the
 *      end reads a zero word with stride 0.
 *
 * Measured (bench/wasm-module.ts's machine): contiguous and transpose copy 6-12
 * Gfloat/s, gather about 2. Packing B = W (784 x 256) for the forward pass at
 * batch 32 costs ~9% of the product, which is why the driver reads such a B in
 * place instead (driver.ts); every other pack is ≤ 4% of its product.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";

/**
 * pack(dst, src, ld, rowMajor, ks, rowIdx, q0, kc, r0, r1, zero): packs rows [r0, r1)
 * of S for the sum slice [q0, q0 + kc). Addresses in bytes; ks, rowIdx = −1 for none;
 * ld in floats; `zero` is the address of a 0.0 word.
 */
export function emitPack(mod: ModuleWriter, w: number): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], []);
  const [dst, src, ld, rowMajor, ks, rowIdx, q0, kc, r0, r1, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const ib = f.local("i32"), q = f.local("i32"), p = f.local("i32"), from = f.local("i32");
  const base = Array.from({ length: w }, () => f.local("i32"));
  const stride = Array.from({ length: w }, () => f.local("i32"));
  const ctx: Ctx = { f, w, dst, src, ld, rowMajor, ks, rowIdx, q0, kc, q, p, from, base, stride, r1, zero, ib };

  f.forLoop(ib, () => f.get(r0), () => f.get(r1), w, () => {
    // full = ib + W <= r1
    const full = () => f.get(ib).i32(w).i32Add().get(r1).i32LeS();
    full();
    f.get(rowMajor).i32Eqz().i32And().get(rowIdx).i32(0).i32LtS().i32And().ifElse(
      () => contiguous(ctx),
      () => {
        if (w % 4 !== 0) return gather(ctx);
        full();
        f.get(rowMajor).i32And().get(ks).i32(0).i32LtS().i32And().ifElse(
          () => transpose(ctx),
          () => gather(ctx),
        );
      },
    );
  });
  return f;
}

interface Ctx {
  f: FunctionWriter; w: number;
  dst: number; src: number; ld: number; rowMajor: number; ks: number; rowIdx: number; q0: number; kc: number; r1: number; zero: number;
  ib: number; q: number; p: number; from: number; base: number[]; stride: number[];
}

/** p = kk(q0 + q): the q-th term of the slice, through ks when there is one. */
function sumIndex(c: Ctx): void {
  const { f } = c;
  f.get(c.q0).get(c.q).i32Add().set(c.p);
  f.get(c.ks).i32(0).i32GeS().ifElse(() => f.get(c.ks).get(c.p).i32(4).i32Mul().i32Add().i32Load().set(c.p));
}

/** Path 1: for each q, W consecutive floats from src + (kk(q)·ld + ib)·4. */
function contiguous(c: Ctx): void {
  const { f, w } = c;
  f.forLoop(c.q, () => f.i32(0), () => f.get(c.kc), 1, () => {
    sumIndex(c);
    f.get(c.src).get(c.p).get(c.ld).i32Mul().get(c.ib).i32Add().i32(4).i32Mul().i32Add().set(c.from);
    let x = 0;
    for (; x + 4 <= w; x += 4) f.get(c.dst).get(c.from).v128Load(4 * x).v128Store(4 * x);
    for (; x + 2 <= w; x += 2) f.get(c.dst).get(c.from).i64Load(4 * x).i64Store(4 * x);
    for (; x < w; x++) f.get(c.dst).get(c.from).f32Load(4 * x).f32Store(4 * x);
    f.get(c.dst).i32(4 * w).i32Add().set(c.dst);
  });
}

/** base_w, stride_w for row ib + w of S: S(ib + w, p) = load(base_w + p·stride_w). */
function rowPointers(c: Ctx): void {
  const { f, w } = c;
  for (let x = 0; x < w; x++) {
    // row = rowIdx < 0 ? ib + x : rowIdx[ib + x]   (into `from`)
    f.get(c.ib).i32(x).i32Add().set(c.from);
    f.get(c.rowIdx).i32(0).i32GeS().ifElse(() => f.get(c.rowIdx).get(c.from).i32(4).i32Mul().i32Add().i32Load().set(c.from));
    f.get(c.ib).i32(x).i32Add().get(c.r1).i32LtS().ifElse(
      () => f.get(c.rowMajor).ifElse(
        () => {
          f.get(c.src).get(c.from).get(c.ld).i32Mul().i32(4).i32Mul().i32Add().set(c.base[x]);
          f.i32(4).set(c.stride[x]);
        },
        () => {
          f.get(c.src).get(c.from).i32(4).i32Mul().i32Add().set(c.base[x]);
          f.get(c.ld).i32(4).i32Mul().set(c.stride[x]);
        },
      ),
      () => f.get(c.zero).set(c.base[x]).i32(0).set(c.stride[x]),
    );
  }
}

/** Path 3: one float at a time. */
function gather(c: Ctx): void {
  const { f, w } = c;
  rowPointers(c);
  f.forLoop(c.q, () => f.i32(0), () => f.get(c.kc), 1, () => {
    sumIndex(c);
    for (let x = 0; x < w; x++) {
      f.get(c.dst).get(c.base[x]).get(c.p).get(c.stride[x]).i32Mul().i32Add().f32Load().f32Store(4 * x);
    }
    f.get(c.dst).i32(4 * w).i32Add().set(c.dst);
  });
}

// Lane pickers for i8x16.shuffle: f32 lane l is bytes 4l .. 4l+3; lanes 4-7 are the second operand's.
const lanes = (...l: number[]) => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
const LO = lanes(0, 4, 1, 5), HI = lanes(2, 6, 3, 7), LO2 = lanes(0, 1, 4, 5), HI2 = lanes(2, 3, 6, 7);

/**
 * Path 2: four p at a time, each group of four rows as a 4x4 transpose:
 *   rows x0..x3 (p, p+1, p+2, p+3)  →  t = unpack lo/hi of (x0, x1) and (x2, x3)
 *   →  column u = [x0[u], x1[u], x2[u], x3[u]], stored at dst + (u·W + 4g)·4.
 * The last kc mod 4 values of p are copied one by one.
 */
function transpose(c: Ctx): void {
  const { f, w } = c;
  rowPointers(c);
  for (let x = 0; x < w; x++) f.get(c.base[x]).get(c.q0).i32(4).i32Mul().i32Add().set(c.base[x]); // p starts at q0
  const v = Array.from({ length: 4 }, () => f.local("v128"));
  const t = Array.from({ length: 4 }, () => f.local("v128"));
  f.i32(0).set(c.q);
  f.block((end) => {
    f.loop((top) => {
      f.get(c.q).i32(4).i32Add().get(c.kc).i32GtS().brIf(end);
      for (let g = 0; g < w / 4; g++) {
        for (let x = 0; x < 4; x++) f.get(c.base[4 * g + x]).get(c.q).i32(4).i32Mul().i32Add().v128Load().set(v[x]);
        f.get(v[0]).get(v[1]).i8x16Shuffle(LO).set(t[0]);
        f.get(v[0]).get(v[1]).i8x16Shuffle(HI).set(t[1]);
        f.get(v[2]).get(v[3]).i8x16Shuffle(LO).set(t[2]);
        f.get(v[2]).get(v[3]).i8x16Shuffle(HI).set(t[3]);
        f.get(c.dst).get(t[0]).get(t[2]).i8x16Shuffle(LO2).v128Store(4 * (0 * w + 4 * g));
        f.get(c.dst).get(t[0]).get(t[2]).i8x16Shuffle(HI2).v128Store(4 * (1 * w + 4 * g));
        f.get(c.dst).get(t[1]).get(t[3]).i8x16Shuffle(LO2).v128Store(4 * (2 * w + 4 * g));
        f.get(c.dst).get(t[1]).get(t[3]).i8x16Shuffle(HI2).v128Store(4 * (3 * w + 4 * g));
      }
      f.get(c.dst).i32(16 * w).i32Add().set(c.dst);
      f.get(c.q).i32(4).i32Add().set(c.q).br(top);
    });
  });
  f.forLoop(c.q, () => f.get(c.q), () => f.get(c.kc), 1, () => {
    for (let x = 0; x < w; x++) f.get(c.dst).get(c.base[x]).get(c.q).i32(4).i32Mul().i32Add().f32Load().f32Store(4 * x);
    f.get(c.dst).i32(4 * w).i32Add().set(c.dst);
  });
}
