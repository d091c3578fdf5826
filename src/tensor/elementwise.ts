/**
 * Element-by-element loops over long arrays that may be split between threads:
 * the optimizer updates, which touch every weight once per batch (235,146 of
 * them in the tutorial's network). Each element is computed by the same
 * expression whichever thread runs it, so a split changes no bit.
 *
 * A loop is named by a number (Loop), not passed as a function, because a
 * worker thread cannot receive a function: it runs `runLoop` from this module
 * on the same heap offsets (threads.node.ts).
 */

export const enum Loop {
  /** w −= lr·g */
  Sgd = 1,
  /** v = m·v − lr·g;  w += v */
  Momentum = 2,
  /** v = m·v − lr·g;  w += m·v − lr·g */
  Nesterov = 3,
}

/** Runs `loop` on elements [start, end) of the arrays, with scalars s. */
export function loopElements(loop: Loop, a: Float32Array[], s: ArrayLike<number>, start: number, end: number): void {
  switch (loop) {
    case Loop.Sgd: {
      const [w, g] = a;
      const lr = s[0];
      for (let i = start; i < end; i++) w[i] -= lr * g[i];
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
  /** Loops shorter than this stay on the caller. */
  readonly minLength: number;
  runLoop(loop: Loop, arrays: Float32Array[], scalars: number[], length: number): boolean;
}

let executor: LoopExecutor | undefined;

/** Installs (or removes) the multi-threaded executor (threads.node.ts). */
export function setLoopExecutor(e: LoopExecutor | undefined): void {
  executor = e;
}

/** Runs `loop` over every element of the arrays (all of the same length), split between threads when worth it. */
export function elementwise(loop: Loop, arrays: Float32Array[], scalars: number[]): void {
  const n = arrays[0].length;
  if (executor !== undefined && n >= executor.minLength && executor.runLoop(loop, arrays, scalars, n)) return;
  loopElements(loop, arrays, scalars, 0, n);
}

/** Thread t's share of n elements: contiguous, cut at multiples of 16 (whole cache lines). */
export function loopRange(n: number, t: number, threads: number): [number, number] {
  const cut = (i: number) => (i === threads ? n : Math.min(n, Math.floor((i * n) / threads / 16) * 16));
  return [cut(t), cut(t + 1)];
}
