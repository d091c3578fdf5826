// The per-element passes of a training step under the wasm backend (tensor/wasm/pointwise.ts):
// relu forward and backward, sigmoid backward and the column sums give exactly the
// JavaScript loops' bits. Arrays in the heap take the WebAssembly path, plain ones the loop.
import { describe, it, expect, vi, afterEach } from "vitest";
import { Matrix, getBackend } from "../src/index.js";
import { getActivation } from "../src/layers/activations.js";
import { backend } from "../src/tensor/backend.js";
import type { WasmBackend } from "../src/tensor/wasm-backend.js";
import { bits, heapCopy, lcg } from "./helpers/data.js";

const wasm = getBackend() === "wasm";
/** Column sums, the bias gradient: out(0, j) = Σ_i x(i, j), by the backend in use. */
const sumRows = (out: Matrix, x: Matrix) => backend().columnSums(out, x);

/** Values a pass can meet: random of several scales, the sigmoid's range, and the special ones. */
function values(n: number, seed: number): Float32Array {
  const rand = lcg(seed);
  const special = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1e-38, 3.4e38, -3.4e38, 0.5, 1 - 2 ** -24];
  return Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length] : (rand() - 0.5) * 10 ** ((i % 7) - 3)));
}


describe.runIf(wasm)("SIMD per-element passes match the JavaScript loops bit for bit", () => {
  afterEach(() => vi.restoreAllMocks());
  /** Counts the calls into each pass, so that a test sees the SIMD path ran (and not the loop twice). */
  function spies() {
    const k = (backend() as WasmBackend).simd;
    return {
      reluForward: vi.spyOn(k, "reluForward"), reluBackward: vi.spyOn(k, "reluBackward"),
      sigmoidBackward: vi.spyOn(k, "sigmoidBackward"), sumRows: vi.spyOn(k, "sumRows"),
    };
  }
  const lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 37, 8192];

  it("relu forward and backward, sigmoid backward, on every length and special value", () => {
    const calls = spies();
    for (const name of ["relu", "sigmoid"]) {
      const act = getActivation(name);
      for (const n of lengths) {
        const x = values(n, n + 1), dy = values(n, n + 2);
        // The saved output: relu's y from x; the sigmoid's in [0, 1] plus special values.
        const y = name === "relu" ? Float32Array.from(x, (v) => (v > 0 ? v : 0)) : values(n, n + 3).map((v, i) => (i % 3 ? Math.abs(v) % 1 : v));
        if (name === "relu") {
          const loop = new Float32Array(n), simd = heapCopy(new Float32Array(n));
          act.forward(loop, x, 1, n);
          act.forward(simd, heapCopy(x), 1, n);
          expect(bits(simd).equals(bits(loop)), `relu forward, ${n}`).toBe(true);
        }
        const loop = new Float32Array(n), simd = heapCopy(new Float32Array(n));
        act.backward(loop, dy, x, y, 1, n);
        act.backward(simd, heapCopy(dy), heapCopy(x), heapCopy(y), 1, n);
        expect(bits(simd).equals(bits(loop)), `${name} backward, ${n}`).toBe(true);
      }
    }
    // Once per length from the heap arrays; never for the plain ones.
    expect(calls.reluForward).toHaveBeenCalledTimes(lengths.length);
    expect(calls.reluBackward).toHaveBeenCalledTimes(lengths.length);
    expect(calls.sigmoidBackward).toHaveBeenCalledTimes(lengths.length);
  });

  it("column sums (the bias gradient) on awkward shapes", () => {
    const calls = spies();
    const shapes = [[1, 1], [3, 5], [7, 10], [32, 128], [32, 256], [33, 9]];
    for (const [n, c] of shapes) {
      const x = values(n * c, n * 31 + c);
      const loop = new Matrix(1, c, new Float32Array(c)), simd = new Matrix(1, c);
      sumRows(loop, new Matrix(n, c, x));
      const xh = new Matrix(n, c);
      xh.data.set(x);
      sumRows(simd, xh);
      expect(bits(simd.data).equals(bits(loop.data)), `[${n}, ${c}]`).toBe(true);
    }
    expect(calls.sumRows).toHaveBeenCalledTimes(shapes.length);
  });

  it("the passes compute what their formulas say (a hand-worked case)", () => {
    const relu = getActivation("relu"), sigmoid = getActivation("sigmoid");
    const y = heapCopy(new Float32Array(5)), dx = heapCopy(new Float32Array(5));
    relu.forward(y, heapCopy(Float32Array.from([-2, -0, 0, 0.5, NaN])), 1, 5);
    expect(Array.from(y)).toEqual([0, 0, 0, 0.5, 0]);
    relu.backward(dx, heapCopy(Float32Array.from([1, 2, 3, 4, 5])), y, y, 1, 5);
    expect(Array.from(dx)).toEqual([0, 0, 0, 4, 0]);
    sigmoid.backward(dx, heapCopy(Float32Array.from([1, 2, 4, 1, 1])), y, heapCopy(Float32Array.from([0.5, 0.5, 0.25, 0, 1])), 1, 5);
    expect(Array.from(dx)).toEqual([0.25, 0.5, 0.75, 0, 0]);
    const out = new Matrix(1, 3), m = Matrix.fromArray([[1, 2, 3], [10, 20, 30]]);
    const mh = new Matrix(2, 3);
    mh.data.set(m.data);
    sumRows(out, mh);
    expect(Array.from(out.data)).toEqual([11, 22, 33]);
  });
});
