// The two forms of the SIMD module (wasm/multiply-add.ts). Fused: every term of every product
// one f32x4.relaxed_madd, against the plain loop that defines it, bit for bit, and the module's
// own suite (wasm-module.test.ts: splits, tiles, blocks) again with the fused form the default;
// purenn's Node entry turns relaxed SIMD on (relaxed-simd.node.ts), wasm-module.test.ts alone
// does not. The unfused form under PURENN_FMA=0: test/wasm-unfused.test.ts.
import { describe, it, expect } from "vitest";
import { relaxedSimdAvailable, defaultOptions, FUSED_OPTIONS, UNFUSED_OPTIONS, SimdModule, gemmScratchBytes } from "../src/tensor/wasm/module.js";
import { enableRelaxedSimd } from "../src/tensor/relaxed-simd.node.js";
import { wasm } from "../src/tensor/webassembly.js";
import { lcg, maxRelativeError } from "./helpers/data.js";

// As purenn's Node entry does, before any module is built (vitest runs each test file in a process of its own).
const enabled = enableRelaxedSimd();

describe("relaxed SIMD on Node", () => {
  it("is on after enableRelaxedSimd (Node 20: by V8's flag, set at run time; Node 22+: already)", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(20);
    expect(enabled).toBe(true);
    expect(relaxedSimdAvailable()).toBe(true);
  });
});

/**
 * fma(a, b, c) of float32 values, rounded once to float32. a·b is exact in float64 (24 + 24 bits);
 * the sum is rounded to float64 "to odd" (TwoSum finds what it left out; an inexact sum with an
 * even last bit moves one step toward it), and a value rounded to odd with 2 or more extra bits
 * rounds to float32 as the exact value would.
 */
function fma32(a: number, b: number, c: number): number {
  const p = a * b, s = p + c;
  if (!Number.isFinite(s)) return Math.fround(s);
  const bb = s - p, lost = (p - (s - bb)) + (c - bb);
  if (lost === 0) return Math.fround(s);
  const bits = new BigInt64Array(new Float64Array([s]).buffer);
  if ((bits[0] & 1n) === 0n) bits[0] += (lost > 0) === (s > 0) ? 1n : -1n;
  return Math.fround(new Float64Array(bits.buffer)[0]);
}

/** One step of the unfused form: the product rounded to float32, then the sum. */
const unfused = (a: number, b: number, c: number) => Math.fround(c + Math.fround(a * b));

describe("fma32, the reference's step", () => {
  it("rounds once where the unfused step rounds twice", () => {
    const a = 1 + 2 ** -12; // a·a = 1 + 2^-11 + 2^-24: the 2^-24 is lost when the product is rounded
    expect(fma32(a, a, -1)).toBe(2 ** -11 + 2 ** -24);
    expect(unfused(a, a, -1)).toBe(2 ** -11);
  });

  it("agrees with a float64 sum wherever that sum is exact, and is correctly rounded on random values", () => {
    expect(fma32(3, 5, 7)).toBe(22);
    expect(fma32(-0.5, 0.25, 0.125)).toBe(0);
    const rand = lcg(17);
    for (let i = 0; i < 2000; i++) {
      const [a, b, c] = [0, 1, 2].map(() => Math.fround((2 * rand() - 1) * 2 ** Math.floor(8 * rand() - 4)));
      const r = fma32(a, b, c);
      expect(r).toBe(Math.fround(r));
      // No float32 lies strictly closer to the exact a·b + c (checked in float64, exact at these exponents).
      const exact = a * b + c, up = nextFloat32(r, 1), down = nextFloat32(r, -1);
      expect(Math.abs(exact - r)).toBeLessThanOrEqual(Math.abs(exact - up));
      expect(Math.abs(exact - r)).toBeLessThanOrEqual(Math.abs(exact - down));
    }
  });
});

/** The float32 next to x, up (1) or down (−1). */
function nextFloat32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]), i = new Int32Array(f.buffer);
  if (x === 0) return dir * 2 ** -149;
  i[0] += (x > 0) === (dir > 0) ? 1 : -1;
  return f[0];
}

