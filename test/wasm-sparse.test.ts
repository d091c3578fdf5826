// Products with a mostly-zero input under the wasm backend (tensor/wasm/sparse.ts): the
// first layer's x·W and xᵀ·dz taken over x's non-zero entries only give exactly the dense
// SIMD product's bits, on every shape and on MNIST-like inputs; dense inputs keep the dense product.
import { describe, it, expect, vi, afterEach, beforeAll, afterAll } from "vitest";
import { Matrix, Sequential, Dense, Activation, getBackend, setRandomSeed, setThreads, getThreads } from "../src/index.js";
import { backend, withFixedWeights } from "../src/tensor/backend.js";
import { Gradient } from "../src/tensor/parameter.js";
import { heapInt32 } from "../src/tensor/heap.js";
import { PACK_ROWS, type WasmBackend } from "../src/tensor/wasm-backend.js";
import { SPARSE_BLOCK_COLUMNS } from "../src/tensor/wasm/sparse.js";
import { windowGeometry } from "../src/tensor/conv-geometry.js";
import { conv2dWeightGradientsByProduct, conv2dInputGradientByProduct, conv2dByProduct, type Products } from "../src/tensor/conv-fast.js";
import { bits, blobs, lcg } from "./helpers/data.js";

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

type Spy = { mock: { calls: unknown[][] } };
/** Panels of B packed in the calls a spy on sparsePanels saw: ⌈(j1 − j0) / 24⌉ a call with pack set (wasm/sparse.ts). */
const packedPanels = (panels: Spy) => panels.mock.calls.reduce((n: number, c) => n + (c[12] ? Math.ceil(((c[11] as number) - (c[10] as number)) / SPARSE_BLOCK_COLUMNS) : 0), 0);
/** Products run block of columns by block: one a sparseProduct call, one a panel in each sparsePanels call. */
const panelProducts = (product: Spy, panels: Spy) =>
  product.mock.calls.length + panels.mock.calls.reduce((n: number, c) => n + Math.ceil(((c[11] as number) - (c[10] as number)) / SPARSE_BLOCK_COLUMNS), 0);

