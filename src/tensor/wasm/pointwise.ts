/**
 * The small per-element passes of a training step, as WebAssembly SIMD, each
 * with exactly the bits of its JavaScript loop (../../layers/activations.ts,
 * ../ops.ts). Together they are ~45 µs of a 32-row step of the tutorial's
 * network in JavaScript, on one thread; here ~5.
 *
 *   reluForward(y, x, count)          y = x > 0 ? x : 0
 *       f32x4.pmax(0, x) = (0 < x ? x : 0), lane by lane: NaN and −0 give +0, as in JavaScript
 *   reluBackward(dx, dy, y, count)    dx = y > 0 ? dy : 0
 *       v128.and(dy, f32x4.gt(y, 0)): the mask keeps dy's bits where y > 0, else +0
 *   sigmoidBackward(dx, dy, y, count) dx = dy · y · (1 − y)
 *       in float64, as JavaScript evaluates it: ((dy·y)·(1 − y)), each product rounded
 *       to float64, the result once to float32 (f64x2 pairs, as loops.ts)
 *   dropout(y, mask, x, draws, count, least, scale)
 *                                     mask = draws ≥ least (unsigned) ? scale : 0,  y = x · mask
 *       i32x4.ge_u picks the lanes, v128.and keeps scale's bits there; the product in float32
 *       has the bits of JavaScript's (a float32 times a float32 is exact in float64)
 *   sumRows(out, x, n, c)             out[j] = Σ_{i<n} x[i·c + j]   (the bias gradient)
 *       in float64 in increasing i, as JavaScript's `s += x[i·c + j]`, then rounded to float32
 *
 * Arrays are byte offsets of float32 data (dropout's draws: uint32); each pass does four floats at a
 * time and the last count mod 4 one at a time with the same operations.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";
import { HIGH_PAIR_TO_LOW, JOIN_LOW_PAIRS } from "./lanes.js";


/** Emits all five passes. */
export function emitPointwise(mod: ModuleWriter): void {
  emitReluForward(mod);
  emitReluBackward(mod);
  emitSigmoidBackward(mod);
  emitSumRows(mod);
  emitDropout(mod);
}

function emitDropout(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "i32", "f32"], [], "dropout");
  const [y, mask, x, draws, count, least, scale] = [0, 1, 2, 3, 4, 5, 6];
  const leastV = f.local("v128"), scaleV = f.local("v128"), m = f.local("v128"), ms = f.local("f32");
  const addr = (base: number, at: number) => f.get(base).get(at).i32Add();
  f.get(least).i32x4Splat().set(leastV);
  f.get(scale).f32x4Splat().set(scaleV);
  quads(f, count,
    (at) => {
      addr(draws, at).v128Load().get(leastV).i32x4GeU().get(scaleV).v128And().set(m);
      addr(mask, at).get(m).v128Store();
      addr(y, at); addr(x, at).v128Load(); f.get(m).f32x4Mul().v128Store();
    },
    (at) => {
      f.get(scale).f32(0); addr(draws, at).i32Load().get(least).i32GeU(); f.select().set(ms);
      addr(mask, at).get(ms).f32Store();
      addr(y, at); addr(x, at).f32Load(); f.get(ms).f32Mul().f32Store();
    });
}

/** For i in [0, count), at = 4·i: `vector` four elements at a time while they last, then `scalar` one at a time. */
function quads(f: FunctionWriter, count: number, vector: (at: number) => void, scalar: (at: number) => void): void {
  const i = f.local("i32"), at = f.local("i32");
  f.forLoop(i, () => f.i32(0), () => f.get(count).i32(3).i32Sub(), 4, () => { f.get(i).i32(4).i32Mul().set(at); vector(at); });
  f.forLoop(i, () => f.get(i), () => f.get(count), 1, () => { f.get(i).i32(4).i32Mul().set(at); scalar(at); });
}

function emitReluForward(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32"], [], "reluForward");
  const [y, x, count] = [0, 1, 2];
  const xi = f.local("f32");
  const addr = (base: number, at: number) => f.get(base).get(at).i32Add();
  quads(f, count,
    (at) => { addr(y, at); f.v128Zero(); addr(x, at).v128Load(); f.f32x4Pmax().v128Store(); },
    (at) => { addr(y, at); addr(x, at).f32Load().set(xi); f.get(xi).f32(0).get(xi).f32(0).f32Gt().select().f32Store(); });
}

