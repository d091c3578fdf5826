/**
 * Every operation of the fast backends ("js", and "wasm" where it runs) against the reference
 * backend (src/tensor/reference.ts), whose plain loops are the definitions: STYLE.md §4.
 *
 * What "agree" means, per operation:
 *   products: matmul, matmulTransB, matmulTransA, affine, weightGradient
 *       |fast − ref| ≤ 1e-5 · Σ_p |A(i, p)·B(p, j)|  for every element, and
 *       max |fast − ref| ≤ 1e-5 · max |ref|           over the whole result.
 *     Why not the same bits: the reference sums in float64 and rounds once; js sums in float64
 *     within 256-term slices and rounds to float32 between them; wasm sums in float32, several
 *     lanes at a time. Each float32 rounding of a partial sum is off by at most 2⁻²⁴ (6e-8) of it,
 *     so a sum of k terms is off by at most k·6e-8·Σ|terms| and in practice (errors of both signs)
 *     by about √k·6e-8·Σ|terms|: 1.7e-6 at k = 784, well inside 1e-5.
 *   columnSums, sigmoidBackward, relu, reluBackward, dropout, sgd (whole and rows), momentum (nesterov or not):
 *     the same bits. They compute the reference's expression, element by element, in the same order.
 *   sigmoid: js the same bits (the same loop); wasm within 1 ulp (its own float64 exp: wasm/sigmoid.ts).
 *   allFinite: the same answer.
 *   uniform, shuffle (wasm has its own loops): random.ts's bits, and its stream goes on from the same place.
 *
 * Each operation runs on arrays in the heap (the wasm backend's SIMD path; spies on its kernel
 * prove that path ran), in the heap one float past an aligned block, outside the heap (the wasm
 * backend's fallbacks to the js backend's code) and mixed (outputs in the heap, inputs outside).
 * On failure, each message gives the largest difference, where it is, and both values.
 */
import { describe, it, expect, vi, afterAll } from "vitest";
import { Matrix } from "../src/tensor/matrix.js";
import { Gradient } from "../src/tensor/parameter.js";
import type { Backend } from "../src/tensor/backend.js";
import { ReferenceBackend, matmulLoops } from "../src/tensor/reference.js";
import { JsBackend } from "../src/tensor/js-backend.js";
import { WasmBackend, wasmBackendProblem, PACK_ROWS } from "../src/tensor/wasm-backend.js";
import { DRAW_CHUNK } from "../src/tensor/heap-draws.js";
import type { SimdModule } from "../src/tensor/wasm/module.js";
import { nonzeroColumns } from "../src/tensor/ops.js";
import { allocFloat32 } from "../src/tensor/alloc.js";
import { heapInt32, inHeap } from "../src/tensor/heap.js";
import { lcg } from "./helpers/data.js";
import { setRandomSeed, nextUint32, fillUniform, shuffle } from "../src/tensor/random.js";
import { bitDifference, largestRelative, largestUlps } from "./helpers/compare.js";

const reference = new ReferenceBackend();
const problem = wasmBackendProblem();
const FAST: { name: "js" | "wasm"; make: () => JsBackend; skip: string | undefined }[] = [
  { name: "js", make: () => new JsBackend(), skip: undefined },
  { name: "wasm", make: () => new WasmBackend(), skip: problem },
];

/** Relative tolerance of the products (see the top of the file). */
const PRODUCT_TOLERANCE = 1e-5;

// ---------------------------------------------------------------------------
// Where the arrays live.

/**
 * heap       every array in the heap, at the start of a block (the SIMD path)
 * unaligned  every array in the heap, one float past the start of a block
 * plain      every array an ordinary Float32Array (the wasm backend falls back to the js code)
 * mixed      outputs in the heap, inputs outside it
 */
type Placement = "heap" | "unaligned" | "plain" | "mixed";
const PLACEMENTS: Placement[] = ["heap", "unaligned", "plain", "mixed"];
type Role = "out" | "in";

/** Blocks whose views we hand out: a view does not keep its block from being reused (heap.ts). */
const keep: ArrayBufferView[] = [];
afterAll(() => void keep.splice(0));

function array(values: ArrayLike<number>, where: Placement, role: Role): Float32Array {
  const heap = where === "heap" || where === "unaligned" || (where === "mixed" && role === "out");
  if (!heap) return Float32Array.from(values);
  const block = allocFloat32(values.length + 1);
  keep.push(block);
  const a = where === "unaligned" ? block.subarray(1) : block.subarray(0, values.length);
  a.set(values);
  if (problem === undefined) expect(inHeap(a), `${where} ${role} array in the heap`).toBe(true);
  return a;
}

function matrix(m: Matrix, where: Placement, role: Role): Matrix {
  return new Matrix(m.rows, m.cols, array(m.data, where, role));
}

