// Deterministic test data, independent of purenn's own generator.
import { Matrix } from "../../src/core.js";
import { allocFloat32 } from "../../src/tensor/alloc.js";

/** The bytes of an array or a matrix's values, to compare results bit for bit. */
export function bits(m: Matrix | Float32Array): Buffer {
  const d = m instanceof Matrix ? m.data : m;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * A copy of the values in the heap, where the SIMD module reaches them (a
 * `new Matrix(rows, cols, data)` keeps `data` itself, which may lie outside it).
 */
export function heapCopy(values: ArrayLike<number>): Float32Array {
  const a = allocFloat32(values.length);
  a.set(values);
  return a;
}

/** A small linear congruential generator: the same numbers on every run. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A rows x cols matrix of uniform values in [lo, hi). */
export function randomMatrix(rows: number, cols: number, rand: () => number, lo = -1, hi = 1): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = lo + (hi - lo) * rand();
  return m;
}

/** One-hot rows for random classes. */
export function randomOneHot(rows: number, classes: number, rand: () => number): Matrix {
  const m = new Matrix(rows, classes);
  for (let i = 0; i < rows; i++) m.data[i * classes + Math.floor(rand() * classes)] = 1;
  return m;
}

/**
 * Gaussian blobs: `classes` centres in `dim` dimensions, samples scattered
 * around them. Separable enough that a small network learns it.
 */
export function blobs(n: number, dim: number, classes: number, seed: number, spread = 0.6): { x: Matrix; y: Matrix } {
  const rand = lcg(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => rand()));
  const x = new Matrix(n, dim);
  const y = new Matrix(n, classes);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * classes);
    y.data[i * classes + c] = 1;
    for (let j = 0; j < dim; j++) {
      x.data[i * dim + j] = Math.min(1, Math.max(0, centres[c][j] + spread * (rand() - 0.5)));
    }
  }
  return { x, y };
}

/** Largest |out − ref| divided by the largest |ref|: a relative error for a whole product. */
export function maxRelativeError(out: Float32Array, ref: Float64Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(out[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / (scale || 1);
}
