/**
 * Which kernel multiplies matrices: "wasm", the WebAssembly SIMD kernel
 * emitted from TypeScript (wasm/kernel.ts), or "js", the plain TypeScript one
 * (gemm.ts), which is the reference and the fallback.
 *
 * The default is "wasm" wherever the runtime validates the SIMD module and
 * matrices live in the shared heap (heap.ts); otherwise "js". setKernel (or
 * PURENN_KERNEL=js|wasm, read on first use) chooses. The two agree to rounding: the SIMD
 * kernel sums in float32, the JavaScript one in float64 within each k slice.
 */
import { heapMemory, inHeap } from "./heap.js";
import { describe } from "./matrix.js";
import { WasmKernel, wasmSimdAvailable } from "./wasm/kernel.js";

export type KernelName = "js" | "wasm";

let current: KernelName | undefined;
let instance: WasmKernel | undefined;

/** Whether this runtime can use the WebAssembly SIMD kernel, and if not, why. */
export function wasmKernelProblem(): string | undefined {
  if (!wasmSimdAvailable()) return "this runtime does not validate WebAssembly SIMD (or has no WebAssembly)";
  if (heapMemory() === undefined) return "shared WebAssembly memory is unavailable here (a browser page needs cross-origin isolation)";
  return undefined;
}

/** Chooses the matmul kernel: "wasm" (WebAssembly SIMD) or "js" (plain TypeScript). */
export function setKernel(name: KernelName): void {
  if (name !== "js" && name !== "wasm") {
    throw new Error(`setKernel expects "js" or "wasm", got ${describe(name)}`);
  }
  if (name === "wasm") {
    const problem = wasmKernelProblem();
    if (problem !== undefined) throw new Error(`setKernel("wasm"): ${problem}; use "js"`);
    instance ??= new WasmKernel(heapMemory()!);
  }
  current = name;
}

/** The kernel in use: PURENN_KERNEL's where set (Node), else "wasm" where it can run, else "js". */
export function getKernel(): KernelName {
  if (current === undefined) {
    // Read without importing node:process, so the core stays browser-safe.
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.PURENN_KERNEL;
    if (env !== undefined && env !== "" && env !== "js" && env !== "wasm") {
      throw new Error(`PURENN_KERNEL must be "js" or "wasm", got ${JSON.stringify(env)}`);
    }
    if (env === "js" || env === "wasm") setKernel(env);
    else setKernel(wasmKernelProblem() === undefined ? "wasm" : "js");
  }
  return current!;
}

/** The WebAssembly kernel over the heap when it is the one in use, else undefined. */
export function activeWasmKernel(): WasmKernel | undefined {
  return getKernel() === "wasm" ? instance : undefined;
}

/**
 * The WebAssembly kernel when it is in use and every array lives in the heap
 * (it reaches them by offset), else undefined: then the caller runs its plain
 * TypeScript loop, the reference.
 */
export function simdKernelFor(...arrays: ArrayBufferView[]): WasmKernel | undefined {
  const kernel = activeWasmKernel();
  return kernel !== undefined && arrays.every(inHeap) ? kernel : undefined;
}
