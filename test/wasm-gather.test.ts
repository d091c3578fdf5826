// A batch's rows gathered by a list of row numbers as WebAssembly (src/tensor/wasm/gather.ts), and
// the wasm backend's gatherRows around it, against the loop that defines the gather (ops.ts:
// gatherRows): the same bits for every row width (whole cache lines, single vectors, single
// floats), and a row number outside src copies nothing of what lies past src in the heap.
import { describe, it, expect, afterAll } from "vitest";
import { SimdModule } from "../src/tensor/wasm/module.js";
import { heapMemory } from "../src/tensor/heap.js";
import { allocInt32 } from "../src/tensor/alloc.js";
import { Matrix } from "../src/tensor/matrix.js";
import { gatherRows, rowOrder } from "../src/tensor/ops.js";
import { gatherBatch, getBackend, setBackend } from "../src/tensor/backend.js";
import { WasmBackend } from "../src/tensor/wasm-backend.js";
import { shuffle } from "../src/tensor/random.js";
import { bits, lcg, randomMatrix } from "./helpers/data.js";

const initial = getBackend();
afterAll(() => setBackend(initial));

const kernel = new SimdModule(heapMemory()!);

/** The loop's gather into a fresh matrix outside the heap (it copies row by row, out of the module's reach). */
function byLoop(src: Matrix, index: Int32Array, from: number, rows: number): Matrix {
  const out = new Matrix(rows, src.cols, new Float32Array(rows * src.cols));
  gatherRows(out, new Matrix(src.rows, src.cols, Float32Array.from(src.data)), index, from);
  return out;
}

describe("gatherRows as WebAssembly", () => {
  it("copies the listed rows with the loop's bits, for widths of whole lines, vectors and single floats", () => {
    for (const cols of [1, 3, 4, 10, 16, 21, 64, 77, 784]) {
      const src = randomMatrix(50, cols, lcg(cols));
      const index = rowOrder(50);
      shuffle(index);
      const out = new Matrix(20, cols);
      out.data.fill(-1);
      expect(kernel.gatherRows(out.data.byteOffset, src.data.byteOffset, index.byteOffset + 4 * 17, 20, cols, 50), `${cols} columns`).toBe(20);
      expect(bits(out).equals(bits(byLoop(src, index, 17, 20))), `${cols} columns`).toBe(true);
    }
  });

  it("stops at the first row number outside src and says how many rows it copied", () => {
    // src's 30 rows followed in the heap by a row of 7s, which row number 30 must not reach.
    const whole = new Matrix(31, 21);
    whole.data.set(randomMatrix(30, 21, lcg(5)).data);
    whole.data.fill(7, 30 * 21);
    const src = new Matrix(30, 21, whole.data.subarray(0, 30 * 21));
    // The bad row in the first group of rows copied side by side, in the second, and among the last rows.
    for (const [bad, at] of [[30, 3], [-1, 12], [1 << 30, 18], [30, 0]]) {
      const index = allocInt32(20);
      for (let r = 0; r < 20; r++) index[r] = (7 * r + 3) % 30;
      index[at] = bad;
      const out = new Matrix(20, 21);
      expect(kernel.gatherRows(out.data.byteOffset, src.data.byteOffset, index.byteOffset, 20, 21, 30), `row number ${bad} at ${at}`).toBe(at);
      expect(bits(out.data.subarray(0, at * 21)).equals(bits(byLoop(src, index, 0, at))), `row number ${bad} at ${at}`).toBe(true);
      expect(out.data.subarray(at * 21).every((v) => v === 0), `row number ${bad} at ${at}: nothing copied from there on`).toBe(true);
    }
  });
});

describe("the wasm backend's gather (trainer.ts's batches)", () => {
  it("gives the loop's rows, in the heap or out of it, and the loop's answer for a row number outside src", () => {
    setBackend("wasm");
    const src = randomMatrix(200, 784, lcg(3));
    const index = rowOrder(200);
    shuffle(index);
    const wasm = new WasmBackend();
    for (const [rows, from] of [[32, 0], [32, 168], [7, 193]]) {
      const out = new Matrix(rows, 784);
      wasm.gatherRows(out, src, index, from);
      expect(bits(out).equals(bits(byLoop(src, index, from, rows))), `${rows} rows from ${from}`).toBe(true);
      const outside = new Matrix(rows, 784, new Float32Array(rows * 784)); // out of the heap: the loop's way
      gatherBatch(outside, src, index, from);
      expect(bits(outside).equals(bits(out))).toBe(true);
    }
    // A row number past src (its rows followed by 7s in the heap), and one list read past its end.
    const whole = new Matrix(201, 784);
    whole.data.set(src.data);
    whole.data.fill(7, 200 * 784);
    const short = new Matrix(200, 784, whole.data.subarray(0, 200 * 784));
    const bad = rowOrder(32);
    bad[9] = 200;
    const out = new Matrix(32, 784), expected = byLoop(short, bad, 0, 32);
    out.data.fill(-1);
    expected.data.fill(-1, 9 * 784, 10 * 784); // the loop leaves that row as it was
    wasm.gatherRows(out, short, bad, 0);
    expect(bits(out).equals(bits(expected))).toBe(true);
    const tail = new Matrix(32, 784), list = rowOrder(40);
    wasm.gatherRows(tail, src, list, 20); // rows 20 … 39, then past the list: those stay as they were
    expect(bits(tail).equals(bits(byLoop(src, list, 20, 32)))).toBe(true);
  });
});
