/**
 * The register tile: the loop where a matrix product spends its time.
 *
 *   C[r, c] (+)= Σ_{p < kc} Ap[p·MR + r] · B(p, c)       r < MR rows, c < NR = 4·NV columns
 *
 * Ap is a packed panel of A (MR values per p, consecutive). B(p, ·) is NR
 * consecutive floats at b + p·bStride: a packed panel (bStride = 4·NR bytes) or
 * B's own rows, read in place (bStride = 4·ldb).
 *
 * The MR x NR sums live in MR·NV v128 locals (four f32 lanes each), which the
 * engine keeps in SIMD registers for the whole loop (x86-64 has 16). Per step p
 * it loads NV vectors of B, and for each row r broadcasts one value of A to all
 * four lanes and does NV multiplies and NV adds:
 *
 *   acc[r][v] = acc[r][v] + splat(Ap[p·MR + r]) · B(p, 4v .. 4v+3)
 *
 * The broadcast: v128.load32_splat per row, or — faster under V8, measured —
 * one v128 load of Ap[p·MR .. p·MR+3] and an i8x16.shuffle per row that copies
 * lane r to all four (one `vpshufd`): V8 then keeps fewer values alive at once
 * and spills fewer sums to the stack.
 *
 * The multiply and the add are one step (multiply-add.ts): unfused, as base
 * SIMD128 has it (each lane rounds the product to float32, then the sum —
 * exactly what the scalar `c + a·b` in float32 does), or one fused
 * f32x4.relaxed_madd where the runtime has relaxed SIMD (then the sum, its
 * product and its one rounding need no temporary register: module.ts's
 * FUSED_OPTIONS say why that matters).
 * Each lane sums its terms in increasing p, starting from 0 or (accumulate) from
 * what C holds: a k-sliced product therefore gives the same bits as one long
 * sum, and a tile's result does not depend on which tile or thread computes it.
 *
 * The loop runs `unroll` steps per iteration (fewer branches; the A offsets
 * become constants of the instructions), then single steps for the rest.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";
import { multiplyAdd } from "./multiply-add.js";

export interface TileShape {
  /** Rows of C in the tile. */
  mr: number;
  /** v128 columns of C in the tile: NR = 4·nv. */
  nv: number;
  /** Steps of p per loop iteration. */
  unroll: number;
  /**
   * How a value of A reaches four lanes: v128.load32_splat per row ("load", the
   * default), or one v128 load per 4 rows and a lane shuffle per row ("shuffle";
   * rows past the last multiple of 4 still load).
   */
  splat?: "load" | "shuffle";
  /**
   * Multiply and add as one f32x4.relaxed_madd (relaxed SIMD: a fused
   * multiply-add, rounded once, where the machine has one) instead of
   * f32x4.mul, then f32x4.add.
   */
  fused?: boolean;
}

/**
 * micro(a, b, bStride, kc, c, ldc, accumulate): the full MR x NR tile at c (row stride
 * ldc bytes) (+)= Σ_p. a, b, c, bStride, ldc are byte addresses and byte strides.
 */
