// A Dense kernel's gradient held as its non-zero rows (Gradient's row form, tensor/parameter.ts),
// and plain SGD applied to those rows only (tensor/row-update.ts): the same bits as the whole update.
import { describe, it, expect, afterAll, vi } from "vitest";
import { Matrix, Dense, SGD, Gradient, getBackend, matmulTransA, setThreads, threadsReady } from "../src/index.js";
import { backend } from "../src/tensor/backend.js";
import { WasmBackend } from "../src/tensor/wasm-backend.js";
import { sgdRows } from "../src/tensor/row-update.js";
import { elementwise, Loop } from "../src/tensor/elementwise.js";
import { parallelRunCount } from "../src/tensor/threads.node.js";
import { heapInt32 } from "../src/tensor/heap.js";
import { bits, heapCopy, lcg, randomMatrix } from "./helpers/data.js";

afterAll(() => setThreads(1));

/** The SIMD module that the current backend hands the row update (the wasm backend's), else undefined. */
function simdKernel() {
  const b = backend();
  return b instanceof WasmBackend ? b.simd : undefined;
}

/** A copy of m whose values are in the heap. */
function copy(m: Matrix): Matrix {
  return new Matrix(m.rows, m.cols, heapCopy(m.data));
}

/** x (n x din) with the listed columns all zero. */
function withZeroColumns(n: number, din: number, zero: (j: number) => boolean, seed: number): Matrix {
  const x = randomMatrix(n, din, lcg(seed));
  for (let i = 0; i < n; i++) for (let j = 0; j < din; j++) if (zero(j)) x.data[i * din + j] = 0;
  return x;
}

