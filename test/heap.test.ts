// The heap (src/tensor/heap.ts): every matrix's storage in one shared WebAssembly memory.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Matrix } from "../src/index.js";
import { allocFloat32 } from "../src/tensor/alloc.js";
import { heapFloat32, heapInt32, heapMemory, heapStats, inHeap, wholeHeap } from "../src/tensor/heap.js";

describe("heap", () => {
  it("holds every matrix, in 64-byte aligned blocks of one shared memory", () => {
    const memory = heapMemory()!;
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    for (const length of [1, 3, 16, 17, 1000, 300_000]) {
      const m = new Matrix(1, length);
      expect(inHeap(m.data)).toBe(true);
      expect(m.data.byteOffset % 64).toBe(0);
      expect(m.data.length).toBe(length);
    }
    expect(inHeap(new Float32Array(4))).toBe(false);
    expect(inHeap(heapInt32(5)!)).toBe(true);
  });

  it("wholeHeap: one pair of views while the heap keeps its size, new ones that reach a block allocated past the old end", () => {
    const before = wholeHeap()!;
    expect(wholeHeap()).toBe(before);
    const far = heapFloat32(before.f32.length + 1)!; // more than the heap held: it grows
    far[far.length - 1] = 7.5;
    const after = wholeHeap()!;
    expect(after).not.toBe(before);
    expect(after.f32.byteLength).toBe(heapMemory()!.buffer.byteLength);
    expect(after.f32[far.byteOffset / 4 + far.length - 1]).toBe(7.5);
    expect(after.i32.buffer).toBe(after.f32.buffer);
  });

  it("blocks do not overlap", () => {
    const blocks = [5, 64, 100, 1 << 18, 7].map((n) => allocFloat32(n));
    blocks.forEach((b, i) => b.fill(i + 1));
    blocks.forEach((b, i) => expect(b.every((v) => v === i + 1)).toBe(true));
    const spans = blocks.map((b) => [b.byteOffset, b.byteOffset + b.byteLength]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it("views made before the memory grows stay valid and keep their values", () => {
    const before = heapFloat32(1000)!;
    for (let i = 0; i < before.length; i++) before[i] = i;
    const reserved = heapStats().bytesReserved;
    const big = heapFloat32(8_000_000)!; // 32 MB: more than the heap has reserved so far in this file
    expect(heapStats().bytesReserved).toBeGreaterThan(reserved);
    big[big.length - 1] = 7;
    expect(before[999]).toBe(999);
    before[0] = -1;
    expect(new Float32Array(heapMemory()!.buffer, before.byteOffset, 1)[0]).toBe(-1);
  });

  it("gives memory back when matrices are collected: 100 fits of fresh models do not grow it", () => {
    const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join(__dirname, "heap", "leak.ts")], {
      encoding: "utf8", timeout: 120_000,
    });
    expect(child.stderr).toBe("");
    const { inUse } = JSON.parse(child.stdout) as { inUse: number[] };
    expect(inUse).toHaveLength(10);
    // After the first ten fits, the bytes in use stay within one model's worth of the first figure.
    const first = inUse[0];
    for (const bytes of inUse) expect(bytes).toBeLessThan(first + 512 * 1024);
  }, 150_000);
});
