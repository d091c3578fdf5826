// Products with a mostly-zero input under the wasm backend (tensor/wasm/sparse.ts): the
// first layer's x·W and xᵀ·dz taken over x's non-zero entries only give exactly the dense
// SIMD product's bits, on every shape and on MNIST-like inputs; dense inputs keep the dense product.
import { describe, it, expect, vi, afterEach } from "vitest";
import { Matrix, getBackend } from "../src/index.js";
import { backend } from "../src/tensor/backend.js";
import { Gradient } from "../src/tensor/parameter.js";
import type { WasmBackend } from "../src/tensor/wasm-backend.js";
import { bits, lcg } from "./helpers/data.js";

const wasm = getBackend() === "wasm";

/** rows x cols in the heap, each value non-zero with probability `density` (with some −0s, which count as zero). */
function sparseMatrix(rows: number, cols: number, density: number, rand: () => number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) {
    const r = rand();
    m.data[i] = r < density ? (rand() - 0.5) * 4 : r < density + 0.01 ? -0 : 0;
  }
  return m;
}

function denseMatrix(rows: number, cols: number, rand: () => number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = (rand() - 0.5) * 2;
  return m;
}

describe.runIf(wasm)("sparse products (wasm backend)", () => {
  afterEach(() => vi.restoreAllMocks());
  const b = () => backend() as WasmBackend;
  const shapes: [number, number, number][] = [
    [1, 5, 1], [3, 37, 3], [4, 9, 4], [5, 16, 7], [32, 784, 256], [7, 100, 33], [13, 50, 70], [128, 784, 10], [2, 3, 36],
  ];

  it("x·W + b has the dense product's bits, and takes the sparse path", () => {
    const product = vi.spyOn(b().simd, "sparseProduct");
    const rand = lcg(7);
    for (const [n, c, dout] of shapes) {
      const x = sparseMatrix(n, c, 0.2, rand), W = denseMatrix(c, dout, rand), bias = denseMatrix(1, dout, rand);
      const sparse = new Matrix(n, dout), dense = new Matrix(n, dout);
      backend().affine(sparse, x, W, bias);
      backend().matmul(dense, x, W); // the dense SIMD product, every term
      for (let i = 0; i < n; i++) for (let j = 0; j < dout; j++) dense.data[i * dout + j] += bias.data[j];
      expect(bits(sparse).equals(bits(dense)), `${n}x${c}x${dout}`).toBe(true);
    }
    expect(product).toHaveBeenCalledTimes(shapes.length);
  });

  it("xᵀ·dz as the rows of x's non-zero columns has the dense product's bits, and zeros elsewhere", () => {
    const columns = vi.spyOn(b().simd, "sparseColumns");
    const rand = lcg(11);
    for (const [n, c, dout] of shapes) {
      const x = sparseMatrix(n, c, 0.15, rand), dz = denseMatrix(n, dout, rand);
      const g = new Gradient(c, dout);
      backend().weightGradient(g, x, dz);
      const dense = new Matrix(c, dout);
      backend().matmulTransA(dense, x, dz);
      expect(g.rowForm, `${n}x${c}x${dout}: held as rows`).toBeDefined();
      // The rows held are exactly the columns of x with a non-zero value.
      const used = Array.from({ length: c }, (_, p) => Array.from({ length: n }, (_, i) => x.data[i * c + p]).some((v) => v !== 0));
      const usedColumns = used.flatMap((u, p) => (u ? [p] : []));
      expect(Array.from(g.rowForm!.index)).toEqual(usedColumns);
      expect(columns.mock.results.at(-1)?.value).toBe(usedColumns.length);
      const whole = g.whole();
      expect(bits(whole).equals(bits(dense)), `${n}x${c}x${dout}`).toBe(true);
    }
    expect(columns).toHaveBeenCalledTimes(shapes.length);
  });

  it("a dense input (half or more non-zero) keeps the dense product", () => {
    const product = vi.spyOn(b().simd, "sparseProduct");
    const rand = lcg(3);
    const x = sparseMatrix(32, 784, 0.6, rand), W = denseMatrix(784, 16, rand);
    const z = new Matrix(32, 16), dense = new Matrix(32, 16);
    backend().affine(z, x, W, undefined);
    backend().matmul(dense, x, W);
    expect(product).not.toHaveBeenCalled();
    expect(bits(z).equals(bits(dense))).toBe(true);
  });

  it("a NaN in x reaches the result, as in the dense product", () => {
    const rand = lcg(5);
    const x = sparseMatrix(8, 40, 0.1, rand), W = denseMatrix(40, 12, rand);
    x.data[3 * 40 + 17] = NaN;
    const z = new Matrix(8, 12);
    backend().affine(z, x, W, undefined);
    for (let j = 0; j < 12; j++) expect(z.data[3 * 12 + j]).toBeNaN();
    expect(z.data.filter(Number.isNaN).length).toBe(12);
  });
});
