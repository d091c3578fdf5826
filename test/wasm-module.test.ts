// The WebAssembly SIMD module (src/tensor/wasm/): its binary writer, its products against a
// float64 triple loop, its blocks and splits between threads (bit for bit), its epilogue,
// and the memories it runs on (shared, unshared, grown).
import { describe, it, expect, vi } from "vitest";
import { signedLEB128, unsignedLEB128 } from "../src/tensor/wasm/binary.js";
import {
  SimdModule, wasmSimdAvailable, gemmScratchBytes, simdModuleBytes, writeSimdModule, defaultOptions, relaxedSimdAvailable,
  UNFUSED_OPTIONS, FUSED_OPTIONS,
} from "../src/tensor/wasm/module.js";
import { scratchBytes, type DriverOptions } from "../src/tensor/wasm/driver.js";
import { wasm, type WasmMemory } from "../src/tensor/webassembly.js";
import { lcg, maxRelativeError } from "./helpers/data.js";

const WA = wasm!;
const PAGE = 65536;

/** A memory and a bump allocator over it (byte offsets, 16-aligned unless told). */
class Arena {
  top = 1024;
  constructor(readonly memory: WasmMemory) {}
  f32(): Float32Array { return new Float32Array(this.memory.buffer); }
  i32(): Int32Array { return new Int32Array(this.memory.buffer); }
  alloc(bytes: number, misalign = 0): number {
    const at = ((this.top + 15) & ~15) + misalign;
    this.top = at + bytes + 64;
    if (this.top > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / PAGE));
    return at;
  }
  /** `count` floats from the generator, stored at a fresh offset. */
  random(count: number, rand: () => number, misalign = 0): number {
    const at = this.alloc(4 * count, misalign);
    const f = this.f32();
    for (let i = 0; i < count; i++) f[at / 4 + i] = 2 * rand() - 1;
    return at;
  }
  ints(values: number[]): number {
    const at = this.alloc(4 * values.length);
    this.i32().set(values, at / 4);
    return at;
  }
}

/** One product as the kernel's API states it: C (m x n) = A·B over kk(q), q < k. */
interface Problem {
  m: number; n: number; k: number; transA: boolean; transB: boolean;
  a: number; lda: number; b: number; ldb: number; c: number; ldc: number;
  ks?: number[]; aRows?: number[]; ksOff: number; aRowsOff: number;
}

/**
 * Operands with room to spare: A has `kTotal` sum indices and `mTotal` stored rows
 * (selected by ks / aRows when given); row strides `pad` floats wider than needed.
 */
function problem(ar: Arena, rand: () => number, m: number, k: number, n: number, transA: boolean, transB: boolean,
  opts: { ks?: boolean; aRows?: boolean; pad?: number; misalign?: number } = {}): Problem {
  const pad = opts.pad ?? 0;
  const kTotal = opts.ks ? 2 * k + 3 : k;
  const mTotal = opts.aRows ? 2 * m + 1 : m;
  const ks = opts.ks ? pick(kTotal, k, rand) : undefined;
  const aRows = opts.aRows ? pick(mTotal, m, rand) : undefined;
  const lda = (transA ? mTotal : kTotal) + pad;
  const ldb = (transB ? kTotal : n) + pad;
  const a = ar.random((transA ? kTotal : mTotal) * lda, rand, opts.misalign);
  const b = ar.random((transB ? n : kTotal) * ldb, rand, opts.misalign);
  const ldc = n + pad;
  const c = ar.alloc(4 * m * ldc, opts.misalign);
  return {
    m, n, k, transA, transB, a, lda, b, ldb, c, ldc, ks, aRows,
    ksOff: ks ? ar.ints(ks) : -1, aRowsOff: aRows ? ar.ints(aRows) : -1,
  };
}

/** `count` distinct increasing indices below `total`. */
function pick(total: number, count: number, rand: () => number): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count).sort((x, y) => x - y);
}

