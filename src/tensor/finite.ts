/**
 * Whether every value of a float32 array is a finite number:
 *
 *   allFinite(a) = true when no a[i] is NaN, +Infinity or −Infinity
 *
 * It is the data check at the door of fit, evaluate and predict
 * (../model/checks.ts), which reads every value of the data on every call:
 * 47 million of them for MNIST's training set. Under the SIMD kernel, with the
 * array in the heap, one WebAssembly pass answers, four floats an instruction
 * (wasm/finite.ts: x − x is 0 exactly when x is finite); otherwise the plain
 * loop below, which is the definition.
 */
import { simdKernelFor } from "./kernel.js";

export function allFinite(a: Float32Array): boolean {
  const simd = simdKernelFor(a);
  return simd ? simd.allFinite(a.byteOffset, a.length) : allFiniteNaive(a);
}

/** The definition, one value at a time. */
export function allFiniteNaive(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
