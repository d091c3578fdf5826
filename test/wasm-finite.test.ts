// The SIMD finiteness check (src/tensor/wasm/finite.ts) and backend().allFinite (the reference's
// loop is the definition), which checkData runs at the door of fit / evaluate / predict: one NaN or
// ±Infinity anywhere (first, last, in a vector's every lane, in the scalar tail) gives false; every
// finite float32 (±0, denormals, ±FLT_MAX) gives true; the plain loop agrees, and so do arrays outside the heap.
import { describe, it, expect, afterAll, vi } from "vitest";
import { SimdModule } from "../src/tensor/wasm/module.js";
import { heapMemory, inHeap } from "../src/tensor/heap.js";
import { allocFloat32 } from "../src/tensor/alloc.js";
import { backend, getBackend, setBackend } from "../src/tensor/backend.js";
import { ReferenceBackend } from "../src/tensor/reference.js";
import type { WasmBackend } from "../src/tensor/wasm-backend.js";
import { Matrix } from "../src/tensor/matrix.js";
import { checkData } from "../src/model/checks.js";
import { lcg } from "./helpers/data.js";

const initial = getBackend();
afterAll(() => setBackend(initial));

/** The definition, one value at a time (the reference backend's loop). */
const reference = new ReferenceBackend();
const allFiniteNaive = (a: Float32Array) => reference.allFinite(a);

const kernel = new SimdModule(heapMemory()!);
const FLT_MAX = 3.4028234663852886e38;
/** Finite values that are easy to get wrong: signed zeros, denormals, the largest floats. */
const EDGES = [0, -0, 1e-45, -1e-45, 1e-40, -1.1754942e-38, 1.17549435e-38, FLT_MAX, -FLT_MAX, -2.5];
/** NaN and the infinities; NaN also as bit patterns a division never makes (negative, signalling, with a payload). */
const BAD_BITS = [0x7fc00000, 0xffc00000, 0x7f800001, 0xffbfffff, 0x7f800000, 0xff800000];

/** A heap array of n finite values (some of them EDGES). */
function finiteArray(n: number, seed = n): Float32Array {
  const r = lcg(seed);
  const a = allocFloat32(n);
  for (let i = 0; i < n; i++) a[i] = i % 5 === 0 ? EDGES[i % EDGES.length] : 1e6 * (r() - 0.5);
  return a;
}

const wasmSays = (a: Float32Array) => kernel.allFinite(a.byteOffset, a.length);

describe("allFinite", () => {
  it("is true for every length 0 … 40 of finite values, ±0, denormals and ±FLT_MAX included", () => {
    for (let n = 0; n <= 40; n++) {
      const a = finiteArray(n);
      expect(wasmSays(a), `n ${n}`).toBe(true);
      expect(allFiniteNaive(a), `n ${n}`).toBe(true);
    }
    expect(wasmSays(allocFloat32(100_003).fill(FLT_MAX))).toBe(true);
    expect(wasmSays(allocFloat32(100_003).fill(-1e-45))).toBe(true);
    const edges = allocFloat32(EDGES.length);
    edges.set(EDGES);
    expect(wasmSays(edges)).toBe(true);
  });

  it("is false for one NaN or ±Infinity at any position of lengths 1 … 40, and at the first, middle, tail and last of a long array", () => {
    const cases: [number, number][] = [];
    for (let n = 1; n <= 40; n++) for (let at = 0; at < n; at++) cases.push([n, at]);
    const long = 100_003; // 6250 vectors of 16, then a scalar tail of 3
    for (const at of [0, 1, 15, 16, 50_001, long - 4, long - 3, long - 2, long - 1]) cases.push([long, at]);
    for (const [n, at] of cases) {
      const a = finiteArray(n);
      const bits = new Uint32Array(a.buffer, a.byteOffset, n);
      for (const bad of BAD_BITS) {
        const keep = bits[at];
        bits[at] = bad;
        expect(wasmSays(a), `n ${n}, bits 0x${bad.toString(16)} at ${at}`).toBe(false);
        expect(allFiniteNaive(a), `n ${n}, bits 0x${bad.toString(16)} at ${at}`).toBe(false);
        bits[at] = keep;
      }
      expect(wasmSays(a), `n ${n}: restored`).toBe(true);
    }
  });

  it("reads exactly [p, p + count): values just outside do not count, at any alignment", () => {
    const a = finiteArray(64);
    a[0] = NaN;
    a[63] = Infinity;
    for (let start = 1; start < 20; start++) {
      for (const count of [0, 1, 3, 4, 15, 16, 17, 63 - start]) {
        expect(kernel.allFinite(a.byteOffset + 4 * start, count), `start ${start}, count ${count}`).toBe(true);
      }
      expect(kernel.allFinite(a.byteOffset + 4 * start, 64 - start), `start ${start}, through the Infinity`).toBe(false);
    }
  });

  it("asks the SIMD module for heap arrays under the wasm backend, the plain loop otherwise, with the same answers", () => {
    const a = finiteArray(1000), outside = Float32Array.from(a);
    expect(inHeap(a) && !inHeap(outside)).toBe(true);
    for (const k of ["wasm", "js", "reference"] as const) {
      setBackend(k);
      const simd = k === "wasm" ? vi.spyOn((backend() as WasmBackend).simd, "allFinite") : undefined;
      const allFinite = (x: Float32Array) => backend().allFinite(x);
      expect(allFinite(a), k).toBe(true);
      expect(allFinite(outside), k).toBe(true);
      a[999] = outside[999] = -Infinity;
      expect(allFinite(a), k).toBe(false);
      expect(allFinite(outside), k).toBe(false);
      a[999] = outside[999] = 0;
      // Twice from the heap array; never for the one outside it (the kernel cannot reach it).
      if (simd) expect(simd.mock.calls.map(([ptr]) => ptr)).toEqual([a.byteOffset, a.byteOffset]);
      simd?.mockRestore();
    }
  });

  it("leaves checkData's message as it was: the first bad value, its row and column", () => {
    for (const k of ["wasm", "js", "reference"] as const) {
      setBackend(k);
      const m = new Matrix(1000, 37, finiteArray(37_000));
      expect(checkData("fit", "x", m)).toBe(m);
      m.data[36_999] = Infinity;
      m.data[20 * 37 + 5] = NaN;
      expect(() => checkData("fit", "x", m)).toThrow(
        "fit: x holds NaN at row 20, column 5; expected finite numbers (check for missing values or a division by zero)",
      );
    }
  });
});
