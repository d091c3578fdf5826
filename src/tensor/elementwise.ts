/**
 * Element-by-element loops over long arrays that may be split between threads:
 * the optimizer updates, which touch every weight once per batch (235,146 of
 * them in the tutorial's network), and the sigmoid activation. Each element is
 * computed by the same expression whichever thread runs it, so a split changes
 * no bit.
 *
 * A loop is named by a number (Loop), not passed as a function, because a
 * worker thread cannot receive a function: it runs `loopElements` from this
 * module on the same heap offsets (threads.node.ts). The loops below compute
 * each element by the reference backend's formula (reference.ts); under the
 * wasm backend the update rules run as WebAssembly with the same bits
 * (wasm/loops.ts), and the sigmoid as WebAssembly in float64: its float32
 * result within one ulp of the loop's, and in practice the same bits
 * (wasm/sigmoid.ts).
 */
import { sgdStep, sigmoidOf } from "./reference.js";
import type { SimdModule } from "./wasm/module.js";

export const enum Loop {
  /** w −= lr·g, in float32 arithmetic as TensorFlow.js and Keras compute it (see the loop) */
  Sgd = 1,
  /** v = m·v − lr·g;  w += v */
  Momentum = 2,
  /** v = m·v − lr·g;  w += m·v − lr·g */
  Nesterov = 3,
  /** y = 1 / (1 + exp(−x)), the sigmoid activation: costly per element, so split from short lengths on */
  Sigmoid = 4,
}

/**
 * Shortest length worth splitting, per loop: a sigmoid costs several times an update per element
 * (in WebAssembly 2.4 ns against ~0.15; 8192 of them took 19.4 µs on one thread, 13.5 on two,
 * alone). From 2¹⁴: at batch 32 (8192) the product before it stays on the caller
 * (threads.node.ts: MIN_SIMD_FLOPS), and a worker would read rows from the caller's cache.
 * An update reads a gradient the caller has just written and is bound by memory, not
 * arithmetic: split, the worker reads its half from the caller's cache. From 2¹⁸ (1 MB of
 * weights), so the tutorial's (the second layer's 2¹⁵) stay on the caller: split, fits of
 * 30,000 samples at batch 32 with every job split took 0.72–0.92 s, against 0.63–0.65 s
 * with the updates on the caller (as on one thread); alone, a loop of 2¹⁵ took 11.0 µs on
 * one thread and 11.2 on two, of 2¹⁷ 27.4 and 20.7, of 2¹⁸ 42.3 and 39.2 (a throwaway loop,
 * repeated: each thread's half stays warm in its own cache, which a fit's fresh gradient is
 * not, so the gain at 2¹⁷ is the most splitting could give). Not from 2¹⁷: at batch 128,
 * with updates split from 2¹⁵ or not at all, the fastest of 15 fits were within 2% (349–354 ms).
 */
const MIN_UPDATE = 1 << 18;
const MIN_LENGTH: Record<Loop, number> = { [Loop.Sgd]: MIN_UPDATE, [Loop.Momentum]: MIN_UPDATE, [Loop.Nesterov]: MIN_UPDATE, [Loop.Sigmoid]: 1 << 14 };

/** The SIMD module's name for each update rule (wasm/loops.ts). */
const RULES = { [Loop.Sgd]: "sgd", [Loop.Momentum]: "momentum", [Loop.Nesterov]: "nesterov" } as const;

/**
 * Runs `loop` on elements [start, end) of the arrays, with scalars s: in
 * WebAssembly SIMD when `simd` is given (the arrays are then in the heap; see
 * wasm/loops.ts and wasm/sigmoid.ts), else in the plain loops below.
 */
export function loopElements(loop: Loop, a: Float32Array[], s: ArrayLike<number>, start: number, end: number, simd?: SimdModule): void {
  if (simd !== undefined) {
    if (loop === Loop.Sigmoid) simd.sigmoid(a[0].byteOffset, a[1].byteOffset, start, end);
    else simd.update(RULES[loop], a[0].byteOffset, a[1].byteOffset, a[2]?.byteOffset ?? 0, start, end, s[0], s[1] ?? 0);
    return;
  }
  switch (loop) {
    case Loop.Sgd: {
      const [w, g] = a;
      const lr32 = Math.fround(s[0]);
      for (let i = start; i < end; i++) w[i] = sgdStep(w[i], g[i], lr32);
      return;
    }
    case Loop.Momentum: {
      const [w, g, v] = a;
      const lr = s[0], m = s[1];
      for (let i = start; i < end; i++) {
        v[i] = m * v[i] - lr * g[i];
        w[i] += v[i];
      }
      return;
    }
    case Loop.Sigmoid: {
      const [y, x] = a;
      for (let i = start; i < end; i++) y[i] = sigmoidOf(x[i]);
      return;
    }
    case Loop.Nesterov: {
      const [w, g, v] = a;
      const lr = s[0], m = s[1];
      for (let i = start; i < end; i++) {
        v[i] = m * v[i] - lr * g[i];
        w[i] += m * v[i] - lr * g[i];
      }
      return;
    }
  }
}

/** Splits a loop between threads when it can; false to run it on the caller. */
export interface LoopExecutor {
  runLoop(loop: Loop, arrays: Float32Array[], scalars: number[], length: number, simd: boolean): boolean;
}

let executor: LoopExecutor | undefined;

/** Installs (or removes) the multi-threaded executor (threads.node.ts). */
export function setLoopExecutor(e: LoopExecutor | undefined): void {
  executor = e;
}

/**
 * Runs `loop` over every element of the arrays (all of the same length), split
 * between threads when worth it; in WebAssembly when `simd` is given (the
 * arrays are then in the heap).
 */
export function elementwise(loop: Loop, arrays: Float32Array[], scalars: number[], simd?: SimdModule): void {
  const n = arrays[0].length;
  if (executor !== undefined && n >= MIN_LENGTH[loop] && executor.runLoop(loop, arrays, scalars, n, simd !== undefined)) return;
  loopElements(loop, arrays, scalars, 0, n, simd);
}
