// The unfused form of the SIMD module (wasm/multiply-add.ts: each product rounded, then the sum),
// which runtimes without relaxed SIMD run and PURENN_FMA=0 chooses: the sparse kernels' suite
// (sparse = dense bits, the wasm backend's sparse paths) under it. Set before purenn is
// imported; vitest runs each test file in a process of its own.
import { setFlagsFromString } from "node:v8";
import { describe, it, expect } from "vitest";

process.env.PURENN_FMA = "0";
// Relaxed SIMD on (as Node 22 has it; purenn itself leaves Node 20's flag off under PURENN_FMA=0), so
// that the unfused form below comes from PURENN_FMA alone.
setFlagsFromString("--experimental-wasm-relaxed-simd");
const { defaultOptions, UNFUSED_OPTIONS, fusedWanted, relaxedSimdAvailable } = await import("../src/tensor/wasm/module.js");
await import("../src/index.js");

describe("PURENN_FMA", () => {
  it("\"0\" keeps the products unfused, even where relaxed SIMD validates", () => {
    expect(relaxedSimdAvailable()).toBe(true);
    expect(defaultOptions()).toBe(UNFUSED_OPTIONS);
  });

  it("refuses any other value than \"0\" and \"1\", naming it", () => {
    try {
      process.env.PURENN_FMA = "yes";
      expect(() => fusedWanted()).toThrow(/PURENN_FMA must be "0" .* or "1" .*, got "yes"/);
      process.env.PURENN_FMA = "1";
      expect(fusedWanted()).toBe(true);
    } finally {
      process.env.PURENN_FMA = "0";
    }
  });
});

await import("./wasm-sparse.test.js");