describe(`gradients held as rows (${getBackend()} backend)`, () => {
  it("Dense's kernel.grad equals xᵀ·dy with its zero rows, bit for bit, even after the next forward", () => {
    const zero = (j: number) => j < 40 || j % 10 === 3; // more than the 20% from which Dense selects columns
    const x = withZeroColumns(12, 100, zero, 1);
    const dense = new Dense(20, { inputDim: 100 });
    dense.build(100);
    dense.forward(x, true);
    const dy = randomMatrix(12, 20, lcg(2));
    dense.backward(dy, { needInputGradient: false });
    const [kernel] = dense.params();
    expect(kernel.grad).toBeInstanceOf(Gradient);
    const zeros = Array.from({ length: 100 }, (_, j) => j).filter(zero).length;
    expect(zeros).toBe(46);
    // The fast backends hold the rows of the non-zero columns; the reference computes dW whole.
    const heldRows = getBackend() === "reference" ? undefined : 100 - zeros;
    expect(kernel.grad.rowForm?.index.length, "rows held").toBe(heldRows);
    if (heldRows !== undefined) expect(Array.from(kernel.grad.rowForm!.index)).toEqual(Array.from({ length: 100 }, (_, j) => j).filter((j) => !zero(j)));
    // A forward on other data (other zero columns) before anyone reads the gradient.
    dense.forward(withZeroColumns(12, 100, (j) => j > 70, 3), true);
    const expected = new Matrix(100, 20);
    matmulTransA(expected, x, dy);
    expect(bits(kernel.grad.whole()).equals(bits(expected))).toBe(true);
    for (let j = 0; j < 100; j++) if (zero(j)) expect(kernel.grad.whole().data.subarray(j * 20, j * 20 + 20).every((v) => v === 0)).toBe(true);
    // Once the whole gradient has been read (and maybe changed, as clipping does), the rows are no longer offered.
    expect(kernel.grad.rowForm).toBeUndefined();
  });

  it("setRows refuses rows that do not match the row numbers, and row numbers that are not rows of W in order", () => {
    const p = new Gradient(6, 4);
    expect(() => p.setRows(new Matrix(2, 4), Int32Array.from([0, 1, 2]))).toThrow(/expected \[3, 4\] rows for 3 row numbers, got \[2, 4\]/);
    expect(() => p.setRows(new Matrix(2, 4), Int32Array.from([3, 6]))).toThrow(/must increase within \[0, 6\), got 3 then 6 at position 1/);
    expect(() => p.setRows(new Matrix(2, 4), Int32Array.from([2, 2]))).toThrow(/got 2 then 2 at position 1/);
    expect(() => p.setRows(new Matrix(1, 4), Int32Array.from([-1]))).toThrow(/got -1 at position 0/);
    expect(p.rowForm, "nothing kept from a refused call").toBeUndefined();
  });

  it("sgdRows leaves W exactly as the whole update w −= lr·g does, from the heap (SIMD) and from plain arrays (loop)", async () => {
    // Runs of consecutive rows, single rows, the first and the last row; widths that are not multiples of 4 or 16.
    const list = [0, 1, 2, 5, 9, 10, 11, 12, 13, 40, 41, 63];
    const cols = heapInt32(list.length) ?? new Int32Array(list.length); // in the heap: the SIMD call reads it there
    cols.set(list);
    for (const width of [1, 7, 37, 256]) {
      const rand = lcg(width);
      const w0 = randomMatrix(64, width, rand);
      const rows = randomMatrix(cols.length, width, rand);
      const dense = new Matrix(64, width);
      cols.forEach((c, q) => dense.data.set(rows.data.subarray(q * width, (q + 1) * width), c * width));
      const expected = copy(w0);
      elementwise(Loop.Sgd, [expected.data, dense.data], [0.37]); // the plain loop: the definition
      for (const threads of [1, 2, 4]) {
        setThreads(threads);
        await threadsReady(120_000);
        const simd = simdKernel();
        const calls = simd ? vi.spyOn(simd, "sgdRows") : undefined; // under the wasm backend the SIMD call must really run
        const w = copy(w0);
        sgdRows(w.data, rows.data, cols, width, 0.37, simd);
        expect(bits(w).equals(bits(expected)), `width ${width}, ${threads} threads`).toBe(true);
        if (calls) expect(calls, `width ${width}: the SIMD row update ran`).toHaveBeenCalledTimes(1);
        calls?.mockRestore();
        const plain = Float32Array.from(w0.data); // outside the heap: the JavaScript loop
        sgdRows(plain, Float32Array.from(rows.data), Int32Array.from(list), width, 0.37);
        expect(bits(plain).equals(bits(expected)), `width ${width}, plain arrays`).toBe(true);
        // Through the backend, as SGD calls it: a gradient held as rows, and the same gradient held whole.
        const viaRows = copy(w0), asRows = new Gradient(64, width);
        asRows.setRows(rows, cols);
        backend().sgd(viaRows, asRows, 0.37);
        expect(bits(viaRows).equals(bits(expected)), `width ${width}, backend().sgd on rows`).toBe(true);
        const viaWhole = copy(w0), asWhole = new Gradient(64, width);
        asWhole.wholeForWriting().data.set(dense.data);
        backend().sgd(viaWhole, asWhole, 0.37);
        expect(bits(viaWhole).equals(bits(expected)), `width ${width}, backend().sgd on the whole gradient`).toBe(true);
      }
    }
  });

  it("a large row update (2¹⁸ weights and more) is split between threads, with the bits of the whole update", async () => {
    setThreads(1);
    // In the heap, where the worker reads it (Dense keeps its row numbers there too).
    const cols = heapInt32(1100) ?? new Int32Array(1100);
    cols.set(Array.from({ length: 1100 }, (_, q) => q * 2 + (q % 3 === 0 ? 1 : 0)));
    const rand = lcg(9);
    const w0 = randomMatrix(2200, 256, rand);
    const rows = randomMatrix(1100, 256, rand);
    const one = copy(w0);
    sgdRows(one.data, rows.data, cols, 256, 0.01, simdKernel());
    setThreads(2);
    await threadsReady(120_000);
    const before = parallelRunCount();
    const two = copy(w0);
    sgdRows(two.data, rows.data, cols, 256, 0.01, simdKernel());
    // Only the SIMD module splits row updates (the js backend's stays on the caller).
    if (getBackend() === "wasm") expect(parallelRunCount(), "split between threads").toBeGreaterThan(before);
    expect(bits(two).equals(bits(one))).toBe(true);
    // Below 2¹⁸ weights (1000 rows of 256) the update stays on the caller.
    const fewer = parallelRunCount();
    sgdRows(copy(w0).data, rows.data, cols.subarray(0, 1000), 256, 0.01, simdKernel());
    expect(parallelRunCount(), "1000 rows of 256: on the caller").toBe(fewer);
    const viaBackend = copy(w0), asRows = new Gradient(2200, 256); // as SGD calls it, on two threads
    asRows.setRows(rows, cols);
    backend().sgd(viaBackend, asRows, 0.01);
    expect(bits(viaBackend).equals(bits(one)), "backend().sgd on the rows").toBe(true);
    const dense = new Matrix(2200, 256), whole = copy(w0);
    cols.forEach((c, q) => dense.data.set(rows.data.subarray(q * 256, (q + 1) * 256), c * 256));
    elementwise(Loop.Sgd, [whole.data, dense.data], [0.01]);
    expect(bits(one).equals(bits(whole)), "the whole update on the scattered gradient").toBe(true);
    expect(one.data.some((v, i) => v !== w0.data[i]), "the update changed W").toBe(true);
  });

  it("SGD with clipnorm steps from the clipped whole gradient, not the unclipped rows", () => {
    const x = withZeroColumns(4, 50, (j) => j < 30, 4);
    const dense = new Dense(3, { inputDim: 50, useBias: false });
    dense.build(50);
    const [kernel] = dense.params();
    const w0 = Float32Array.from(kernel.value.data);
    dense.forward(x, true);
    dense.backward(randomMatrix(4, 3, lcg(5)), { needInputGradient: false });
    const g = new Matrix(50, 3);
    matmulTransA(g, x, randomMatrix(4, 3, lcg(5)));
    const norm = Math.hypot(...g.data);
    expect(norm).toBeGreaterThan(0.1);
    new SGD({ learningRate: 0.5, clipnorm: 0.1 }).step([kernel]);
    for (let i = 0; i < w0.length; i++) {
      expect(kernel.value.data[i]).toBeCloseTo(w0[i] - 0.5 * g.data[i] * (0.1 / norm), 6);
    }
  });
});
