/**
 * The one step every product's sum repeats, sum + a·b, in the two forms a
 * module is written in (wasm/module.ts: fused or not). The dense kernel
 * (microkernel.ts) and the sparse ones (sparse.ts) take it from here, so the
 * same module rounds every term of every product the same way:
 *
 *   unfused   f32x4.mul, then f32x4.add     the product rounded to float32, then the sum
 *                                           (exactly the scalar c + a·b in float32)
 *   fused     f32x4.relaxed_madd            a·b + sum rounded once, where the machine has
 *                                           a fused multiply-add (x86-64 FMA3, ARM NEON);
 *                                           relaxed SIMD leaves it to the machine, so where
 *                                           it has none this is the unfused form
 *
 * relaxed_madd is relaxed SIMD (WebAssembly 3.0): Node 22 and later, Chrome 114
 * and later validate it; Node 20 only with --experimental-wasm-relaxed-simd.
 */
import type { FunctionWriter } from "./binary.js";

/**
 * Pops sum, a, b (three v128) and pushes sum + a·b in each lane: one
 * relaxed_madd when fused, else a multiply, then an add (each rounded).
 */
export function multiplyAdd(f: FunctionWriter, fused: boolean, sum: () => void, a: () => void, b: () => void): void {
  if (fused) {
    a(); b(); sum(); f.f32x4RelaxedMadd();
  } else {
    sum(); a(); b(); f.f32x4Mul().f32x4Add();
  }
}

/** The same for single f32 values: when fused, as lane 0 of a relaxed_madd, so that it rounds as the lanes do. */
export function multiplyAddScalar(f: FunctionWriter, fused: boolean, sum: () => void, a: () => void, b: () => void): void {
  if (fused) {
    multiplyAdd(f, true, () => { sum(); f.f32x4Splat(); }, () => { a(); f.f32x4Splat(); }, () => { b(); f.f32x4Splat(); });
    f.f32x4ExtractLane(0);
  } else {
    sum(); a(); b(); f.f32Mul().f32Add();
  }
}