describe.runIf(relaxedSimdAvailable())("the fused module", () => {
  const memory = new wasm!.Memory({ initial: 64, maximum: 65536, shared: true });
  const fusedK = new SimdModule(memory, FUSED_OPTIONS), unfusedK = new SimdModule(memory, UNFUSED_OPTIONS);
  const f = () => new Float32Array(memory.buffer);

  /**
   * A 1x2x1 product whose second term shows the rounding: 1·(−1) + a·a with a = 1 + 2^-12, where
   * a·a = 1 + 2^-11 + 2^-24. Rounded once (fused): 2^-11 + 2^-24; the product rounded first: 2^-11.
   */
  function probe(K: SimdModule): number {
    const a = 1 + 2 ** -12;
    f().set([1, a, -1, a, NaN], 0); // A = [1, a] at 0, B = [−1, a]ᵀ at 8, C at 16
    K.gemm(16, 1, 0, 2, false, 8, 1, false, 1, 1, 2, 0, 1, 0, 1, -1, -1, 4096);
    return f()[4];
  }

  /** Whether this machine fuses relaxed_madd. */
  const machineFuses = () => probe(fusedK) === 2 ** -11 + 2 ** -24;

  it("is the default where relaxed SIMD validates (on Node 20, once purenn's Node entry turned it on)", () => {
    expect(defaultOptions()).toBe(FUSED_OPTIONS);
  });

  it("rounds the probe's second term once where this machine fuses (x86-64 with FMA3), where the unfused module rounds twice", () => {
    expect(probe(unfusedK)).toBe(2 ** -11);
    if (process.arch === "x64" || process.arch === "arm64") expect(machineFuses()).toBe(true);
  });

  const SHAPES: [number, number, number, boolean, boolean][] = [
    [1, 1, 1, false, false], [7, 13, 5, false, false], [33, 257, 19, false, true], [32, 784, 256, false, false],
    [150, 32, 50, true, false], [41, 300, 61, true, true],
  ];
  for (const [m, k, n, transA, transB] of SHAPES) {
    it(`${m}x${k}x${n} (transA ${transA}, transB ${transB}) has the bits of the plain loop, term by term as the machine multiplies and adds`, () => {
      const step = machineFuses() ? fma32 : unfused;
      const rand = lcg(m * 31 + k);
      const A = Float32Array.from({ length: m * k }, () => 2 * rand() - 1), B = Float32Array.from({ length: k * n }, () => 2 * rand() - 1);
      const at = { a: 64, b: 64 + 4 * m * k, c: 64 + 4 * (m * k + k * n), scratch: 64 + 4 * (m * k + k * n + m * n) + 64 };
      const bytes = at.scratch + gemmScratchBytes(m, n, k);
      if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
      // A stored as given (m x k, or k x m when transA), B likewise (k x n, or n x k).
      const Aij = (i: number, q: number) => A[i * k + q], Bqj = (q: number, j: number) => B[q * n + j];
      for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) f()[at.a / 4 + (transA ? q * m + i : i * k + q)] = Aij(i, q);
      for (let q = 0; q < k; q++) for (let j = 0; j < n; j++) f()[at.b / 4 + (transB ? j * k + q : q * n + j)] = Bqj(q, j);
      const lda = transA ? m : k, ldb = transB ? k : n;
      fusedK.gemm(at.c, n, at.a, lda, transA, at.b, ldb, transB, m, n, k, 0, m, 0, n, -1, -1, at.scratch);
      const got = f().slice(at.c / 4, at.c / 4 + m * n);
      const want = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) s = step(Aij(i, q), Bqj(q, j), s);
          want[i * n + j] = s;
        }
      }
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
      // The unfused module differs by rounding only.
      unfusedK.gemm(at.c, n, at.a, lda, transA, at.b, ldb, transB, m, n, k, 0, m, 0, n, -1, -1, at.scratch);
      expect(maxRelativeError(f().slice(at.c / 4, at.c / 4 + m * n), Float64Array.from(got))).toBeLessThan(1e-5);
    });
  }
});

// The module's suite again, the fused form now the default (imported after relaxed SIMD is on:
// its modules are built as it loads).
if (relaxedSimdAvailable()) await import("./wasm-module.test.js");