describe.runIf(wasm)("sparse products (wasm backend)", () => {
  // One thread: the spies below count calls on this thread, and a split product's pieces run on others.
  let threads = 1;
  beforeAll(() => {
    threads = getThreads();
    setThreads(1);
  });
  afterAll(() => setThreads(threads));
  afterEach(() => vi.restoreAllMocks());
  const b = () => backend() as WasmBackend;
  const shapes: [number, number, number][] = [
    [1, 5, 1], [3, 37, 3], [4, 9, 4], [5, 16, 7], [32, 784, 256], [7, 100, 33], [13, 50, 70], [128, 784, 10], [2, 3, 36],
  ];

  it("x·W + b has the dense product's bits, and takes the sparse path", () => {
    const product = vi.spyOn(b().simd, "sparseProduct"), panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(7);
    for (const [n, c, dout] of shapes) {
      const x = sparseMatrix(n, c, 0.2, rand), W = denseMatrix(c, dout, rand), bias = denseMatrix(1, dout, rand);
      const sparse = new Matrix(n, dout);
      product.mockClear();
      panels.mockClear();
      backend().affine(sparse, x, W, bias);
      expect(bits(sparse).equals(bits(denseAffine(x, W, bias))), `${n}x${c}x${dout}`).toBe(true);
      // One product, or from PACK_ROWS rows one a panel of W (sparse-product.ts: productColumns), in one call.
      expect(panelProducts(product, panels), `${n}x${c}x${dout}`).toBe(n < PACK_ROWS ? 1 : Math.ceil(dout / SPARSE_BLOCK_COLUMNS));
      expect(product.mock.calls.length + panels.mock.calls.length, `${n}x${c}x${dout}`).toBe(1);
    }
  });

  /** z = x·W + bias by the dense SIMD product, every term. */
  function denseAffine(x: Matrix, W: Matrix, bias: Matrix): Matrix {
    const z = new Matrix(x.rows, W.cols);
    backend().matmul(z, x, W);
    for (let i = 0; i < x.rows; i++) for (let j = 0; j < W.cols; j++) z.data[i * W.cols + j] += bias.data[j];
    return z;
  }

  /** Three products x·W + bias in one withFixedWeights. */
  function fixedAffines(x: Matrix, W: Matrix, bias: Matrix): Matrix[] {
    return withFixedWeights(() => [0, 1, 2].map(() => {
      const z = new Matrix(x.rows, W.cols);
      backend().affine(z, x, W, bias);
      return z;
    }));
  }

  it("while the weights are fixed, x·W + b reads W from panels packed once, with the dense product's bits", () => {
    const panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(13);
    for (const [n, c, dout] of shapes) {
      const x = sparseMatrix(n, c, 0.2, rand), W = denseMatrix(c, dout, rand), bias = denseMatrix(1, dout, rand);
      const dense = denseAffine(x, W, bias);
      panels.mockClear();
      for (const z of fixedAffines(x, W, bias)) expect(bits(z).equals(bits(dense)), `${n}x${c}x${dout}`).toBe(true);
      // Packed at the second product, one copy a panel of 24 columns; the third reads the same panels.
      expect(packedPanels(panels), `${n}x${c}x${dout}`).toBe(Math.ceil(dout / 24));
    }
  });

  it("in training, a product of 128 rows or more packs W each time; below, W is read in place", () => {
    const panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(29);
    const W = denseMatrix(300, 50, rand), bias = denseMatrix(1, 50, rand);
    for (const [rows, packs] of [[PACK_ROWS, 3], [PACK_ROWS - 1, 0], [300, 3]] as const) {
      const x = sparseMatrix(rows, 300, 0.2, rand), z = new Matrix(rows, 50);
      panels.mockClear();
      backend().affine(z, x, W, bias);
      expect(packedPanels(panels), `${rows} rows`).toBe(packs);
      expect(bits(z).equals(bits(denseAffine(x, W, bias))), `${rows} rows`).toBe(true);
    }
  });

  it("the weight gradient packs dz in panels, with the dense product's bits", () => {
    const panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(31);
    const x = sparseMatrix(64, 100, 0.2, rand), dz = denseMatrix(64, 30, rand);
    const g = new Gradient(100, 30), dense = new Matrix(100, 30);
    backend().weightGradient(g, x, dz);
    backend().matmulTransA(dense, x, dz);
    expect(packedPanels(panels)).toBe(2);
    expect(bits(g.whole()).equals(bits(dense))).toBe(true);
  });

  it("W changed between two withFixedWeights is packed again; outside one, and at a first small product, it is not packed", () => {
    const panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(17);
    const x = sparseMatrix(40, 300, 0.2, rand), W = denseMatrix(300, 50, rand), bias = denseMatrix(1, 50, rand);
    fixedAffines(x, W, bias);
    for (let i = 0; i < W.data.length; i += 7) W.data[i] = -W.data[i];
    panels.mockClear();
    const z = new Matrix(40, 50);
    backend().affine(z, x, W, bias);
    withFixedWeights(() => backend().affine(z, x, W, bias));
    expect(packedPanels(panels)).toBe(0);
    const [, second] = fixedAffines(x, W, bias);
    expect(packedPanels(panels)).toBe(3);
    expect(bits(second).equals(bits(denseAffine(x, W, bias)))).toBe(true);
  });

  it("a withFixedWeights that throws, or one inside another, leaves no packed state behind", () => {
    const panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(37);
    const x = sparseMatrix(40, 300, 0.2, rand), W = denseMatrix(300, 50, rand), bias = denseMatrix(1, 50, rand);
    const z = new Matrix(40, 50);
    expect(() => withFixedWeights(() => {
      backend().affine(z, x, W, bias);
      withFixedWeights(() => backend().affine(z, x, W, bias)); // inside: still the outer call's state, so packed here
      throw new Error("stop");
    })).toThrow("stop");
    expect(packedPanels(panels)).toBe(3);
    for (let i = 0; i < W.data.length; i += 5) W.data[i] += 1;
    const [, second] = fixedAffines(x, W, bias);
    expect(packedPanels(panels)).toBe(6); // packed again
    expect(bits(second).equals(bits(denseAffine(x, W, bias)))).toBe(true);
  });

  it("a first product of PACK_ROWS (128) rows or more packs W at once", () => {
    const panels = vi.spyOn(b().simd, "sparsePanels");
    const rand = lcg(19);
    const x = sparseMatrix(PACK_ROWS, 100, 0.2, rand), W = denseMatrix(100, 30, rand), bias = denseMatrix(1, 30, rand);
    const z = new Matrix(PACK_ROWS, 30);
    withFixedWeights(() => backend().affine(z, x, W, bias));
    expect(packedPanels(panels)).toBe(2);
    expect(bits(z).equals(bits(denseAffine(x, W, bias)))).toBe(true);
  });

  it("predict and evaluate after new weights use them: the same bits as a fresh model's, batch by batch and all at once", () => {
    const { x, y } = blobs(300, 784, 10, 3); // all at once: a first product of 300 rows packs at once
    const r = lcg(23);
    for (let i = 0; i < x.data.length; i++) if (r() < 0.8) x.data[i] = 0; // mostly zeros: the sparse product
    const build = (seed: number) => {
      setRandomSeed(seed);
      const m = new Sequential([new Dense(64, { inputDim: 784 }), new Activation("sigmoid"), new Dense(10), new Activation("softmax")]);
      m.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
      return m;
    };
    const model = build(1), other = build(2);
    const before = model.predict(x, { batchSize: 16 });
    model.setWeights(other.getWeights());
    const after = model.predict(x, { batchSize: 16 });
    expect(bits(after).equals(bits(before))).toBe(false);
    for (const batchSize of [16, 300]) {
      expect(bits(after).equals(bits(other.predict(x, { batchSize }))), `batch ${batchSize}`).toBe(true);
      expect(model.evaluate(x, y, { batchSize, verbose: 0 })).toEqual(other.evaluate(x, y, { batchSize, verbose: 0 }));
    }
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

  it("aᵀ·b with a mostly-zero b (gradientProduct, by b's rows) has the dense product's bits", () => {
    const scatter = vi.spyOn(b().simd, "sparseScatter");
    const rand = lcg(13);
    // b's columns: 1 (one scalar column), 5 (a vector and one), 64, 70 (16-wide steps, then 4, then 1)
    const cases: [number, number, number][] = [[9, 7, 1], [40, 21, 5], [300, 289, 64], [77, 10, 70], [3, 37, 2]];
    for (const [rows, k, f] of cases) {
      const a = denseMatrix(rows, k, rand), sparse = sparseMatrix(rows, f, 0.1, rand);
      const out = new Matrix(k, f), dense = new Matrix(k, f);
      out.data.fill(7); // every value is written
      b().gradientProduct(out, a, sparse);
      backend().matmulTransA(dense, a, sparse);
      expect(bits(out).equals(bits(dense)), `${rows}x${k} by ${rows}x${f}`).toBe(true);
    }
    expect(scatter).toHaveBeenCalledTimes(cases.length);
    // A dense b keeps the dense product.
    const a = denseMatrix(30, 20, rand), full = denseMatrix(30, 8, rand), out = new Matrix(20, 8), dense = new Matrix(20, 8);
    b().gradientProduct(out, a, full);
    backend().matmulTransA(dense, a, full);
    expect(scatter).toHaveBeenCalledTimes(cases.length);
    expect(bits(out).equals(bits(dense))).toBe(true);
  });

  it("a convolution's gradients from a dy that came through max pooling take its entries, with the dense products' bits", () => {
    const rand = lcg(17);
    const dense: Products = {
      affine: (z, x, W) => backend().matmul(z, x, W),
      gradientProduct: (out, a, bb) => backend().matmulTransA(out, a, bb),
    };
    const product = vi.spyOn(b().simd, "sparseProduct"), panels = vi.spyOn(b().simd, "sparsePanels"), scatter = vi.spyOn(b().simd, "sparseScatter");
    for (const [image, kernel, padding] of [[[13, 13, 32], [3, 3], "valid"], [[9, 8, 3], [2, 3], "same"]] as const) {
      const g = windowGeometry(image, kernel, [1, 1], padding);
      const n = 4, cin = image[2], f = 6, kRows = g.kh * g.kw * cin;
      const x = denseMatrix(n, g.h * g.w * cin, rand), K = denseMatrix(kRows, f, rand), bias = denseMatrix(1, f, rand);
      const dy = sparseMatrix(n, g.oh * g.ow * f, 0.12, rand); // about one pixel in four of each 2x2 window, after a ReLU
      const dK = new Matrix(kRows, f), db = new Matrix(1, f), dKDense = new Matrix(kRows, f), dbDense = new Matrix(1, f);
      const y = new Matrix(n, g.oh * g.ow * f);
      conv2dByProduct(b(), y, x, K, bias, g, b().simd); // the forward pass leaves its windows for the weight gradients
      conv2dWeightGradientsByProduct(b(), dK, db, x, dy, g, b().simd);
      conv2dWeightGradientsByProduct(dense, dKDense, dbDense, x, dy, g, b().simd);
      expect(bits(dK).equals(bits(dKDense)), `dK, ${image} ${kernel} ${padding}`).toBe(true);
      expect(bits(db).equals(bits(dbDense)), `db, ${image} ${kernel} ${padding}`).toBe(true);
      const dx = new Matrix(n, g.h * g.w * cin), dxDense = new Matrix(n, g.h * g.w * cin);
      conv2dInputGradientByProduct(b(), dx, dy, K, g, b().simd);
      conv2dInputGradientByProduct(dense, dxDense, dy, K, g, b().simd);
      expect(bits(dx).equals(bits(dxDense)), `dx, ${image} ${kernel} ${padding}`).toBe(true);
    }
    expect(scatter).toHaveBeenCalledTimes(2);
    // dx = dy·Kᵀ by dy's entries: 484 and 288 rows, so Kᵀ in panels, 288 and 18 columns wide: 12 + 1 panels.
    expect(panelProducts(product, panels)).toBe(13);
  });

  it("the entry scan finds what a loop over x finds: each row's non-zeros (NaN kept, ±0 left out), in order", () => {
    const rand = lcg(23);
    for (const [rows, cols, density] of [[37, 43, 0.2], [9, 784, 0.19], [5, 6, 0.9], [3, 3, 0.5], [4, 8, 0]] as const) {
      const x = sparseMatrix(rows, cols, density, rand);
      x.data[rand() * x.data.length | 0] = NaN;
      const starts = heapInt32(rows + 1)!, idx = heapInt32(rows * cols + cols)!, vals = heapInt32(rows * cols + cols)!;
      const count = b().simd.sparseRows(x.data.byteOffset, rows, cols, starts.byteOffset, idx.byteOffset, vals.byteOffset, rows * cols);
      const bitsOf = new Int32Array(x.data.buffer, x.data.byteOffset, x.data.length);
      const expected = { starts: [0], idx: [] as number[], vals: [] as number[] };
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          if ((bitsOf[i * cols + j] & 0x7fffffff) === 0) continue;
          expected.idx.push(j);
          expected.vals.push(bitsOf[i * cols + j]);
        }
        expected.starts.push(expected.idx.length);
      }
      const what = `${rows}x${cols} at density ${density}`;
      expect(count, what).toBe(expected.idx.length);
      expect(Array.from(starts), what).toEqual(expected.starts);
      expect(Array.from(idx.subarray(0, count)), what).toEqual(expected.idx);
      expect(Array.from(vals.subarray(0, count)), what).toEqual(expected.vals);
    }
  });

  it("the entry scan stops in the row that passes its limit", () => {
    const rand = lcg(19);
    const x = sparseMatrix(50, 40, 0.6, rand); // ~24 entries a row
    const starts = heapInt32(51)!, idx = heapInt32(2000)!, vals = heapInt32(2000)!;
    const scan = (limit: number) => b().simd.sparseRows(x.data.byteOffset, 50, 40, starts.byteOffset, idx.byteOffset, vals.byteOffset, limit);
    const perRow = Array.from({ length: 50 }, (_, i) => Array.from(x.data.subarray(40 * i, 40 * i + 40)).filter((v) => v !== 0).length);
    let upTo = 0, row = 0;
    while (upTo <= 100) upTo += perRow[row++];
    expect(scan(100), "the entries up to the end of the row that passed 100").toBe(upTo);
    expect(scan(2000), "every entry").toBe(perRow.reduce((sum, v) => sum + v, 0));
    expect(starts[50]).toBe(scan(2000));
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
