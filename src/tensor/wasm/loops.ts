/**
 * The optimizer's update loops (../elementwise.ts) as WebAssembly SIMD, with
 * the same bits as the JavaScript loops.
 *
 * Plain SGD is float32 arithmetic, as TensorFlow.js and Keras compute it
 * (emitSgdLoop): w = w − f32(lr)·g, four lanes per f32x4.mul and f32x4.sub,
 * each rounded to float32 as JavaScript's Math.fround and the store round it.
 * It runs on every weight after every batch, and float32 lanes do it in about
 * a quarter of the time float64 pairs take.
 *
 * Momentum and Nesterov follow JavaScript's float64 expressions: in
 * `v[i] = m * v[i] - lr * g[i]` the values are widened (exactly), each product
 * and difference is rounded to float64, and the store rounds once to float32.
 * These loops do exactly those operations, two lanes at a time in f64x2:
 *
 *   four floats    v128.load                        w0 w1 w2 w3   (f32x4)
 *   low two        f64x2.promote_low_f32x4          w0 w1         (f64x2, exact)
 *   high two       i8x16.shuffle, then promote      w2 w3
 *   arithmetic     f64x2.mul / sub / add            rounded to float64, as JavaScript
 *   back to f32    f32x4.demote_f64x2_zero          r0 r1 0 0     (rounded to nearest)
 *   rejoin         i8x16.shuffle                    r0 r1 r2 r3,  v128.store
 *
 * These loops use no fused multiply-add (relaxed SIMD's, which the products
 * may use, multiply-add.ts) and JavaScript never fuses, so every rounding
 * happens in the same place. The
 * last n mod 4 elements go one at a time with the scalar instructions.
 *
 *   sgd(w, g, _, start, end, lr, _)        w = w − f32(lr)·g             (float32)
 *   momentum(w, g, v, start, end, lr, m)   v = m·v − lr·g;  w = w + v   (float64, then stored)
 *   nesterov(w, g, v, start, end, lr, m)   v = m·v − lr·g;  w = w + (m·v − lr·g)
 * w, g, v are byte offsets of float32 arrays; [start, end) are element indices.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";
import { HIGH_PAIR_TO_LOW, JOIN_LOW_PAIRS } from "./lanes.js";

export type UpdateRule = "sgd" | "momentum" | "nesterov";


/** Emits one update loop; exported under the rule's name. */
export function emitUpdateLoop(mod: ModuleWriter, rule: UpdateRule): FunctionWriter {
  if (rule === "sgd") return emitSgdLoop(mod);
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "f64", "f64"], [], rule);
  const [w, g, v, start, end, lr, m] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local("i32"), at = f.local("i32");
  const W = f.local("v128"), G = f.local("v128"), V = f.local("v128"), lrs = f.local("v128"), ms = f.local("v128");
  const half = [f.local("v128"), f.local("v128")]; // results of the low and high pair, demoted
  const vHalf = [f.local("v128"), f.local("v128")];

  /** Pushes lanes 0-1 (part 0) or 2-3 (part 1) of a local f32x4 as f64x2. */
  const pair = (x: number, part: number) => {
    f.get(x);
    if (part === 1) f.get(x).i8x16Shuffle(HIGH_PAIR_TO_LOW);
    f.f64x2PromoteLowF32x4();
  };
  const address = (base: number) => f.get(base).get(at).i32Add();

  f.get(lr).f64x2Splat().set(lrs);
  f.get(m).f64x2Splat().set(ms);
  // Four at a time while i + 4 <= end.
  f.forLoop(i, () => f.get(start), () => f.get(end).i32(3).i32Sub(), 4, () => {
    f.get(i).i32(4).i32Mul().set(at);
    address(w).v128Load().set(W);
    address(g).v128Load().set(G);
    address(v).v128Load().set(V);
    for (const part of [0, 1]) {
      // v = m·v − lr·g, rounded to float32 as the store into v rounds it.
      f.get(ms); pair(V, part); f.f64x2Mul(); f.get(lrs); pair(G, part); f.f64x2Mul().f64x2Sub();
      f.f32x4DemoteF64x2Zero().set(vHalf[part]);
      pair(W, part);
      if (rule === "momentum") {
        f.get(vHalf[part]).f64x2PromoteLowF32x4().f64x2Add(); // w + v
      } else {
        f.get(ms).get(vHalf[part]).f64x2PromoteLowF32x4().f64x2Mul(); // m·v
        f.get(lrs); pair(G, part); f.f64x2Mul().f64x2Sub().f64x2Add(); // w + (m·v − lr·g)
      }
      f.f32x4DemoteF64x2Zero().set(half[part]);
    }
    address(w).get(half[0]).get(half[1]).i8x16Shuffle(JOIN_LOW_PAIRS).v128Store();
    address(v).get(vHalf[0]).get(vHalf[1]).i8x16Shuffle(JOIN_LOW_PAIRS).v128Store();
  });
  // The rest one at a time, in the same operations (i continues from the loop above).
  const wi = f.local("f64"), gi = f.local("f64"), vi = f.local("f64");
  f.forLoop(i, () => f.get(i), () => f.get(end), 1, () => {
    f.get(i).i32(4).i32Mul().set(at);
    address(w).f32Load().f64PromoteF32().set(wi);
    address(g).f32Load().f64PromoteF32().set(gi);
    address(v).f32Load().f64PromoteF32().set(vi);
    // v = f32(m·v − lr·g), then read back widened
    address(v).get(m).get(vi).f64Mul().get(lr).get(gi).f64Mul().f64Sub().f32DemoteF64().f32Store();
    address(v).f32Load().f64PromoteF32().set(vi);
    address(w).get(wi);
    if (rule === "momentum") f.get(vi).f64Add();
    else f.get(m).get(vi).f64Mul().get(lr).get(gi).f64Mul().f64Sub().f64Add();
    f.f32DemoteF64().f32Store();
  });
  return f;
}

/**
 * sgd(w, g, _, start, end, lr, _): w[i] = w[i] − f32(lr)·g[i] for i in [start, end),
 * in float32: four at a time, then the rest one at a time with the same operations.
 */
function emitSgdLoop(mod: ModuleWriter): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32", "i32", "f64", "f64"], [], "sgd");
  const [w, g, , start, end, lr] = [0, 1, 2, 3, 4, 5];
  const i = f.local("i32"), at = f.local("i32"), lr32 = f.local("f32"), lrs = f.local("v128");
  const address = (base: number) => f.get(base).get(at).i32Add();
  f.get(lr).f32DemoteF64().tee(lr32).f32x4Splat().set(lrs);
  f.forLoop(i, () => f.get(start), () => f.get(end).i32(3).i32Sub(), 4, () => {
    f.get(i).i32(4).i32Mul().set(at);
    address(w); address(w).v128Load(); f.get(lrs); address(g).v128Load(); f.f32x4Mul().f32x4Sub().v128Store();
  });
  f.forLoop(i, () => f.get(i), () => f.get(end), 1, () => {
    f.get(i).i32(4).i32Mul().set(at);
    address(w); address(w).f32Load(); f.get(lr32); address(g).f32Load(); f.f32Mul().f32Sub().f32Store();
  });
  return f;
}
