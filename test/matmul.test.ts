import { describe, it, expect, vi } from "vitest";
import { Matrix, matmul, matmulTransA, matmulTransB, matmulNaive } from "../src/core.js";
import { lcg, randomMatrix, maxRelativeError } from "./helpers/data.js";

/** float64 reference: C(i, j) = Σ_p A(i, p)·B(p, j), with A, B possibly transposed. */
function reference(a: Matrix, b: Matrix, transA: boolean, transB: boolean): Float64Array {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const n = transB ? b.rows : b.cols;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (transA ? a.data[p * a.cols + i] : a.data[i * a.cols + p]) * (transB ? b.data[j * b.cols + p] : b.data[p * b.cols + j]);
      }
      out[i * n + j] = s;
    }
  }
  return out;
}


// (m, k, n): awkward shapes (1x1x1, one past a 4x4 tile, one past the 256 k-slice) and the MNIST shapes.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 13, 5], [5, 4, 4], [4, 257, 9], [33, 784, 257], [128, 784, 256], [32, 256, 128], [32, 128, 10],
];

describe("matmul forms agree with a float64 triple loop to 1e-5 relative", () => {
  const rand = lcg(7);
  for (const [m, k, n] of SHAPES) {
    it(`A·B, A·Bᵀ, Aᵀ·B at ${m}x${k}x${n}`, () => {
      const a = randomMatrix(m, k, rand);
      const b = randomMatrix(k, n, rand);
      const out = new Matrix(m, n);
      matmul(out, a, b);
      expect(maxRelativeError(out.data, reference(a, b, false, false))).toBeLessThan(1e-5);

      const bt = randomMatrix(n, k, rand); // b stored as (n, k): out = a·btᵀ
      matmulTransB(out, a, bt);
      expect(maxRelativeError(out.data, reference(a, bt, false, true))).toBeLessThan(1e-5);

      const at = randomMatrix(k, m, rand); // a stored as (k, m): out = atᵀ·b
      matmulTransA(out, at, b);
      expect(maxRelativeError(out.data, reference(at, b, true, false))).toBeLessThan(1e-5);

      // The naive kernel is the definition: it agrees too.
      const naive = new Matrix(m, n);
      matmulNaive(naive, a, b);
      expect(maxRelativeError(naive.data, reference(a, b, false, false))).toBeLessThan(1e-6);
    });
  }

  it("overwrites the output instead of adding to it", () => {
    const a = Matrix.fromArray([[1, 2], [3, 4]]);
    const b = Matrix.fromArray([[5, 6], [7, 8]]);
    const out = Matrix.fromArray([[100, 100], [100, 100]]);
    matmul(out, a, b);
    expect(out.toArray()).toEqual([[19, 22], [43, 50]]);
    matmulTransB(out, a, b); // a·bᵀ = [[1·5+2·6, 1·7+2·8], [3·5+4·6, 3·7+4·8]]
    expect(out.toArray()).toEqual([[17, 23], [39, 53]]);
    matmulTransA(out, a, b); // aᵀ·b = [[1·5+3·7, 1·6+3·8], [2·5+4·7, 2·6+4·8]]
    expect(out.toArray()).toEqual([[26, 30], [38, 44]]);
  });

  it("rejects mismatched shapes with the shapes in the message", () => {
    const a = new Matrix(2, 3), b = new Matrix(4, 5);
    expect(() => matmul(new Matrix(2, 5), a, b)).toThrow(/a is \[2, 3\] and b is \[4, 5\]/);
    expect(() => matmul(new Matrix(3, 3), a, new Matrix(3, 3))).toThrow(/out must be \[2, 3\], got \[3, 3\]/);
  });
});

