// The choice of backend (src/tensor/backend.ts): WebAssembly SIMD ("wasm"), plain TypeScript
// ("js") or the reference loops; setKernel/getKernel are the deprecated names for the first two.
import { describe, it, expect, afterAll, vi } from "vitest";
import { Matrix, Gradient, matmul, matmulTransA, matmulTransB, setKernel, getKernel, setBackend, getBackend, setRandomSeed, tutorialModel } from "../src/index.js";
import { backend } from "../src/tensor/backend.js";
import type { WasmBackend } from "../src/tensor/wasm-backend.js";
import { blobs, lcg, randomMatrix } from "./helpers/data.js";
import { SimdModule } from "../src/tensor/wasm/module.js";
import { heapMemory } from "../src/tensor/heap.js";
import { allocFloat32 } from "../src/tensor/alloc.js";
import { loopElements, Loop } from "../src/tensor/elementwise.js";

const initial = getBackend();
afterAll(() => setBackend(initial));

/** ‖x − y‖ / ‖y‖ over all elements. */
function relativeError(x: Float32Array, y: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - y[i]) ** 2;
    den += y[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe("kernel choice", () => {
  it("defaults to the WebAssembly SIMD backend in Node, or to what PURENN_BACKEND (else PURENN_KERNEL) names", () => {
    expect(initial).toBe(process.env.PURENN_BACKEND || process.env.PURENN_KERNEL || "wasm");
    expect(getKernel(), "the deprecated name reads the same choice").toBe(initial);
  });

  it("rejects a backend name it does not know, naming it and the known ones", () => {
    expect(() => setKernel("gpu" as "js")).toThrow(/setKernel expects "js" or "wasm" \(or use setBackend\), got "gpu"/);
    expect(() => setKernel("reference" as "js"), "setKernel keeps its old two names").toThrow(/got "reference"/);
    expect(() => setBackend("gpu" as "js")).toThrow(/setBackend expects one of "reference", "js", "wasm", got "gpu"/);
    expect(getBackend()).toBe(initial);
  });

  it("the two kernels agree to 1e-5 (relative) on every form at the tutorial's shapes", () => {
    const r = lcg(11);
    const x = randomMatrix(32, 784, r), W = randomMatrix(784, 256, r), dz = randomMatrix(32, 256, r);
    const cols = new Int32Array(450).map((_, i) => Math.floor((i * 784) / 450));
    // x with every column outside `cols` zero: affine sums over the 450 columns only (ks), and
    // weightGradient computes only their 450 rows of dW (aRows), held as rows.
    const xs = x.clone();
    const keep = new Set(cols);
    for (let i = 0; i < 32; i++) for (let j = 0; j < 784; j++) if (!keep.has(j)) xs.data[i * 784 + j] = 0;
    const cases: [string, () => Float32Array][] = [];
    const z = new Matrix(32, 256), dW = new Matrix(784, 256), dx = new Matrix(32, 784), zs = new Matrix(32, 256), dWs = new Gradient(784, 256);
    cases.push(["x·W", () => (matmul(z, x, W), z.data)]);
    cases.push(["xᵀ·dz", () => (matmulTransA(dW, x, dz), dW.data)]);
    cases.push(["dz·Wᵀ", () => (matmulTransB(dx, dz, W), dx.data)]);
    cases.push(["x·W over 450 columns", () => (backend().affine(zs, xs, W, undefined), zs.data)]);
    cases.push(["xᵀ·dz, 450 rows", () => {
      backend().weightGradient(dWs, xs, dz);
      const form = dWs.rowForm;
      expect(form, `${getBackend()}: dW held as rows`).toBeDefined();
      expect(Array.from(form!.index), `${getBackend()}: the rows of the non-zero columns`).toEqual(Array.from(cols));
      return form!.rows.data;
    }]);
    for (const [name, run] of cases) {
      setBackend("js");
      const js = Float32Array.from(run());
      setBackend("wasm");
      const gemm = vi.spyOn((backend() as WasmBackend).simd, "gemm"); // the SIMD product must really run
      const wasm = run();
      expect(gemm, `${name}: the wasm backend ran the SIMD product`).toHaveBeenCalled();
      gemm.mockRestore();
      const err = relativeError(wasm, js);
      expect(err, name).toBeLessThan(1e-5);
      expect(err, `${name}: the kernels really differ (float32 vs float64 sums)`).toBeGreaterThan(0);
    }
  });

  it("the SIMD update loops give the JavaScript loops' bits, over any range, with odd lengths", () => {
    const kernel = new SimdModule(heapMemory()!);
    const r = lcg(5);
    for (const loop of [Loop.Sgd, Loop.Momentum, Loop.Nesterov]) {
      for (const [n, start, end] of [[1, 0, 1], [7, 0, 7], [1031, 3, 1030], [4096, 0, 4096]]) {
        const fill = (scale: number) => { const x = allocFloat32(n); for (let i = 0; i < n; i++) x[i] = scale * (2 * r() - 1); return x; };
        const w = fill(1), g = fill(3), v = fill(0.1);
        const [w2, g2, v2, w0] = [Float32Array.from(w), Float32Array.from(g), Float32Array.from(v), Float32Array.from(w)];
        const scalars = [0.0123456789, 0.9];
        for (let step = 0; step < 3; step++) {
          loopElements(loop, [w, g, v], scalars, start, end, kernel);
          loopElements(loop, [w2, g2, v2], scalars, start, end);
        }
        const same = (x: Float32Array, y: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
        expect(same(w, w2), `loop ${loop}, n ${n}: w`).toBe(true);
        expect(same(v, v2), `loop ${loop}, n ${n}: v`).toBe(true);
        expect(w[end - 1], "the loop changed w").not.toBe(w0[end - 1]);
      }
    }
  });

  it("an epoch of the tutorial's network gives the same losses under both kernels, to 1e-4", async () => {
    const { x, y } = blobs(640, 784, 10, 4);
    const losses: number[][] = [];
    for (const kernel of ["js", "wasm"] as const) {
      setBackend(kernel);
      setRandomSeed(3);
      const model = tutorialModel();
      model.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
      const history = await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
      losses.push(history.history.loss as number[]);
    }
    losses[0].forEach((loss, i) => expect(Math.abs(losses[1][i] - loss) / loss).toBeLessThan(1e-4));
  });
});