/** The definition, summed in float64. */
function reference(f: Float32Array, p: Problem): Float64Array {
  const out = new Float64Array(p.m * p.n);
  const A = (i: number, q: number) => {
    const r = p.aRows ? p.aRows[i] : i, kq = p.ks ? p.ks[q] : q;
    return p.transA ? f[p.a / 4 + kq * p.lda + r] : f[p.a / 4 + r * p.lda + kq];
  };
  const B = (q: number, j: number) => {
    const kq = p.ks ? p.ks[q] : q;
    return p.transB ? f[p.b / 4 + j * p.ldb + kq] : f[p.b / 4 + kq * p.ldb + j];
  };
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let s = 0;
      for (let q = 0; q < p.k; q++) s += A(i, q) * B(q, j);
      out[i * p.n + j] = s;
    }
  }
  return out;
}

function run(K: SimdModule, p: Problem, scratch: number, i0 = 0, i1 = p.m, j0 = 0, j1 = p.n): void {
  K.gemm(p.c, p.ldc, p.a, p.lda, p.transA, p.b, p.ldb, p.transB, p.m, p.n, p.k, i0, i1, j0, j1, p.ksOff, p.aRowsOff, scratch);
}

/** C's m x n values (row stride ldc), as a plain array. */
function readC(f: Float32Array, p: Problem): Float32Array {
  const out = new Float32Array(p.m * p.n);
  for (let i = 0; i < p.m; i++) out.set(f.subarray(p.c / 4 + i * p.ldc, p.c / 4 + i * p.ldc + p.n), i * p.n);
  return out;
}

/** The values' bit patterns: equal exactly when every float is the same float. */
const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);


function newArena(shared: boolean, initial = 64): Arena {
  return new Arena(new WA.Memory(shared ? { initial, maximum: 4096, shared: true } : { initial }));
}