function int32(values: ArrayLike<number>, where: Placement): Int32Array {
  if (where === "plain" || where === "mixed") return Int32Array.from(values);
  const a = heapInt32(values.length + 1)!;
  const view = where === "unaligned" ? a.subarray(1) : a.subarray(0, values.length);
  view.set(values);
  keep.push(a);
  return view;
}

/** The SIMD path runs for arrays in the heap (aligned or not), never for a mix with plain ones. */
const simdExpected = (where: Placement) => where === "heap" || where === "unaligned";

type KernelMethod = "gemm" | "nonzeroColumns" | "biasActivation" | "sumRows" | "sigmoid" | "sigmoidBackward" |
  "reluForward" | "reluBackward" | "update" | "sgdRows" | "allFinite" | "sparseRows" | "sparseColumns" | "sparseProduct" | "sparsePanels" | "dropout" |
  "uniform" | "shuffle";

/** Runs `run`, counting the calls into each kernel method under the wasm backend (undefined under js). */
function simdCalls(b: Backend, methods: KernelMethod[], run: () => void): Record<string, number> | undefined {
  if (!(b instanceof WasmBackend)) {
    run();
    return undefined;
  }
  const kernel: SimdModule = b.simd;
  const spies = methods.map((m) => [m, vi.spyOn(kernel, m)] as const);
  try {
    run();
    return Object.fromEntries(spies.map(([m, s]) => [m, s.mock.calls.length]));
  } finally {
    for (const [, s] of spies) s.mockRestore();
  }
}

// ---------------------------------------------------------------------------
// Data.

function random(rows: number, cols: number, rand: () => number, scale = 1): Matrix {
  const m = new Matrix(rows, cols, new Float32Array(rows * cols));
  for (let i = 0; i < m.data.length; i++) m.data[i] = scale * (2 * rand() - 1);
  return m;
}

/** Pixel j of a 28x28 image is black in every image of an MNIST-like batch: outside a disc of radius 12. */
const border = (j: number) => (Math.floor(j / 28) - 13.5) ** 2 + ((j % 28) - 13.5) ** 2 > 144;
const BORDER_COLUMNS = Array.from({ length: 784 }, (_, j) => j).filter(border).length;

/**
 * An MNIST-like batch (n, 784): the border pixels 0 in every image (336 of the 784 columns, 43%,
 * about what a batch of 32 MNIST digits leaves black), and about a third of the others 0 in each image.
 */
function mnistBatch(n: number, rand: () => number): Matrix {
  const x = new Matrix(n, 784, new Float32Array(n * 784));
  for (let i = 0; i < n; i++) for (let j = 0; j < 784; j++) x.data[i * 784 + j] = border(j) || rand() < 0.33 ? 0 : rand();
  return x;
}

/** Some columns of a random (rows, cols) matrix set to 0 in every row (about `fraction` of them, at random). */
function withZeroColumns(rows: number, cols: number, fraction: number, rand: () => number): Matrix {
  const x = random(rows, cols, rand);
  for (let j = 0; j < cols; j++) {
    if (rand() < fraction) for (let i = 0; i < rows; i++) x.data[i * cols + j] = 0;
  }
  return x;
}

/** Values an element-wise pass can meet: several scales, the sigmoid's range, and the special ones. */
const SPECIAL = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1e-38, -1.1754942e-38, 3.4028234663852886e38,
  -3.4028234663852886e38, 0.5, 1 - 2 ** -24, 20, -20, 104, -104, 17.328679513998633, -103.97207708399179];
function values(n: number, seed: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? SPECIAL[(i / 5) % SPECIAL.length] : (rand() - 0.5) * 10 ** ((i % 7) - 3)));
}

/** A saved sigmoid output: values in [0, 1], with some special ones. */
function sigmoidOutputs(n: number, seed: number): Float32Array {
  return values(n, seed).map((v, i) => (i % 3 ? Math.abs(v) % 1 : v));
}

const LENGTHS = [...Array.from({ length: 68 }, (_, n) => n), 1031, 8192];

function abs(m: Matrix): Matrix {
  return new Matrix(m.rows, m.cols, m.data.map(Math.abs));
}

// ---------------------------------------------------------------------------
// Products.

type Form = "matmul" | "matmulTransB" | "matmulTransA";

/** a and b, stored as the form reads them, for out (m, n) = A·B summed over k. */
function operands(form: Form, m: number, k: number, n: number, rand: () => number): [Matrix, Matrix] {
  const [ar, ac] = form === "matmulTransA" ? [k, m] : [m, k];
  const [br, bc] = form === "matmulTransB" ? [n, k] : [k, n];
  // An input of 784 columns is an MNIST-like batch, black borders and all.
  const a = ac === 784 ? mnistBatch(ar, rand) : random(ar, ac, rand);
  return [a, random(br, bc, rand)];
}

