/**
 * The seeded generator's bulk draws (../random.ts) as WebAssembly, with the
 * bits of the JavaScript loops:
 *
 *   uniform(out, count, state, lo, hi)
 *       out[i] = float32(lo + (hi − lo) · (d · 2⁻³²)),  d the next draw, for i < count
 *       (random.ts: fillUniform, the weight initializers' loop)
 *   shuffle(a, n, state)
 *       for i = n − 1 down to 1:  j = ⌊d · 2⁻³² · (i + 1)⌋,  swap a[i] and a[j]
 *       (random.ts: shuffle, Fisher–Yates on an int32 array: fit's row order)
 *
 * d is the generator's next 32-bit draw, xoshiro128** on the four state words
 * at `state`, which each function reads first and writes back at the end; the
 * integer steps are random.ts's (i32.rotl is the rotation it writes with
 * shifts). The float math is JavaScript's too: d / 2³² is exact (d · 2⁻³²
 * here), each multiply and add is one float64 operation, and a store to a
 * Float32Array rounds once to float32. ⌊·⌋ of a value in [0, i + 1) is its
 * truncation (i32.trunc_f64_u).
 *
 * (Why as WebAssembly: ../heap-draws.ts.)
 * a, out and state are byte offsets (int32, float32 and uint32 arrays); lo, hi float64.
 */
import type { FunctionWriter, ModuleWriter } from "./binary.js";

/** Emits uniform(out, count, state, lo, hi) and shuffle(a, n, state), exported under those names. */
export function emitDraws(mod: ModuleWriter): void {
  emitUniform(mod);
  emitShuffle(mod);
}

/** The generator in four i32 locals, loaded from and stored to the state words at the byte offset in local `at`. */
interface Generator {
  load(): void;
  store(): void;
  /** Sets local `draw` to the next 32-bit draw and steps the state. */
  next(draw: number): void;
}

function generator(f: FunctionWriter, at: number): Generator {
  const s = [f.local("i32"), f.local("i32"), f.local("i32"), f.local("i32")];
  const t = f.local("i32");
  const xorInto = (a: number, b: number) => f.get(s[a]).get(s[b]).i32Xor().set(s[a]);
  return {
    load: () => s.forEach((word, w) => f.get(at).i32Load(4 * w).set(word)),
    store: () => s.forEach((word, w) => f.get(at).get(word).i32Store(4 * w)),
    next: (draw) => {
      // draw = rotl(s1 · 5, 7) · 9;  t = s1 << 9;  then the state steps
      f.get(s[1]).i32(5).i32Mul().i32(7).i32Rotl().i32(9).i32Mul().set(draw);
      f.get(s[1]).i32(9).i32Shl().set(t);
      xorInto(2, 0);
      xorInto(3, 1);
      xorInto(1, 2);
      xorInto(0, 3);
      f.get(s[2]).get(t).i32Xor().set(s[2]);
      f.get(s[3]).i32(11).i32Rotl().set(s[3]);
    },
  };
}

/** Pushes the draw in local `draw` as a float64 in [0, 1): draw · 2⁻³². */
function unit(f: FunctionWriter, draw: number): void {
  f.get(draw).f64ConvertI32U().f64(2 ** -32).f64Mul();
}

function emitUniform(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32", "f64", "f64"], [], "uniform");
  const [out, count, state, lo, hi] = [0, 1, 2, 3, 4];
  const i = f.local("i32"), draw = f.local("i32"), width = f.local("f64");
  const g = generator(f, state);
  g.load();
  f.get(hi).get(lo).f64Sub().set(width);
  f.forLoop(i, () => f.i32(0), () => f.get(count), 1, () => {
    g.next(draw);
    f.get(out).get(i).i32(4).i32Mul().i32Add(); // where: out[i]
    f.get(lo).get(width);
    unit(f, draw);
    f.f64Mul().f64Add().f32DemoteF64().f32Store();
  });
  g.store();
}

function emitShuffle(mod: ModuleWriter): void {
  const f = mod.func(["i32", "i32", "i32"], [], "shuffle");
  const [a, n, state] = [0, 1, 2];
  const i = f.local("i32"), j = f.local("i32"), draw = f.local("i32"), held = f.local("i32");
  const at = (index: number) => f.get(a).get(index).i32(4).i32Mul().i32Add();
  const g = generator(f, state);
  g.load();
  f.get(n).i32(1).i32Sub().set(i);
  f.block((done) => {
    f.loop((top) => {
      f.get(i).i32(1).i32LtS().brIf(done);
      g.next(draw);
      unit(f, draw);
      f.get(i).i32(1).i32Add().f64ConvertI32U().f64Mul().i32TruncF64U().set(j);
      at(i).i32Load().set(held);
      at(i); at(j).i32Load(); f.i32Store();
      at(j).get(held).i32Store();
      f.get(i).i32(1).i32Sub().set(i).br(top);
    });
  });
  g.store();
}
