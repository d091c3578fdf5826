// The SIMD sigmoid (src/tensor/wasm/sigmoid.ts) against the JavaScript definition
// y = f32(1 / (1 + Math.exp(−x))): within 1 ulp everywhere (in practice the same bits),
// exact on the special values, independent of how a range is cut, and the one the
// sigmoid activation runs under the wasm backend, on one thread or split between two.
import { describe, it, expect, vi, afterAll } from "vitest";
import { SimdModule, wasmSimdAvailable, simdModuleBytes } from "../src/tensor/wasm/module.js";
import { wasm } from "../src/tensor/webassembly.js";
import { heapMemory } from "../src/tensor/heap.js";
import { allocFloat32 } from "../src/tensor/alloc.js";
import { elementwise, Loop } from "../src/tensor/elementwise.js";
import { backend, getBackend, setBackend } from "../src/tensor/backend.js";
import { setThreads, threadsReady, parallelRunCount } from "../src/tensor/threads.node.js";
import { getActivation } from "../src/layers/activations.js";
import { heapCopy, lcg } from "./helpers/data.js";

const initial = getBackend();
afterAll(() => {
  setBackend(initial);
  setThreads(1);
});

const kernel = new SimdModule(heapMemory()!);


/** The definition: what the JavaScript loop stores. */
function reference(x: Float32Array): Float32Array {
  return x.map((v) => 1 / (1 + Math.exp(-v)));
}

function wasmSigmoid(x: Float32Array, start = 0, end = x.length): Float32Array {
  const y = allocFloat32(x.length);
  kernel.sigmoid(y.byteOffset, x.byteOffset, start, end);
  return y;
}

/** Float32 bits as an integer; for values of one sign, adjacent floats differ by 1. */
const bitsOf = (a: Float32Array) => new Int32Array(a.buffer, a.byteOffset, a.length);

/** Every float32 from `count` below `v` to `count` above it, by bit pattern (v > 0). */
function around(v: number, count: number): number[] {
  const b = bitsOf(Float32Array.of(v))[0];
  return Array.from({ length: 2 * count + 1 }, (_, i) => new Float32Array(Int32Array.of(b - count + i).buffer)[0]);
}

/** Inputs that probe every part of the computation. */
function sweep(): Float32Array {
  const r = lcg(17);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const values: number[] = [];
  for (const scale of [1e-3, 0.1, 1, 3, 10, 40]) for (let i = 0; i < 20_000; i++) values.push(scale * normal());
  values.push(0, -0, 1e-30, -1e-30, 1e-45, -1e-45, 1e-40, 2 ** -126, -(2 ** -126), 1, -1, 0.5, -0.5);
  values.push(3.4028234663852886e38, -3.4028234663852886e38, Infinity, -Infinity, NaN);
  for (const v of [20, 88, 104, 200, 709, 710, 745, 746, 1e6]) values.push(v, -v);
  // Every float32 near the clamp (−x = −20, 104) and near where the result reaches 1 and 0 (17.33, 103.97).
  for (const edge of [20, 104, 17.328679513998633, 103.97207708399179, Math.LN2 / 2, Math.LN2 * 1.5]) {
    for (const v of around(edge, 3000)) values.push(v, -v);
  }
  // Every 4099th float32 bit pattern: about a million values of every sign and exponent.
  const one = new Uint32Array(1), asFloat = new Float32Array(one.buffer);
  for (let b = 0; b < 2 ** 32; b += 4099) {
    one[0] = b;
    values.push(asFloat[0]);
  }
  return heapCopy(values);
}

