/**
 * The sigmoid y = 1 / (1 + exp(−x)) over float32 arrays, as WebAssembly SIMD,
 * computed in float64 so that the float32 result is JavaScript's (the loop in
 * ../elementwise.ts, `1 / (1 + Math.exp(−x))` stored to a Float32Array):
 *
 *   t = clamp(−x, −20, 104)         t < −20 ? −20 : t, then 104 < t ? 104 : t (NaN stays NaN)
 *   n = round(t·log2(e))            an integer, so that exp(t) = 2ⁿ·exp(r)
 *   r = t − n·ln2_hi − n·ln2_lo     |r| ≤ ln2/2 (plus rounding)
 *   exp(r) ≈ Σ_{k≤12} rᵏ/k!         Taylor, Horner; the rest, r¹³/13!, is below 2e-16
 *   2ⁿ                              built from n's bits: exponent field n + 1023
 *   y = 1 / (1 + 2ⁿ·exp(r))         in float64, then rounded once to float32
 *
 * The clamp changes no float32 result. For −x < −17.33, exp(−x) < 2⁻²⁵ and
 * 1/(1 + exp(−x)) rounds to 1 (the float32 below 1 is 1 − 2⁻²⁴), for
 * JavaScript as here: so −x below −20 may be taken as −20. For −x > 103.98,
 * 1/(1 + exp(−x)) < 2⁻¹⁵⁰, half the smallest float32, and rounds to 0: so −x
 * above 104 may be taken as 104 (JavaScript reaches 0 the same way, or by
 * exp = Infinity past 709.78). Within the clamp 2ⁿ is a normal float64
 * (n from −29 to 150), so its bits are just the exponent field.
 *
 * n and its bits come from one addition of the "magic number" M = 1.5·2⁵²:
 * the float64s in [2⁵², 2⁵³) are the integers, so k = t·log2(e) + M rounds
 * t·log2(e) to the nearest integer n and holds it in its low bits (k = M + n);
 * then n = k − M exactly. Shifting k's bits left by 52 leaves n in the sign
 * and exponent field (two's complement, mod 2¹²), and adding the bits of 1.0
 * (1023 << 52) gives 2ⁿ. ln 2 is split in two (Cody and Waite): ln2_hi,
 * fdlibm's, has 32 significant bits, so n·ln2_hi is exact, and so is
 * t − n·ln2_hi (the two are within a factor of 2); r carries only ln2_lo's
 * rounding.
 *
 * Accuracy: exp is within 4e-16 (relative) of Math.exp on the clamp's range,
 * so the float32 results differ from JavaScript's only when the float64 value
 * lies that close to a float32 rounding boundary: none did among 268 million
 * inputs (every 16th float32 bit pattern). test/wasm-sigmoid.test.ts checks
 * ≤ 1 ulp on a million, and the special values exactly.
 *
 * The code: four floats per v128.load, the low and the high pair promoted to
 * f64x2 as in loops.ts, the math above in f64x2, each pair demoted and the two
 * rejoined. Sixteen floats per iteration (eight independent chains of
 * multiply-adds in flight), then four, then the last n mod 4 one at a time
 * through the same operations in scalar f64, emitted from the same lines
 * (`Lanes`), so an element's bits do not depend on where a range starts or
 * ends. The clamp is f64x2.pmax / pmin (one x86 instruction each; f64x2.min
 * and max cost seven), whose comparison fails for NaN and so keeps t; the
 * scalar code writes the same comparison with `select`.
 * Measured (Node 20, one core of a Xeon, 8192 elements): 2.4 ns an element,
 * against 10.5 for the JavaScript loop; 4.7 with four floats per iteration
 * and f64x2.min / max.
 *
 *   sigmoid(y, x, start, end)     y[i] = 1/(1 + exp(−x[i])),  i in [start, end)
 * y, x are byte offsets of float32 arrays (y may be x).
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";
import { HIGH_PAIR_TO_LOW, JOIN_LOW_PAIRS } from "./lanes.js";

const T_MIN = -20;
const T_MAX = 104;
const MAGIC = 1.5 * 2 ** 52;
const LN2_HI = 6.93147180369123816490e-1; // 0x3fe62e42fee00000: the top 32 bits of ln 2
const LN2_LO = 1.90821492927058770002e-10; // ln 2 − LN2_HI
const DEGREE = 12;
/** 1/k!, k = 0 … DEGREE. */
const TAYLOR = Array.from({ length: DEGREE + 1 }, (_, k) => 1 / factorial(k));

function factorial(k: number): number {
  return k <= 1 ? 1 : k * factorial(k - 1);
}


/** The instructions of one shape of float64 values, one lane (f64) or two (f64x2), and its temporaries. */
interface Lanes {
  /** Locals for t, k, n, r. */
  temps: number[];
  constant(value: number): void;
  add(): void; sub(): void; mul(): void; div(): void; neg(): void;
  /** Pops t, pushes t < c ? c : t (f64x2.pmax(t, c)): NaN stays NaN. */
  atLeast(c: number): void;
  /** Pops t, pushes c < t ? c : t (f64x2.pmin(t, c)): NaN stays NaN. */
  atMost(c: number): void;
  /** Pops k (a float64 M + n), pushes 2ⁿ: bits(k) << 52, plus bits(1.0). */
  powerOfTwo(): void;
}