describe("binary writer", () => {
  it("encodes LEB128 edge values", () => {
    expect(unsignedLEB128(0)).toEqual([0x00]);
    expect(unsignedLEB128(63)).toEqual([0x3f]);
    expect(unsignedLEB128(64)).toEqual([0x40]);
    expect(unsignedLEB128(127)).toEqual([0x7f]);
    expect(unsignedLEB128(128)).toEqual([0x80, 0x01]);
    expect(unsignedLEB128(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(unsignedLEB128(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(signedLEB128(0)).toEqual([0x00]);
    expect(signedLEB128(63)).toEqual([0x3f]);
    expect(signedLEB128(64)).toEqual([0xc0, 0x00]); // bit 6 set would read as negative: one more byte
    expect(signedLEB128(127)).toEqual([0xff, 0x00]);
    expect(signedLEB128(128)).toEqual([0x80, 0x01]);
    expect(signedLEB128(2 ** 31 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(signedLEB128(-1)).toEqual([0x7f]);
    expect(signedLEB128(-64)).toEqual([0x40]);
    expect(signedLEB128(-65)).toEqual([0xbf, 0x7f]);
    expect(signedLEB128(-(2 ** 31))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it("writes modules that WebAssembly.validate accepts, for shared and unshared memories", () => {
    expect(wasmSimdAvailable()).toBe(true);
    const unshared = simdModuleBytes(false), shared = simdModuleBytes(true);
    expect(WA.validate(unshared)).toBe(true);
    expect(WA.validate(shared)).toBe(true);
    expect([...unshared.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    // The memory import: "memory", kind 0x02, then limits — 0x00 min, or 0x03 min max (shared).
    const limits = (bytes: Uint8Array) => {
      const at = Buffer.from(bytes).indexOf("memory") + "memory".length;
      return [...bytes.subarray(at, at + 6)];
    };
    expect(limits(unshared).slice(0, 3)).toEqual([0x02, 0x00, 0x00]);
    expect(limits(shared)).toEqual([0x02, 0x03, 0x00, 0x80, 0x80, 0x04]); // max 65536 pages = 0x80 0x80 0x04
  });

  it("keeps, in module-bytes.ts, exactly the modules it writes for a shared memory, both forms (else: npx tsx src/tensor/wasm/write-module-bytes.node.ts)", () => {
    for (const options of [UNFUSED_OPTIONS, FUSED_OPTIONS]) {
      const written = writeSimdModule(true, options);
      const stored = simdModuleBytes(true, options);
      expect(stored).not.toBe(written);
      expect(Buffer.from(stored).equals(Buffer.from(written)), "module-bytes.ts is out of date").toBe(true);
    }
  });

  it("decodes the kept bytes with Node's Buffer, and the same without it (a browser: its own loop)", async () => {
    const withBuffer = simdModuleBytes(true, FUSED_OPTIONS);
    expect(withBuffer.constructor).toBe(Uint8Array);
    vi.resetModules();
    vi.stubGlobal("Buffer", undefined);
    try {
      const fresh = await import("../src/tensor/wasm/module.js");
      const decoded = fresh.simdModuleBytes(true, FUSED_OPTIONS);
      expect(decoded).not.toBe(withBuffer);
      expect(Array.from(decoded)).toEqual(Array.from(writeSimdModule(true, FUSED_OPTIONS)));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("runs the fused form exactly where the runtime validates relaxed SIMD", () => {
    const fused = relaxedSimdAvailable();
    expect(defaultOptions()).toBe(fused ? FUSED_OPTIONS : UNFUSED_OPTIONS);
    // The fused module holds relaxed_madd (0xfd 0x85 0x02), the unfused one none.
    const hasMadd = (bytes: Uint8Array) => Buffer.from(bytes).includes(Buffer.from([0xfd, 0x85, 0x02]));
    expect(hasMadd(writeSimdModule(false, FUSED_OPTIONS))).toBe(true);
    expect(hasMadd(writeSimdModule(false, UNFUSED_OPTIONS))).toBe(false);
  });
});

describe("gemm agrees with a float64 triple loop to 1e-5 relative", () => {
  const ar = newArena(true, 256);
  const K = new SimdModule(ar.memory);
  const rand = lcg(11);
  const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [7, 13, 5], [4, 12, 12], [5, 257, 13], [33, 257, 19], [32, 784, 256]];
  for (const [m, k, n] of SHAPES) {
    it(`${m}x${k}x${n}, every transA / transB, with and without ks and aRows`, () => {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const sel of [{}, { ks: true }, { aRows: true }, { ks: true, aRows: true }]) {
            const mark = ar.top;
            const p = problem(ar, rand, m, k, n, transA, transB, sel);
            const scratch = ar.alloc(gemmScratchBytes(m, n, k));
            run(K, p, scratch);
            const err = maxRelativeError(readC(ar.f32(), p), reference(ar.f32(), p));
            expect(err, `transA ${transA} transB ${transB} ${JSON.stringify(sel)}`).toBeLessThan(1e-5);
            ar.top = mark;
          }
        }
      }
    });
  }

  it("handles row strides wider than the rows and unaligned operands", () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const p = problem(ar, rand, 9, 21, 26, transA, transB, { pad: 5, misalign: 4 });
      const f = ar.f32();
      for (let i = 0; i < p.m * p.ldc; i++) f[p.c / 4 + i] = 777; // the padding must keep this
      run(K, p, ar.alloc(gemmScratchBytes(p.m, p.n, p.k), 4));
      expect(maxRelativeError(readC(ar.f32(), p), reference(ar.f32(), p))).toBeLessThan(1e-5);
      for (let i = 0; i < p.m; i++) {
        for (let j = p.n; j < p.ldc; j++) expect(f[p.c / 4 + i * p.ldc + j]).toBe(777);
      }
    }
  });

  it("an empty sum (k = 0) writes zeros", () => {
    const p = problem(ar, rand, 5, 0, 7, false, false);
    ar.f32().fill(3, p.c / 4, p.c / 4 + 35);
    run(K, p, ar.alloc(gemmScratchBytes(5, 7, 0)));
    expect([...readC(ar.f32(), p)]).toEqual(new Array(35).fill(0));
  });
});

describe("blocks and splits", () => {
  const ar = newArena(true, 128);
  const K = new SimdModule(ar.memory);
  const rand = lcg(5);

  it("a block [i0, i1) x [j0, j1) writes exactly its block", () => {
    for (const [transA, transB] of [[false, false], [true, true]]) {
      const p = problem(ar, rand, 23, 40, 37, transA, transB);
      const f = ar.f32();
      f.fill(NaN, p.c / 4, p.c / 4 + p.m * p.n);
      run(K, p, ar.alloc(gemmScratchBytes(p.m, p.n, p.k)), 5, 19, 3, 30);
      const ref = reference(f, p);
      for (let i = 0; i < p.m; i++) {
        for (let j = 0; j < p.n; j++) {
          const v = f[p.c / 4 + i * p.n + j];
          if (i >= 5 && i < 19 && j >= 3 && j < 30) expect(Math.abs(v - ref[i * p.n + j])).toBeLessThan(1e-4);
          else expect(v).toBeNaN();
        }
      }
    }
  });

  // Products long enough to be cut into k slices, wide enough for several row blocks.
  const CASES: [number, number, number, boolean, boolean, { ks?: boolean; aRows?: boolean }][] = [
    [32, 784, 256, false, false, {}], [32, 300, 200, false, false, { ks: true }], [41, 128, 61, false, true, {}],
    [150, 32, 50, true, false, {}], [150, 32, 50, true, false, { aRows: true }], [270, 70, 29, true, true, {}],
  ];
  for (const [m, k, n, transA, transB, sel] of CASES) {
    it(`splitting ${m}x${k}x${n} (transA ${transA}, transB ${transB}${sel.ks ? ", ks" : ""}${sel.aRows ? ", aRows" : ""}) between threads changes no bit`, () => {
      const p = problem(ar, rand, m, k, n, transA, transB, sel);
      const s1 = ar.alloc(gemmScratchBytes(m, n, k)), s2 = ar.alloc(gemmScratchBytes(m, n, k));
      run(K, p, s1);
      const whole = readC(ar.f32(), p);
      const MR = defaultOptions().tile.mr, NR = 4 * defaultOptions().tile.nv;
      const splits = [
        [[0, MR * Math.ceil(m / MR / 2), 0, n], [MR * Math.ceil(m / MR / 2), m, 0, n]], // rows, at a tile boundary
        [[0, m, 0, NR * Math.ceil(n / NR / 2)], [0, m, NR * Math.ceil(n / NR / 2), n]], // columns, at a tile boundary
        [[0, 7, 0, n], [7, m, 0, n]], // rows, anywhere
        [[0, m, 0, 5], [0, m, 5, n]], // columns, anywhere
      ];
      for (const [[a0, a1, b0, b1], [c0, c1, d0, d1]] of splits) {
        ar.f32().fill(NaN, p.c / 4, p.c / 4 + m * n);
        run(K, p, s2, c0, c1, d0, d1); // the second "thread" first, with its own scratch
        run(K, p, s1, a0, a1, b0, b1);
        expect(bits(readC(ar.f32(), p))).toEqual(bits(whole));
      }
    });
  }

  it("other tile shapes and blockings give the same bits", () => {
    // Every lane sums in increasing q from 0, so the tile, kc and mc cannot change a bit (in the same form, fused or not).
    const p = problem(ar, rand, 37, 300, 45, false, true, { ks: true });
    run(K, p, ar.alloc(gemmScratchBytes(p.m, p.n, p.k)));
    const expected = readC(ar.f32(), p);
    const fused = defaultOptions().tile.fused;
    const variants: DriverOptions[] = [
      { tile: { mr: 6, nv: 2, unroll: 4, splat: "shuffle", fused }, kc: 100, mc: 12, directRows: 0 },
      { tile: { mr: 8, nv: 1, unroll: 1, splat: "shuffle", fused }, kc: 7, mc: 40, directRows: 1000 },
      { tile: { mr: 3, nv: 4, unroll: 3, fused }, kc: 256, mc: 9, directRows: 1000 },
    ];
    for (const options of variants) {
      const other = new SimdModule(ar.memory, options);
      ar.f32().fill(NaN, p.c / 4, p.c / 4 + p.m * p.n);
      run(other, p, ar.alloc(scratchBytes(options, p.m, p.n, p.k)));
      expect(bits(readC(ar.f32(), p)), JSON.stringify(options)).toEqual(bits(expected));
    }
  });
});

describe("biasActivation", () => {
  const ar = newArena(false, 16);
  const K = new SimdModule(ar.memory);
  const rand = lcg(3);

  for (const [rows, cols, ldc] of [[3, 7, 7], [5, 13, 16], [32, 256, 256], [1, 1, 1], [2, 4, 5]]) {
    it(`matches a plain loop bit for bit at ${rows}x${cols} (ldc ${ldc}), with and without bias and relu`, () => {
      const c = ar.random(rows * ldc, rand), bias = ar.random(cols, rand);
      const f = ar.f32();
      f[c / 4] = -0; f[c / 4 + ldc * rows - 1] = NaN; // the corners relu must agree on
      const before = f.slice(c / 4, c / 4 + rows * ldc);
      for (const withBias of [false, true]) {
        for (const act of [0, 1] as const) {
          f.set(before, c / 4);
          K.biasActivation(c, ldc, rows, cols, withBias ? bias : -1, act);
          const want = new Float32Array(before);
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j++) {
              let v = want[i * ldc + j];
              if (withBias) v = Math.fround(v + f[bias / 4 + j]); // float32 + float32, rounded once
              if (act === 1) v = v > 0 ? v : 0; // relu as in src/layers/activations.ts
              want[i * ldc + j] = v;
            }
          }
          const got = f.slice(c / 4, c / 4 + rows * ldc);
          expect(bits(got)).toEqual(bits(want)); // so −0 ≠ +0, and NaN = NaN
        }
      }
    });
  }
});

describe("memories", () => {
  for (const shared of [false, true]) {
    it(`works on ${shared ? "a shared" : "an unshared"} memory, before and after it grows`, () => {
      const ar = newArena(shared, 2);
      const K = new SimdModule(ar.memory);
      expect(ar.memory.buffer instanceof SharedArrayBuffer).toBe(shared);
      const rand = lcg(shared ? 1 : 2);
      const small = problem(ar, rand, 6, 10, 14, false, false);
      run(K, small, ar.alloc(gemmScratchBytes(6, 10, 14)));
      expect(maxRelativeError(readC(ar.f32(), small), reference(ar.f32(), small))).toBeLessThan(1e-5);
      // Operands placed past the first size: the arena grows the memory to hold them.
      const pages = ar.memory.buffer.byteLength / PAGE;
      const big = problem(ar, rand, 40, 300, 70, true, true, { ks: true });
      const scratch = ar.alloc(gemmScratchBytes(40, 70, 300));
      expect(ar.memory.buffer.byteLength / PAGE).toBeGreaterThan(pages);
      run(K, big, scratch);
      expect(maxRelativeError(readC(ar.f32(), big), reference(ar.f32(), big))).toBeLessThan(1e-5);
      run(K, small, scratch);
      expect(maxRelativeError(readC(ar.f32(), small), reference(ar.f32(), small))).toBeLessThan(1e-5);
    });
  }

  it("rejects a block outside C, naming it", () => {
    const ar = newArena(false, 1);
    const K = new SimdModule(ar.memory);
    expect(() => K.gemm(0, 4, 0, 4, false, 0, 4, false, 4, 4, 4, 0, 5, 0, 4, -1, -1, 0)).toThrow(/block \[0, 5\) x \[0, 4\) is not inside C \[4, 4\]/);
  });
});