/** out = A·B by the reference, and Σ_p |A(i, p)·B(p, j)|, the scale of each element's rounding error. */
function referenceProduct(form: Form, a: Matrix, b: Matrix, m: number, n: number): { want: Matrix; scale: Float64Array } {
  const want = new Matrix(m, n, new Float32Array(m * n));
  reference[form](want, a, b);
  const magnitude = new Matrix(m, n, new Float32Array(m * n));
  matmulLoops(magnitude, abs(a), abs(b), form === "matmulTransA", form === "matmulTransB");
  return { want, scale: Float64Array.from(magnitude.data) };
}

/** Both product checks (see the top of the file), with the largest difference in the message. */
function expectProduct(got: Float32Array, want: Float32Array, scale: Float64Array, cols: number, what: string): void {
  const perElement = largestRelative(got, want, scale, cols);
  expect(perElement.error, `${what}, against Σ|a·b|: ${perElement.report}`).toBeLessThanOrEqual(PRODUCT_TOLERANCE);
  const whole = largestRelative(got, want, want.reduce((s, v) => Math.max(s, Math.abs(v)), 0), cols);
  expect(whole.error, `${what}, against max|ref|: ${whole.report}`).toBeLessThanOrEqual(PRODUCT_TOLERANCE);
}

// (form, m, k, n): awkward shapes in every form (1x1x1; one past the js 4x4 tile, the wasm 8x8 tile and
// the 256-term k slice), and the MNIST shapes of the tutorial's first layer, batch 32 and 128:
// x·W (n x 784 by 784 x 256), dx = dz·Wᵀ, dW = xᵀ·dz.
const FORMS: Form[] = ["matmul", "matmulTransB", "matmulTransA"];
const PRODUCTS: [Form, number, number, number][] = [
  ...FORMS.flatMap((f) => ([[1, 1, 1], [7, 13, 5], [4, 257, 9], [33, 257, 129]] as const).map(([m, k, n]) => [f, m, k, n] as [Form, number, number, number])),
  ["matmul", 32, 784, 256], ["matmulTransB", 32, 256, 784], ["matmulTransA", 784, 32, 256],
  ["matmul", 128, 784, 256], ["matmulTransB", 128, 256, 784], ["matmulTransA", 784, 128, 256],
];

/** Inputs for affine and weightGradient: x (n, din), and how its zero columns come about. */
type InputKind = "mnist" | "dense" | "some zero columns" | "all zero";
const DENSE_CASES: [number, number, number, InputKind][] = [
  [1, 1, 1, "dense"], [1, 1, 1, "all zero"], [7, 13, 5, "some zero columns"], [33, 257, 129, "some zero columns"],
  [33, 257, 129, "dense"], [5, 9, 3, "all zero"], [32, 784, 256, "mnist"], [128, 784, 256, "mnist"], [32, 784, 256, "dense"],
];

function input(n: number, din: number, kind: InputKind, rand: () => number): Matrix {
  if (kind === "mnist") return mnistBatch(n, rand);
  if (kind === "dense") return random(n, din, rand);
  if (kind === "all zero") return new Matrix(n, din, new Float32Array(n * din));
  return withZeroColumns(n, din, 0.5, rand);
}

/** The columns of x that hold a non-zero value (the reference's loop, ops.ts). */
function nonzero(x: Matrix): number[] {
  const out = new Int32Array(x.cols);
  return Array.from(out.subarray(0, nonzeroColumns(x, out)));
}

describe("the MNIST-like batches", () => {
  it("leave 43% of the 784 columns all zero, as MNIST's borders do", () => {
    expect(BORDER_COLUMNS).toBe(336);
    expect(784 - nonzero(mnistBatch(32, lcg(1))).length).toBe(336);
  });
});

