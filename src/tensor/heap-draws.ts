/**
 * The seeded generator's bulk draws (random.ts: fillUniform, shuffle) on the
 * WebAssembly module (wasm/draws.ts), for the wasm backend: the same numbers
 * in the same order, from a copy of the generator's four state words in the
 * heap that goes back to random.ts after each call (the formulas, and how
 * the WebAssembly keeps JavaScript's bits: wasm/draws.ts).
 *
 * Why: at a program's first fit V8 has compiled none of its JavaScript yet,
 * and the interpreter took 7–11 ms to draw the tutorial's 784x256 kernel and
 * 4–7 ms to shuffle 6,000 rows; the module's functions are compiled at their
 * first call and take a fraction of that.
 */
import { generatorState, fillUniform, shuffle } from "./random.js";
import { heapInt32, inHeap } from "./heap.js";
import type { SimdModule } from "./wasm/module.js";

/**
 * Draws a uniform call makes at a time. V8 runs a WebAssembly function's first calls in its
 * baseline code and swaps in the optimized code between calls, never inside one: the tutorial's
 * 784x256 kernel drawn in one call took 3.6–4.1 ms in a fresh process, in calls of 16,384 1.8–1.9
 * (65,536: 2.3–3.2; 4,096: 1.7–2.6); 0.5–0.8 once optimized.
 */
export const DRAW_CHUNK = 16384;

export class HeapDraws {
  /** The state words' copy in the heap (undefined until the first draw, or when the heap is full). */
  private state: Int32Array | undefined;

  constructor(private readonly simd: SimdModule) {}

  /** out[i] = lo + (hi − lo) · u_i: fillUniform's floats */
  uniform(out: Float32Array, lo: number, hi: number): void {
    const state = this.stateInHeap();
    if (!state || !inHeap(out)) return fillUniform(out, lo, hi);
    for (let at = 0; at < out.length; at += DRAW_CHUNK) {
      this.simd.uniform(out.byteOffset + 4 * at, Math.min(DRAW_CHUNK, out.length - at), state.byteOffset, lo, hi);
    }
    generatorState().set(state);
  }

  /** a in shuffle's order (Fisher–Yates) */
  shuffle(a: Int32Array): void {
    const state = this.stateInHeap();
    if (!state || !inHeap(a)) return shuffle(a);
    this.simd.shuffle(a.byteOffset, a.length, state.byteOffset);
    generatorState().set(state);
  }

  /** The generator's state words, copied into the heap for the module to draw from. */
  private stateInHeap(): Int32Array | undefined {
    this.state ??= heapInt32(4);
    this.state?.set(generatorState());
    return this.state;
  }
}