function scalarLanes(f: FunctionWriter): Lanes {
  const held = f.local("f64");
  return {
    temps: [f.local("f64"), f.local("f64"), f.local("f64"), f.local("f64")],
    constant: (v) => f.f64(v),
    add: () => f.f64Add(), sub: () => f.f64Sub(), mul: () => f.f64Mul(), div: () => f.f64Div(), neg: () => f.f64Neg(),
    // select pops a, b, condition and pushes condition ? a : b
    atLeast: (c) => f.set(held).f64(c).get(held).get(held).f64(c).f64Lt().select(),
    atMost: (c) => f.set(held).f64(c).get(held).f64(c).get(held).f64Lt().select(),
    powerOfTwo: () => f.i64ReinterpretF64().i64(52).i64Shl().f64(1).i64ReinterpretF64().i64Add().f64ReinterpretI64(),
  };
}

function vectorLanes(f: FunctionWriter): Lanes {
  return {
    temps: [f.local("v128"), f.local("v128"), f.local("v128"), f.local("v128")],
    constant: (v) => f.f64x2Const(v),
    add: () => f.f64x2Add(), sub: () => f.f64x2Sub(), mul: () => f.f64x2Mul(), div: () => f.f64x2Div(), neg: () => f.f64x2Neg(),
    atLeast: (c) => f.f64x2Const(c).f64x2Pmax(),
    atMost: (c) => f.f64x2Const(c).f64x2Pmin(),
    powerOfTwo: () => f.i32(52).i64x2Shl().f64x2Const(1).i64x2Add(), // a v128 is bits: no reinterpretation
  };
}

/** Pops x (float64, one or two lanes), pushes y = 1/(1 + exp(−x)), with the steps at the top of this file. */
function emitSigmoidOf(f: FunctionWriter, s: Lanes): void {
  const [t, k, n, r] = s.temps;
  s.neg(); s.atLeast(T_MIN); s.atMost(T_MAX); f.set(t); // t = clamp(−x)
  f.get(t); s.constant(Math.LOG2E); s.mul(); s.constant(MAGIC); s.add(); f.tee(k); // k = t·log2e + M
  s.constant(MAGIC); s.sub(); f.set(n); // n = k − M
  f.get(t); f.get(n); s.constant(LN2_HI); s.mul(); s.sub(); f.get(n); s.constant(LN2_LO); s.mul(); s.sub(); f.set(r); // r
  s.constant(1); s.constant(1); // for 1 / (1 + …)
  s.constant(TAYLOR[DEGREE]); // Horner: p = p·r + 1/j!, j = DEGREE − 1 … 0
  for (let j = DEGREE - 1; j >= 0; j--) { f.get(r); s.mul(); s.constant(TAYLOR[j]); s.add(); }
  f.get(k); s.powerOfTwo(); s.mul(); // exp(t) = exp(r)·2ⁿ
  s.add(); s.div(); // y = 1 / (1 + exp(t))
}

/** Emits sigmoid(y, x, start, end), exported as "sigmoid". */
export function emitSigmoid(mod: ModuleWriter): FunctionWriter {
  const f = mod.func(["i32", "i32", "i32", "i32"], [], "sigmoid");
  const [y, x, start, end] = [0, 1, 2, 3];
  const i = f.local("i32"), at = f.local("i32");
  const X = [f.local("v128"), f.local("v128"), f.local("v128"), f.local("v128")];
  const half = [f.local("v128"), f.local("v128")];
  const vector = vectorLanes(f), scalar = scalarLanes(f);
  const address = (base: number) => f.get(base).get(at).i32Add();

  // 16 at a time while i + 16 <= end (eight independent pairs keep the multipliers busy),
  // then 4 at a time while i + 4 <= end; i continues from one loop to the next.
  f.get(start).set(i);
  for (const vectors of [4, 1]) {
    f.forLoop(i, () => f.get(i), () => f.get(end).i32(4 * vectors - 1).i32Sub(), 4 * vectors, () => {
      f.get(i).i32(4).i32Mul().set(at);
      for (let v = 0; v < vectors; v++) address(x).v128Load(16 * v).set(X[v]); // all loads first: y may be x
      for (let v = 0; v < vectors; v++) {
        for (const part of [0, 1]) {
          f.get(X[v]);
          if (part === 1) f.get(X[v]).i8x16Shuffle(HIGH_PAIR_TO_LOW);
          f.f64x2PromoteLowF32x4();
          emitSigmoidOf(f, vector);
          f.f32x4DemoteF64x2Zero().set(half[part]);
        }
        address(y).get(half[0]).get(half[1]).i8x16Shuffle(JOIN_LOW_PAIRS).v128Store(16 * v);
      }
    });
  }
  // The rest one at a time, in the same operations.
  f.forLoop(i, () => f.get(i), () => f.get(end), 1, () => {
    f.get(i).i32(4).i32Mul().set(at);
    address(y);
    address(x).f32Load().f64PromoteF32();
    emitSigmoidOf(f, scalar);
    f.f32DemoteF64().f32Store();
  });
  return f;
}