describe("WebAssembly SIMD sigmoid", () => {
  it("is in the kernel module, which still validates for shared and unshared memories", () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(wasm!.validate(simdModuleBytes(false))).toBe(true);
    expect(wasm!.validate(simdModuleBytes(true))).toBe(true);
  });

  it("is within 1 ulp of f32(1 / (1 + Math.exp(−x))) on a million inputs, and exact on the special values", () => {
    const x = sweep();
    const want = reference(x), got = wasmSigmoid(x);
    const wb = bitsOf(want), gb = bitsOf(got);
    let differ = 0, maxUlp = 0, worst = 0;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(want[i])) {
        expect(Number.isNaN(got[i]), `x = ${x[i]}: NaN in, NaN out`).toBe(true);
        continue;
      }
      const ulp = Math.abs(wb[i] - gb[i]); // both in [0, 1]: same sign
      if (ulp > 0) differ++;
      if (ulp > maxUlp) [maxUlp, worst] = [ulp, i];
    }
    const report = `${differ} of ${x.length} differ; largest ${maxUlp} ulp at x = ${x[worst]} (want ${want[worst]}, got ${got[worst]})`;
    expect(maxUlp, report).toBeLessThanOrEqual(1);
    expect(differ / x.length, report).toBeLessThan(1e-5);
    const exact: [number, number][] = [[NaN, NaN], [Infinity, 1], [-Infinity, 0], [0, 0.5], [-0, 0.5], [20, 1], [17.4, 1], [-104, 0], [-200, 0], [-1e6, 0], [1e-45, 0.5]];
    const special = wasmSigmoid(heapCopy(exact.map(([v]) => v)));
    exact.forEach(([v, y], i) => expect(special[i], `sigmoid(${v})`).toBe(y));
    // Just inside the range the clamp keeps, the result is not yet 0: 2⁻¹⁴⁹, the smallest float32, near −x = 103.28.
    expect(wasmSigmoid(heapCopy([-103.2]))[0]).toBe(reference(Float32Array.of(-103.2))[0]);
    expect(wasmSigmoid(heapCopy([-103.2]))[0]).toBeGreaterThan(0);
  });

  it("gives the same bits however [start, end) cuts the array, vector or scalar, in place or not", () => {
    const r = lcg(3);
    const n = 1031;
    // Mostly where the sigmoid bends, a third past the clamp (|x| > 104), and NaN, ±Infinity.
    const x = heapCopy(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 300 : 30) * (r() - 0.5)));
    [x[2], x[3], x[1030]] = [NaN, Infinity, -Infinity];
    const whole = wasmSigmoid(x);
    const pieces = allocFloat32(n);
    const cuts = [0, 1, 4, 5, 21, 38, 39, 55, 100, 117, 600, 1027, 1030, n];
    for (let c = 0; c + 1 < cuts.length; c++) kernel.sigmoid(pieces.byteOffset, x.byteOffset, cuts[c], cuts[c + 1]);
    expect(Array.from(bitsOf(pieces))).toEqual(Array.from(bitsOf(whole)));
    // A start 4 bytes past a 16-byte boundary (x.subarray(1)) reads unaligned vectors; in place overwrites x.
    const shifted = wasmSigmoid(x.subarray(1));
    for (let i = 0; i + 1 < n; i++) expect(bitsOf(shifted)[i]).toBe(bitsOf(whole)[i + 1]);
    const inPlace = heapCopy(x);
    kernel.sigmoid(inPlace.byteOffset, inPlace.byteOffset, 0, n);
    expect(Array.from(bitsOf(inPlace))).toEqual(Array.from(bitsOf(whole)));
    // Elements outside [start, end) are left alone.
    const y = heapCopy(new Float32Array(8).fill(7));
    kernel.sigmoid(y.byteOffset, heapCopy([0, 0, 0, 0, 0, 0, 0, 0]).byteOffset, 2, 7);
    expect(Array.from(y)).toEqual([7, 7, 0.5, 0.5, 0.5, 0.5, 0.5, 7]);
  });

  it("is what the sigmoid activation runs under the wasm backend, on one thread and split between two", async () => {
    setBackend("wasm");
    const spy = vi.spyOn(SimdModule.prototype, "sigmoid");
    const r = lcg(9);
    const x = heapCopy(Array.from({ length: 64 * 256 }, () => 8 * (r() - 0.5)));
    const y = allocFloat32(x.length);
    const sigmoid = getActivation("sigmoid");
    sigmoid.forward(y, x, 64, 256);
    expect(spy).toHaveBeenCalled();
    const oneThread = Float32Array.from(y);
    expect(Array.from(bitsOf(oneThread))).toEqual(Array.from(bitsOf(wasmSigmoid(x))));

    setThreads(2);
    await threadsReady(120_000);
    y.fill(0);
    spy.mockClear();
    const before = parallelRunCount();
    backend().sigmoid(y, x); // 16384 elements (a batch of 64): cut into pieces that the caller and the worker claim
    expect(parallelRunCount(), "split between threads").toBeGreaterThan(before);
    expect(spy.mock.calls.every(([, , start, end]) => end - start < x.length), "the caller ran pieces, not the whole").toBe(true);
    expect(Array.from(bitsOf(y))).toEqual(Array.from(bitsOf(oneThread)));
    setThreads(1);

    // The js backend runs the JavaScript loop, and so does elementwise when given no kernel.
    spy.mockClear();
    elementwise(Loop.Sigmoid, [y.fill(0), x], []);
    expect(spy).not.toHaveBeenCalled();
    expect(Array.from(bitsOf(y))).toEqual(Array.from(bitsOf(reference(x))));
    setBackend("js");
    spy.mockClear();
    sigmoid.forward(y, x, 32, 256);
    expect(spy).not.toHaveBeenCalled();
    expect(Array.from(bitsOf(y))).toEqual(Array.from(bitsOf(reference(x))));
    spy.mockRestore();
  });
});