describe("products that skip all-zero columns of the input", () => {
  it("the backend finds the same non-zero columns from the heap (SIMD pass) and from plain arrays (loop): −0 is zero, NaN is not", async () => {
    const { nonzeroColumns } = await import("../src/tensor/ops.js");
    const { backend } = await import("../src/tensor/backend.js");
    const { JsBackend } = await import("../src/tensor/js-backend.js");
    const { WasmBackend } = await import("../src/tensor/wasm-backend.js");
    const { Gradient } = await import("../src/tensor/parameter.js");
    const { inHeap } = await import("../src/tensor/heap.js");
    const current = backend();
    const simd = current instanceof WasmBackend ? current.simd : undefined;
    // The SIMD pass must really run: the column pass, or (a mostly-zero x, as these are) the scan
    // for x's entries and their columns (wasm/sparse.ts).
    const calls = simd ? vi.spyOn(simd, "nonzeroColumns") : undefined;
    const sparseCalls = simd ? vi.spyOn(simd, "sparseColumns") : undefined;
    const rand = lcg(5);
    for (const [n, c] of [[1, 1], [3, 5], [2, 8], [33, 9], [32, 784]]) {
      const x = randomMatrix(n, c, rand);
      const expected: number[] = [];
      for (let j = 0; j < c; j++) {
        const kind = j % 5; // 0: all zero, 1: all −0, 2: one non-zero in the last row, 3: a NaN, 4: random
        for (let i = 0; i < n; i++) {
          const v = kind === 0 ? 0 : kind === 1 ? -0 : kind === 2 ? (i === n - 1 ? 1e-30 : 0) : kind === 3 ? (i === 0 ? NaN : 0) : x.data[i * c + j];
          x.data[i * c + j] = v;
        }
        if (kind >= 2) expected.push(j);
      }
      // The definition, the loop in ops.ts.
      const plain = new Int32Array(c);
      const viaLoop = nonzeroColumns(new Matrix(n, c, Float32Array.from(x.data)), plain);
      expect(Array.from(plain.subarray(0, viaLoop)), `[${n}, ${c}] loop`).toEqual(expected);
      // The fast backends skip the other columns and hold dW = xᵀ·dz as the rows of these (3 of 5 columns: below 80%).
      if (!(current instanceof JsBackend)) continue;
      const outside = new Matrix(n, c, Float32Array.from(x.data));
      expect(inHeap(x.data) && !inHeap(outside.data), "one x in the heap, one outside").toBe(true);
      for (const [where, input] of [["heap", x], ["plain", outside]] as const) {
        const dW = new Gradient(c, 3);
        current.weightGradient(dW, input, randomMatrix(n, 3, rand));
        expect(dW.rowForm, `[${n}, ${c}] ${where}: held as rows`).toBeDefined();
        expect(Array.from(dW.rowForm!.index), `[${n}, ${c}] ${where}`).toEqual(expected);
      }
    }
    // Once per shape, from the heap x only (the plain x takes the loop).
    if (calls && sparseCalls) expect(calls.mock.calls.length + sparseCalls.mock.calls.length).toBe(5);
    calls?.mockRestore();
    sparseCalls?.mockRestore();
  });

  it("affine and weightGradient skipping the zero columns equal the full products when the other columns are 0", async () => {
    const { backend } = await import("../src/tensor/backend.js");
    const { JsBackend } = await import("../src/tensor/js-backend.js");
    const { gemm } = await import("../src/tensor/gemm.js");
    const { Gradient } = await import("../src/tensor/parameter.js");
    const { nonzeroColumns } = await import("../src/tensor/ops.js");
    const rand = lcg(31);
    for (const [n, din, dout] of [[32, 784, 256], [7, 13, 5], [1, 9, 3]]) {
      const x = randomMatrix(n, din, rand);
      for (let j = 0; j < din; j++) if (j % 3 !== 1) for (let i = 0; i < n; i++) x.data[i * din + j] = 0; // 2 of 3 columns zero
      x.data[0] = 0.5; // column 0 has one non-zero
      const cols = new Int32Array(din);
      const count = nonzeroColumns(x, cols);
      const ks = cols.subarray(0, count);
      expect(Array.from(ks)).toEqual(Array.from({ length: din }, (_, j) => j).filter((j) => j % 3 === 1 || j === 0));
      const w = randomMatrix(din, dout, rand);
      const full = new Matrix(n, dout), picked = new Matrix(n, dout), viaGemm = new Matrix(n, dout);
      matmul(full, x, w);
      backend().affine(picked, x, w, undefined); // the fast backends sum over ks only
      gemm(viaGemm, x, w, false, false, { ks }); // the js backend's selection, called directly
      expect(maxRelativeError(picked.data, reference(x, w, false, false))).toBeLessThan(1e-6);
      expect(maxRelativeError(viaGemm.data, reference(x, w, false, false))).toBeLessThan(1e-6);
      expect(maxRelativeError(full.data, reference(x, w, false, false))).toBeLessThan(1e-6);

      const dy = randomMatrix(n, dout, rand);
      const ref = reference(x, dy, true, false); // (din x dout)
      const expected = new Float64Array(count * dout);
      for (let r = 0; r < count; r++) expected.set(ref.subarray(cols[r] * dout, (cols[r] + 1) * dout), r * dout);
      const rows = new Matrix(count, dout);
      gemm(rows, x, dy, true, false, { aRows: ks }); // the js backend's row selection, called directly
      expect(maxRelativeError(rows.data, expected)).toBeLessThan(1e-6);
      const dW = new Gradient(din, dout);
      backend().weightGradient(dW, x, dy);
      if (backend() instanceof JsBackend) {
        expect(dW.rowForm, "the fast backends hold dW as rows").toBeDefined();
        expect(Array.from(dW.rowForm!.index)).toEqual(Array.from(ks));
        expect(maxRelativeError(dW.rowForm!.rows.data, expected)).toBeLessThan(1e-6);
      }
      expect(maxRelativeError(dW.whole().data, ref)).toBeLessThan(1e-6);
    }
  });

  it("scatterRows puts each computed row in place and zeroes every other row, once each", async () => {
    const { scatterRows } = await import("../src/tensor/ops.js");
    const out = new Matrix(6, 3);
    out.data.fill(9); // stale values from a previous batch must not survive
    const rows = Matrix.fromArray([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    scatterRows(out, rows, Int32Array.from([1, 2, 4]));
    expect(out.toArray()).toEqual([[0, 0, 0], [1, 2, 3], [4, 5, 6], [0, 0, 0], [7, 8, 9], [0, 0, 0]]);
    scatterRows(out, new Matrix(0, 3), new Int32Array(0));
    expect(out.data.every((v) => v === 0)).toBe(true);
    expect(() => scatterRows(out, rows, Int32Array.from([2, 1, 4]))).toThrow(/cols must be increasing, got 2 then 1/);
  });
});