for (const { name, make, skip } of FAST) {
  describe.skipIf(skip !== undefined)(`the ${name} backend agrees with the reference${skip ? ` (skipped: ${skip})` : ""}`, () => {
    const fast = skip === undefined ? make() : (undefined as unknown as JsBackend);

    describe(`products, within ${PRODUCT_TOLERANCE} relative`, () => {
      for (const [form, m, k, n] of PRODUCTS) {
        it(`${form} ${m}x${k}x${n}`, () => {
          const [a, b] = operands(form, m, k, n, lcg(m * 7919 + k * 31 + n));
          const { want, scale } = referenceProduct(form, a, b, m, n);
          for (const where of PLACEMENTS) {
            const out = matrix(new Matrix(m, n, new Float32Array(m * n).fill(NaN)), where, "out"); // overwritten, never added to
            const calls = simdCalls(fast, ["gemm"], () => fast[form](out, matrix(a, where, "in"), matrix(b, where, "in")));
            expectProduct(out.data, want.data, scale, n, `${form} ${m}x${k}x${n}, ${where}`);
            // The SIMD product runs wherever the arrays live: those outside the heap are copied in.
            if (calls) expect(calls.gemm, `${where}: the SIMD product ran`).toBe(1);
          }
        });
      }
    });

    describe("affine z = x·W + b and weightGradient dW = xᵀ·dz", () => {
      for (const [n, din, dout, kind] of DENSE_CASES) {
        it(`${n}x${din} by ${din}x${dout}, x ${kind}`, () => {
          const rand = lcg(n * 131 + din * 7 + dout);
          const x = input(n, din, kind, rand), W = random(din, dout, rand), b = random(1, dout, rand), dz = random(n, dout, rand);
          const columns = nonzero(x);
          // Fewer than half its values non-zero (−0 counts as zero): the wasm backend's sparse products.
          const sparseInput = x.data.filter((v) => v !== 0).length < 0.5 * n * din;
          if (kind === "mnist" || kind === "all zero") expect(sparseInput, "this input is sparse").toBe(true);
          // The fast backends skip the zero columns when fewer than 80% of them are non-zero.
          const rows = columns.length < 0.8 * din;
          if (kind === "mnist" || kind === "all zero") expect(rows, "this input takes the row path").toBe(true);
          if (kind === "dense") expect(rows, "this input takes the whole path").toBe(false);

          // z = x·W + b, with the bias and without; the error scale is Σ_p |x(i, p)·W(p, j)| (+ |b(j)|).
          const sums = referenceProduct("matmul", x, W, n, dout);
          const withBias = new Matrix(n, dout, new Float32Array(n * dout));
          reference.affine(withBias, x, W, b);
          const biasScale = sums.scale.map((s, i) => s + Math.abs(b.data[i % dout]));
          // dW = xᵀ·dz, held whole by the reference.
          const dW = new Gradient(din, dout);
          reference.weightGradient(dW, x, dz);
          expect(dW.rowForm).toBeUndefined();
          const dWScale = referenceProduct("matmulTransA", x, dz, din, dout).scale;

          for (const where of PLACEMENTS) {
            for (const bias of [b, undefined]) {
              const z = matrix(new Matrix(n, dout, new Float32Array(n * dout).fill(NaN)), where, "out");
              const what = `affine, ${bias ? "" : "no "}bias, ${where}`;
              const calls = simdCalls(fast, ["gemm", "nonzeroColumns", "biasActivation", "sparseRows", "sparseProduct", "sparsePanels"], () =>
                fast.affine(z, matrix(x, where, "in"), matrix(W, where, "in"), bias && matrix(bias, where, "in")));
              if (bias) expectProduct(z.data, withBias.data, biasScale, dout, what);
              else expectProduct(z.data, sums.want.data, sums.scale, dout, what);
              if (calls) {
                // In the heap, the wasm backend scans x for its entries; a mostly-zero x then takes the sparse
                // product, any other the dense one whole (no pass for all-zero columns: the entry scan has looked).
                const sparse = simdExpected(where) && sparseInput;
                expect(calls.sparseRows, `${what}: the SIMD entry scan`).toBe(simdExpected(where) ? 1 : 0);
                // One call: from PACK_ROWS rows, W read from panels (sparse-product.ts: productColumns), else in place.
                expect(calls.sparseProduct, `${what}: the sparse product, W in place`).toBe(sparse && n < PACK_ROWS ? 1 : 0);
                expect(calls.sparsePanels, `${what}: the sparse product, W in panels`).toBe(sparse && n >= PACK_ROWS ? 1 : 0);
                expect(calls.nonzeroColumns, `${what}: no SIMD column pass`).toBe(0);
                expect(calls.gemm, `${what}: the SIMD product`).toBe(columns.length === 0 || sparse ? 0 : 1);
                expect(calls.biasActivation, `${what}: the SIMD bias`).toBe(bias && simdExpected(where) ? 1 : 0);
              }
            }

            const g = new Gradient(din, dout);
            g.wholeForWriting().data.fill(NaN); // stale values from an earlier batch must not survive
            const calls = simdCalls(fast, ["gemm", "nonzeroColumns", "sparseColumns", "sparseProduct", "sparsePanels"], () =>
              fast.weightGradient(g, matrix(x, where, "in"), matrix(dz, where, "in")));
            const what = `weightGradient, ${where}`;
            const sparse = calls !== undefined && simdExpected(where) && sparseInput;
            if (rows || sparse) {
              expect(g.rowForm, `${what}: held as rows`).toBeDefined();
              expect(Array.from(g.rowForm!.index), `${what}: the rows of x's non-zero columns`).toEqual(columns);
            } else {
              expect(g.rowForm, `${what}: held whole`).toBeUndefined();
            }
            const whole = g.whole();
            expect(g.rowForm, "whole() writes the rows out, once").toBeUndefined();
            expectProduct(whole.data, dW.whole().data, dWScale, dout, what);
            for (let p = 0; p < din; p++) {
              if (!columns.includes(p)) expect(whole.data.subarray(p * dout, (p + 1) * dout).every((v) => v === 0), `${what}: row ${p} is 0`).toBe(true);
            }
            if (calls) {
              expect(calls.sparseColumns, `${what}: x's entries column by column`).toBe(sparse ? 1 : 0);
              expect(calls.sparsePanels, `${what}: the sparse product, dz in panels, one call`).toBe(sparse ? 1 : 0);
              expect(calls.sparseProduct, `${what}: no product from dz in place`).toBe(0);
              expect(calls.nonzeroColumns, `${what}: the SIMD column pass`).toBe(simdExpected(where) && !sparse ? 1 : 0);
              expect(calls.gemm, `${what}: the SIMD product`).toBe(columns.length === 0 || sparse ? 0 : 1);
            }
          }
        });
      }

      it.skipIf(name !== "wasm")("weightGradient reuses the entries of the affine of the same x (a step's forward and backward), and only those", () => {
        const rand = lcg(91);
        const W = matrix(random(784, 16, rand), "heap", "in"), dz = matrix(random(32, 16, rand), "heap", "in");
        const z = matrix(new Matrix(32, 16), "heap", "out");
        const x = matrix(mnistBatch(32, rand), "heap", "in"), other = matrix(mnistBatch(32, rand), "heap", "in");
        const dense = matrix(random(32, 784, rand), "heap", "in");
        // dW for x as it is now, by the wasm backend and by the reference; how many scans the wasm one made for it.
        const check = (what: string, scans: number) => {
          const g = new Gradient(784, 16), want = new Gradient(784, 16);
          const calls = simdCalls(fast, ["sparseRows"], () => fast.weightGradient(g, x, dz));
          reference.weightGradient(want, x, dz);
          expectProduct(g.whole().data, want.whole().data, referenceProduct("matmulTransA", x, dz, 784, 16).scale, 16, what);
          expect(calls!.sparseRows, `${what}: scans of x`).toBe(scans);
        };
        fast.affine(z, x, W, undefined);
        check("right after x's affine", 0);
        x.data.set(mnistBatch(32, rand).data); // the next batch, in the same buffer
        fast.affine(z, x, W, undefined);
        check("after the next batch's affine", 0);
        fast.affine(z, other, W, undefined);
        check("after another input's affine", 1);
        fast.affine(z, x, W, undefined);
        fast.affine(z, dense, W, undefined); // a scan that stops part way, over the entries
        check("after a dense input's scan", 1);
      });

      it("one Gradient, batch after batch: rows, then whole, then other rows, each time the reference's dW", () => {
        const rand = lcg(77);
        const g = new Gradient(784, 16);
        const batches = [mnistBatch(32, rand), random(32, 784, rand), withZeroColumns(32, 784, 0.6, rand), mnistBatch(7, rand)];
        batches.forEach((x, t) => {
          const dz = random(x.rows, 16, rand);
          fast.weightGradient(g, x, dz);
          expect(g.rowForm === undefined, `batch ${t}: held whole`).toBe(t === 1);
          const want = new Gradient(784, 16);
          reference.weightGradient(want, x, dz);
          expectProduct(g.whole().data, want.whole().data, referenceProduct("matmulTransA", x, dz, 784, 16).scale, 16, `batch ${t}`);
        });
      });
    });

    describe("column sums db = Σ_rows dz, the same bits", () => {
      for (const [n, c] of [[1, 1], [3, 5], [7, 10], [33, 9], [32, 128], [32, 256], [128, 10], [33, 257], [0, 4]]) {
        it(`[${n}, ${c}]`, () => {
          const x = new Matrix(n, c, c % 2 ? values(n * c, n * 31 + c) : random(n, c, lcg(n + c), 100).data);
          const want = new Matrix(1, c, new Float32Array(c));
          reference.columnSums(want, x);
          for (const where of PLACEMENTS) {
            const out = matrix(new Matrix(1, c, new Float32Array(c).fill(NaN)), where, "out");
            const calls = simdCalls(fast, ["sumRows"], () => fast.columnSums(out, matrix(x, where, "in")));
            expect(bitDifference(out.data, want.data), `[${n}, ${c}], ${where}`).toBeUndefined();
            if (calls) expect(calls.sumRows, `${where}: the SIMD pass`).toBe(simdExpected(where) ? 1 : 0);
          }
        });
      }
    });

    describe("element-wise activations", () => {
      it(`sigmoid: ${name === "js" ? "the same bits" : "within 1 ulp (float64 exp of its own)"}, every length 0…67, 1031, 8192, in place too`, () => {
        const maxUlps = name === "js" ? 0 : 1;
        for (const n of LENGTHS) {
          const x = values(n, n + 1);
          const want = new Float32Array(n);
          reference.sigmoid(want, x);
          for (const where of PLACEMENTS) {
            const y = array(new Float32Array(n).fill(NaN), where, "out");
            const calls = simdCalls(fast, ["sigmoid"], () => fast.sigmoid(y, array(x, where, "in")));
            const { ulps, report } = largestUlps(y, want);
            expect(ulps, `n ${n}, ${where}: ${report}`).toBeLessThanOrEqual(maxUlps);
            if (calls) expect(calls.sigmoid, `n ${n}, ${where}: the SIMD pass`).toBe(simdExpected(where) ? 1 : 0);
          }
          const inPlace = array(x, "heap", "out");
          fast.sigmoid(inPlace, inPlace);
          const { ulps, report } = largestUlps(inPlace, want);
          expect(ulps, `n ${n}, in place: ${report}`).toBeLessThanOrEqual(maxUlps);
        }
      });

      const PASSES: { op: "sigmoidBackward" | "relu" | "reluBackward"; simd: KernelMethod }[] = [
        { op: "sigmoidBackward", simd: "sigmoidBackward" }, { op: "relu", simd: "reluForward" }, { op: "reluBackward", simd: "reluBackward" },
      ];
      for (const { op, simd } of PASSES) {
        it(`${op}: the same bits, every length 0…67, 1031, 8192, special values included`, () => {
          for (const n of LENGTHS) {
            const dy = values(n, n + 2);
            // The saved output y: the sigmoid's in [0, 1]; relu's max(0, x) (and, for a stricter test, any value).
            const y = op === "sigmoidBackward" ? sigmoidOutputs(n, n + 3) : values(n, n + 3);
            const run = (b: Backend, out: Float32Array, a: Float32Array, s: Float32Array) =>
              op === "relu" ? b.relu(out, s) : b[op](out, a, s);
            const want = new Float32Array(n);
            run(reference, want, dy, y);
            for (const where of PLACEMENTS) {
              const out = array(new Float32Array(n).fill(NaN), where, "out");
              const calls = simdCalls(fast, [simd], () => run(fast, out, array(dy, where, "in"), array(y, where, "in")));
              expect(bitDifference(out, want), `${op}, n ${n}, ${where}`).toBeUndefined();
              if (calls) expect(calls[simd], `${op}, n ${n}, ${where}: the SIMD pass`).toBe(simdExpected(where) ? 1 : 0);
            }
          }
          if (op === "relu") {
            // In place, y = x, as an activation may run it.
            const x = values(8192, 5), want = new Float32Array(8192), inPlace = array(x, "heap", "out");
            reference.relu(want, x);
            fast.relu(inPlace, inPlace);
            expect(bitDifference(inPlace, want), "relu in place").toBeUndefined();
          }
        });
      }
    });

    it("dropout: the same mask and output bits, every length 0…67, 1031, 8192, rates 0.37, 0.5, 0.999 and the draws at each rate's edge", () => {
      for (const rate of [0.37, 0.5, 0.999]) {
        const scale = Math.fround(1 / (1 - rate)), edge = Math.ceil(rate * 4294967296);
        for (const n of LENGTHS) {
          const x = values(n, n + 4), rand = lcg(n * 7 + 1);
          // uniform draws, with the least kept draw and the one below it sprinkled in
          const draws = Uint32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? edge - (i % 2) : Math.floor(rand() * 4294967296)));
          const want = new Float32Array(n), wantMask = new Float32Array(n);
          reference.dropout(want, wantMask, x, draws, rate, scale);
          for (const where of PLACEMENTS) {
            const out = array(new Float32Array(n).fill(NaN), where, "out"), mask = array(new Float32Array(n).fill(NaN), where, "out");
            const heapDraws = where === "plain" || where === "mixed" ? Uint32Array.from(draws) : (() => {
              const a = int32(Int32Array.from(draws), where);
              return new Uint32Array(a.buffer, a.byteOffset, n);
            })();
            const calls = simdCalls(fast, ["dropout"], () => fast.dropout(out, mask, array(x, where, "in"), heapDraws, rate, scale));
            expect(bitDifference(out, want), `dropout ${rate}, n ${n}, ${where}`).toBeUndefined();
            expect(bitDifference(mask, wantMask), `dropout mask ${rate}, n ${n}, ${where}`).toBeUndefined();
            if (calls) expect(calls.dropout, `dropout, n ${n}, ${where}: the SIMD pass`).toBe(simdExpected(where) ? 1 : 0);
          }
        }
      }
    });

    describe("optimizer updates, the same bits", () => {
      const LEARNING_RATES = [0.01, 0.37, 0.0123456789, 1e-7];
      const SHAPES: [number, number][] = [[1, 1], [1, 5], [3, 7], [33, 129], [64, 37], [784, 256]];

      it("sgd on a gradient held whole", () => {
        for (const [r, c] of SHAPES) {
          const rand = lcg(r * 1000 + c);
          const w0 = random(r, c, rand), g0 = random(r, c, rand, 3);
          for (const lr of LEARNING_RATES) {
            const want = w0.clone(), gWant = new Gradient(r, c);
            gWant.wholeForWriting().data.set(g0.data);
            reference.sgd(want, gWant, lr);
            expect(bitDifference(want.data, w0.data), "the update changes w").toBeDefined();
            for (const where of PLACEMENTS) {
              // A Gradient's whole matrix is always in the heap: only w moves (w is the output, so "mixed" is all heap).
              const w = matrix(w0, where, "out"), g = new Gradient(r, c);
              g.wholeForWriting().data.set(g0.data);
              const calls = simdCalls(fast, ["update", "sgdRows"], () => fast.sgd(w, g, lr));
              expect(bitDifference(w.data, want.data, c), `[${r}, ${c}], lr ${lr}, ${where}`).toBeUndefined();
              expect(g.rowForm).toBeUndefined();
              if (calls) expect(calls.update, `${where}: the SIMD update`).toBe(where === "plain" ? 0 : 1);
            }
          }
        }
      });

      it("sgd on a gradient held as rows (only those rows change), including one the backend computed", () => {
        const lists: [number, number, number[]][] = [
          [1, 1, [0]], [1, 5, []], [3, 7, [0, 2]], [33, 129, [0, 1, 2, 5, 9, 10, 11, 12, 13, 31, 32]], [64, 37, [63]],
          [784, 256, Array.from({ length: 784 }, (_, j) => j).filter((j) => !border(j))],
        ];
        for (const [r, c, list] of lists) {
          const rand = lcg(r * 17 + c);
          const w0 = random(r, c, rand), rows0 = random(list.length, c, rand, 3);
          for (const lr of LEARNING_RATES) {
            const want = w0.clone(), gWant = new Gradient(r, c);
            gWant.setRows(rows0.clone(), Int32Array.from(list));
            reference.sgd(want, gWant, lr); // reads whole(): the rows written out, zeros elsewhere
            for (const where of PLACEMENTS) {
              const w = matrix(w0, where, "out"), g = new Gradient(r, c);
              g.setRows(matrix(rows0, where, "in"), int32(list, where));
              const calls = simdCalls(fast, ["update", "sgdRows"], () => fast.sgd(w, g, lr));
              expect(bitDifference(w.data, want.data, c), `[${r}, ${c}], ${list.length} rows, lr ${lr}, ${where}`).toBeUndefined();
              if (calls) {
                expect(calls.sgdRows, `${where}: the SIMD row update`).toBe(simdExpected(where) ? 1 : 0);
                expect(calls.update, `${where}: not the whole update`).toBe(0);
              }
            }
          }
        }
        // The rows Dense's backward pass leaves: the backend's own buffers.
        const rand = lcg(3);
        const x = mnistBatch(32, rand), dz = random(32, 256, rand), w0 = random(784, 256, rand);
        const g = new Gradient(784, 256);
        fast.weightGradient(g, x, dz);
        expect(g.rowForm, "held as rows").toBeDefined();
        const gWant = new Gradient(784, 256);
        gWant.setRows(g.rowForm!.rows.clone(), Int32Array.from(g.rowForm!.index));
        const w = w0.clone(), want = w0.clone();
        fast.sgd(w, g, 0.01);
        reference.sgd(want, gWant, 0.01);
        expect(bitDifference(w.data, want.data, 256), "after weightGradient").toBeUndefined();
      });

      for (const nesterov of [false, true]) {
        it(`momentum, nesterov ${nesterov}: w and v over three steps`, () => {
          for (const [r, c] of SHAPES) {
            const rand = lcg(r * 3 + c);
            const w0 = random(r, c, rand), v0 = random(r, c, rand, 0.1).data;
            const grads = [random(r, c, rand, 3), random(r, c, rand, 3), random(r, c, rand, 3)];
            for (const [lr, m] of [[0.01, 0.9], [0.37, 0.5], [0.0123456789, 0.99]]) {
              const want = w0.clone(), vWant = Float32Array.from(v0);
              for (const g0 of grads) reference.momentum(want, g0, vWant, lr, m, nesterov);
              for (const where of PLACEMENTS) {
                const w = matrix(w0, where, "out"), v = array(v0, where, "out");
                grads.forEach((g0, step) => {
                  const g = matrix(g0, where, "in");
                  const calls = simdCalls(fast, ["update"], () => fast.momentum(w, g, v, lr, m, nesterov));
                  const what = `[${r}, ${c}], lr ${lr}, m ${m}, ${where}, step ${step}`;
                  if (calls) expect(calls.update, `${what}: the SIMD update`).toBe(simdExpected(where) ? 1 : 0);
                });
                expect(bitDifference(w.data, want.data, c), `w: [${r}, ${c}], lr ${lr}, m ${m}, ${where}`).toBeUndefined();
                expect(bitDifference(v, vWant, c), `v: [${r}, ${c}], lr ${lr}, m ${m}, ${where}`).toBeUndefined();
              }
              expect(bitDifference(want.data, w0.data), "the updates change w").toBeDefined();
            }
          }
        });
      }
    });

    describe("allFinite", () => {
      it("gives the reference's answer for NaN, +Infinity or −Infinity at every position of lengths 0…67, and none", () => {
        for (const where of ["heap", "unaligned", "plain"] as const) {
          let simd = 0;
          for (let n = 0; n <= 67; n++) {
            const a = array(values(n, n).map((v) => (Number.isFinite(v) ? v : 0.25)), where, "in");
            const check = (what: string) => {
              const calls = simdCalls(fast, ["allFinite"], () => expect(fast.allFinite(a), `n ${n}, ${where}, ${what}`).toBe(reference.allFinite(a)));
              simd += calls?.allFinite ?? 0;
            };
            expect(reference.allFinite(a)).toBe(true);
            check("all finite");
            for (let at = 0; at < n; at++) {
              const keep = a[at];
              for (const bad of [NaN, Infinity, -Infinity]) {
                a[at] = bad;
                expect(reference.allFinite(a)).toBe(false);
                check(`${bad} at ${at}`);
              }
              a[at] = keep;
            }
          }
          if (fast instanceof WasmBackend) expect(simd, `${where}: the SIMD pass`).toBe(simdExpected(where) ? 68 + 3 * (67 * 68) / 2 : 0);
        }
      });
    });

    describe("random draws from the seeded generator: random.ts's loops' bits", () => {
      // The backend's own loop where it has one (wasm), else random.ts's, as uniformDraws and shuffleOrder choose.
      const b: Backend = fast;
      const uniform = (out: Float32Array, lo: number, hi: number) => (b.uniform ? b.uniform(out, lo, hi) : fillUniform(out, lo, hi));
      const shuffleThis = (a: Int32Array) => (b.shuffle ? b.shuffle(a) : shuffle(a));
      // Draws from the state a seed gives, then one draw more: the stream must go on from where random.ts's loop left it.
      const drawn = (seed: number, draw: () => void): number => {
        setRandomSeed(seed);
        nextUint32();
        draw();
        return nextUint32();
      };
      const lengths = [0, 1, 2, 3, 4, 5, 7, 8, 67, 1031, 784 * 3, 2 * DRAW_CHUNK + 5];

      it("uniform: every length, bounds of both signs and a wide range, and the stream after", () => {
        for (const where of ["heap", "unaligned", "plain"] as const) {
          let simd = 0;
          for (const n of lengths) {
            for (const [lo, hi] of [[-0.0873, 0.0873], [0, 1], [-3e5, 7], [2.5, 2.5]]) {
              const ours = array(new Float32Array(n), where, "out"), theirs = new Float32Array(n);
              const calls = simdCalls(fast, ["uniform"], () => void drawn(n + 1, () => uniform(ours, lo, hi)));
              simd += calls?.uniform ?? 0;
              const nextOurs = drawn(n + 1, () => uniform(ours, lo, hi));
              const nextTheirs = drawn(n + 1, () => fillUniform(theirs, lo, hi));
              expect(bitDifference(ours, theirs), `n ${n}, [${lo}, ${hi}), ${where}`).toBeUndefined();
              expect(nextOurs, `n ${n}, ${where}: the next draw`).toBe(nextTheirs);
            }
          }
          // uniform draws in calls of DRAW_CHUNK at most
          const calls = lengths.reduce((sum, n) => sum + Math.ceil(n / DRAW_CHUNK), 0);
          if (fast instanceof WasmBackend) expect(simd, `${where}: the SIMD pass`).toBe(simdExpected(where) ? 4 * calls : 0);
        }
      });

      it("shuffle: every length, the same permutation, and the stream after", () => {
        for (const where of ["heap", "unaligned", "plain"] as const) {
          let simd = 0;
          for (const n of [...lengths, 60000]) {
            const start = Int32Array.from({ length: n }, (_, i) => (i * 7919) % 100003);
            const ours = int32(start, where), theirs = Int32Array.from(start);
            const calls = simdCalls(fast, ["shuffle"], () => void drawn(n + 2, () => shuffleThis(ours)));
            simd += calls?.shuffle ?? 0;
            ours.set(start);
            const nextOurs = drawn(n + 2, () => shuffleThis(ours));
            const nextTheirs = drawn(n + 2, () => shuffle(theirs));
            expect(Array.from(ours), `n ${n}, ${where}`).toEqual(Array.from(theirs));
            expect(nextOurs, `n ${n}, ${where}: the next draw`).toBe(nextTheirs);
            if (n > 8) expect(Array.from(theirs), `n ${n}: shuffled`).not.toEqual(Array.from(start));
          }
          if (fast instanceof WasmBackend) expect(simd, `${where}: the SIMD pass`).toBe(simdExpected(where) ? lengths.length + 1 : 0); // one call each
        }
      });
    });
  });
}