export function emitMicroKernel(mod: ModuleWriter, t: TileShape): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []);
  const [a, b, bStride, kc, c, ldc, accumulate] = [0, 1, 2, 3, 4, 5, 6];
  const row = f.local("i32");
  const acc = Array.from({ length: t.mr }, () => Array.from({ length: t.nv }, () => f.local("v128")));
  const bv = Array.from({ length: t.nv }, () => f.local("v128"));
  const splat = f.local("v128");
  const quads = t.splat === "shuffle" ? Math.floor(t.mr / 4) : 0; // rows 0 .. 4·quads−1 come by shuffle
  const aq = Array.from({ length: quads }, () => f.local("v128"));

  // Locals start at zero; with `accumulate` the sums start from C instead.
  f.get(accumulate).ifElse(() => {
    f.get(c).set(row);
    for (let r = 0; r < t.mr; r++) {
      for (let v = 0; v < t.nv; v++) f.get(row).v128Load(16 * v).set(acc[r][v]);
      if (r + 1 < t.mr) f.get(row).get(ldc).i32Add().set(row);
    }
  });

  // One step p. `u` places it within an unrolled iteration (A's offset).
  const step = (u: number) => {
    for (let v = 0; v < t.nv; v++) f.get(b).v128Load(16 * v).set(bv[v]);
    for (let g = 0; g < quads; g++) f.get(a).v128Load(4 * (u * t.mr + 4 * g)).set(aq[g]);
    for (let r = 0; r < t.mr; r++) {
      if (r < 4 * quads) {
        const lane = [0, 1, 2, 3].map((x) => 4 * (r % 4) + x); // the bytes of f32 lane r mod 4, four times
        f.get(aq[r >> 2]).get(aq[r >> 2]).i8x16Shuffle([...lane, ...lane, ...lane, ...lane]).set(splat);
      } else {
        f.get(a).v128Load32Splat(4 * (u * t.mr + r)).set(splat);
      }
      for (let v = 0; v < t.nv; v++) {
        multiplyAdd(f, t.fused === true, () => f.get(acc[r][v]), () => f.get(splat), () => f.get(bv[v]));
        f.set(acc[r][v]);
      }
    }
    f.get(b).get(bStride).i32Add().set(b);
  };

  // while (kc >= unroll) { unroll steps; a += unroll·MR·4; kc -= unroll }
  f.block((end) => {
    f.get(kc).i32(t.unroll).i32LtS().brIf(end);
    f.loop((top) => {
      for (let u = 0; u < t.unroll; u++) step(u);
      f.get(a).i32(4 * t.unroll * t.mr).i32Add().set(a);
      f.get(kc).i32(t.unroll).i32Sub().tee(kc).i32(t.unroll).i32GeS().brIf(top);
    });
  });
  // while (kc > 0) { one step; a += MR·4; kc -= 1 }
  f.block((end) => {
    f.get(kc).i32Eqz().brIf(end);
    f.loop((top) => {
      step(0);
      f.get(a).i32(4 * t.mr).i32Add().set(a);
      f.get(kc).i32(1).i32Sub().tee(kc).brIf(top);
    });
  });

  f.get(c).set(row);
  for (let r = 0; r < t.mr; r++) {
    for (let v = 0; v < t.nv; v++) f.get(row).get(acc[r][v]).v128Store(16 * v);
    if (r + 1 < t.mr) f.get(row).get(ldc).i32Add().set(row);
  }
  return f;
}

/**
 * edge(a, b, bStride, kc, c, ldc, accumulate, rows, cols, tile): a tile at the
 * bottom or right edge of C, with only rows x cols of its MR x NR inside C.
 * It runs the narrowest tile that covers the columns: micros[w − 1] is MR x 4w,
 * reading the first 4w columns of the (zero-padded) B panel. When that tile
 * fits C exactly it writes C itself; otherwise it works on `tile` (MR·NR floats
 * of scratch, row stride NR) and copies its rows x cols part in and out.
 * The lanes do the same arithmetic as in a full tile, so the bits are the same.
 */
export function emitEdgeTile(mod: ModuleWriter, t: TileShape, micros: FunctionWriter[]): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], []);
  const [a, b, bStride, kc, c, ldc, accumulate, rows, cols, tile] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const nr = 4 * t.nv;
  const i = f.local("i32"), j = f.local("i32");
  const copy = (toTile: boolean) => {
    f.forLoop(i, () => f.i32(0), () => f.get(rows), 1, () => {
      f.forLoop(j, () => f.i32(0), () => f.get(cols), 1, () => {
        const cAddr = () => f.get(c).get(i).get(ldc).i32Mul().i32Add().get(j).i32(4).i32Mul().i32Add();
        const tAddr = () => f.get(tile).get(i).i32(4 * nr).i32Mul().i32Add().get(j).i32(4).i32Mul().i32Add();
        if (toTile) { tAddr(); cAddr(); } else { cAddr(); tAddr(); }
        f.f32Load().f32Store();
      });
    });
  };
  f.block((done) => {
    micros.forEach((micro, w) => {
      // cols ≤ 4(w + 1): this tile covers them.
      f.get(cols).i32(4 * (w + 1)).i32LeS().ifElse(() => {
        f.get(rows).i32(t.mr).i32Eq().get(cols).i32(4 * (w + 1)).i32Eq().i32And().ifElse(
          () => f.get(a).get(b).get(bStride).get(kc).get(c).get(ldc).get(accumulate).call(micro),
          () => {
            f.get(accumulate).ifElse(() => copy(true));
            f.get(a).get(b).get(bStride).get(kc).get(tile).i32(4 * nr).get(accumulate).call(micro);
            copy(false);
          },
        );
        f.br(done);
      });
    });
  });
  return f;
}
