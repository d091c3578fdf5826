import { describe, it, expect } from "vitest";
import { Matrix, argmax, setRandomSeed } from "../src/core.js";
import { uniform, normal, shuffle, fillUniform, nextUint32 } from "../src/tensor/random.js";

describe("Matrix", () => {
  it("is row-major: (i, j) at data[i·cols + j]", () => {
    const m = Matrix.fromArray([[1, 2, 3], [4, 5, 6]]);
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.get(1, 0)).toBe(4);
    expect(m.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(() => m.get(2, 0)).toThrow(/Matrix.get\(2, 0\) is outside a matrix of shape \[2, 3\]/);
  });

  it("wraps a given Float32Array without copying; copies number arrays", () => {
    const data = new Float32Array([1, 2]);
    expect(new Matrix(1, 2, data).data).toBe(data);
    expect(new Matrix(2, 1, [7, 8]).toArray()).toEqual([[7], [8]]);
    expect(new Matrix(2, 2).toArray()).toEqual([[0, 0], [0, 0]]);
  });

  it("slice(start, end) copies rows, like Array.prototype.slice", () => {
    const m = Matrix.fromArray([[1], [2], [3], [4]]);
    expect(m.slice(1, 3).toArray()).toEqual([[2], [3]]);
    expect(m.slice(2).toArray()).toEqual([[3], [4]]);
    expect(m.slice(-1).toArray()).toEqual([[4]]);
    expect(m.slice(0, 10).rows).toBe(4);
    const s = m.slice(0, 1);
    s.data[0] = 99;
    expect(m.get(0, 0)).toBe(1);
    expect(() => m.slice(3, 1)).toThrow(/selects no rows of a matrix with 4 rows/);
  });

  it("argmax along rows and columns, first index on ties", () => {
    const m = [[0.1, 0.7, 0.2], [0.5, 0.5, 0], [0, 0, 1]];
    expect(Array.from(argmax(m, 1))).toEqual([1, 0, 2]);
    expect(Array.from(argmax(m, 0))).toEqual([1, 0, 2]);
  });
});

describe("seeded random generator", () => {
  it("repeats its draws after the same seed", () => {
    setRandomSeed(9);
    const a = [uniform(), normal(), uniform(-3, 3)];
    const order = Int32Array.from({ length: 20 }, (_, i) => i);
    shuffle(order);
    setRandomSeed(9);
    expect([uniform(), normal(), uniform(-3, 3)]).toEqual(a);
    const again = Int32Array.from({ length: 20 }, (_, i) => i);
    shuffle(again);
    expect(Array.from(again)).toEqual(Array.from(order));
    expect(Array.from(order).sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("draws uniform values in range and normal values with the right moments", () => {
    setRandomSeed(10);
    const n = 100_000;
    let lo = Infinity, hi = -Infinity, sum = 0, sq = 0;
    for (let i = 0; i < n; i++) {
      const u = uniform(-2, 2);
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      const z = normal(1, 3);
      sum += z;
      sq += (z - 1) ** 2;
    }
    expect(lo).toBeGreaterThanOrEqual(-2);
    expect(hi).toBeLessThan(2);
    expect(sum / n).toBeCloseTo(1, 1); // standard error 3/√n ≈ 0.01
    expect(Math.sqrt(sq / n)).toBeCloseTo(3, 1);
  });

  it("fillUniform gives the floats uniform gives one by one, in a heap matrix and in a plain array", () => {
    for (const out of [new Matrix(7, 11).data, new Float32Array(77)]) {
      setRandomSeed(6);
      nextUint32();
      fillUniform(out, -0.3, 0.7);
      const next = nextUint32();
      setRandomSeed(6);
      nextUint32();
      for (let i = 0; i < out.length; i++) expect(out[i], `value ${i}`).toBe(Math.fround(uniform(-0.3, 0.7)));
      expect(nextUint32()).toBe(next);
    }
  });

  it("rejects a seed that is not an integer", () => {
    expect(() => setRandomSeed(1.5)).toThrow(/setRandomSeed expects an integer seed, got 1.5/);
  });
});