function emitReluBackward(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32"], [], "reluBackward");
  const [dx, dy, y, count] = [0, 1, 2, 3];
  const addr = (base: number, at: number) => f.get(base).get(at).i32Add();
  quads(f, count,
    (at) => { addr(dx, at); addr(dy, at).v128Load(); addr(y, at).v128Load(); f.v128Zero().f32x4Gt().v128And().v128Store(); },
    (at) => { addr(dx, at); addr(dy, at).f32Load(); f.f32(0); addr(y, at).f32Load(); f.f32(0).f32Gt().select().f32Store(); });
}

function emitSigmoidBackward(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32"], [], "sigmoidBackward");
  const [dx, dy, y, count] = [0, 1, 2, 3];
  const DY = f.local("v128"), Y = f.local("v128"), half = [f.local("v128"), f.local("v128")];
  const yi = f.local("f64");
  const addr = (base: number, at: number) => f.get(base).get(at).i32Add();
  /** Lanes 0-1 (part 0) or 2-3 (part 1) of a local f32x4, as f64x2. */
  const pair = (v: number, part: number) => {
    f.get(v);
    if (part === 1) f.get(v).i8x16Shuffle(HIGH_PAIR_TO_LOW);
    f.f64x2PromoteLowF32x4();
  };
  quads(f, count,
    (at) => {
      addr(dy, at).v128Load().set(DY);
      addr(y, at).v128Load().set(Y);
      for (const part of [0, 1]) {
        pair(DY, part); pair(Y, part); f.f64x2Mul(); // dy·y
        f.f64x2Const(1); pair(Y, part); f.f64x2Sub().f64x2Mul(); // · (1 − y)
        f.f32x4DemoteF64x2Zero().set(half[part]);
      }
      addr(dx, at).get(half[0]).get(half[1]).i8x16Shuffle(JOIN_LOW_PAIRS).v128Store();
    },
    (at) => {
      addr(y, at).f32Load().f64PromoteF32().set(yi);
      addr(dx, at); addr(dy, at).f32Load().f64PromoteF32().get(yi).f64Mul();
      f.f64(1).get(yi).f64Sub().f64Mul().f32DemoteF64().f32Store();
    });
}

function emitSumRows(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "i32"], [], "sumRows");
  const [out, x, n, c] = [0, 1, 2, 3];
  const i = f.local("i32"), col = f.local("i32"), lo = f.local("v128"), hi = f.local("v128"), v = f.local("v128");
  const s = f.local("f64");
  /** Byte offset of x[i·c + col]. */
  const element = () => f.get(x).get(i).get(c).i32Mul().get(col).i32Add().i32(4).i32Mul().i32Add();
  // Four columns at a time: two f64x2 sums, down the rows.
  f.forLoop(col, () => f.i32(0), () => f.get(c).i32(3).i32Sub(), 4, () => {
    f.v128Zero().set(lo).v128Zero().set(hi);
    f.forLoop(i, () => f.i32(0), () => f.get(n), 1, () => {
      element().v128Load().set(v);
      f.get(lo).get(v).f64x2PromoteLowF32x4().f64x2Add().set(lo);
      f.get(hi).get(v).get(v).i8x16Shuffle(HIGH_PAIR_TO_LOW).f64x2PromoteLowF32x4().f64x2Add().set(hi);
    });
    f.get(out).get(col).i32(4).i32Mul().i32Add();
    f.get(lo).f32x4DemoteF64x2Zero().get(hi).f32x4DemoteF64x2Zero().i8x16Shuffle(JOIN_LOW_PAIRS).v128Store();
  });
  // The last c mod 4 columns one at a time (col continues from the loop above).
  f.forLoop(col, () => f.get(col), () => f.get(c), 1, () => {
    f.f64(0).set(s);
    f.forLoop(i, () => f.i32(0), () => f.get(n), 1, () => { f.get(s); element().f32Load().f64PromoteF32().f64Add().set(s); });
    f.get(out).get(col).i32(4).i32Mul().i32Add().get(s).f32DemoteF64().f32Store();
  });
}
