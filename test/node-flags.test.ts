// purenn under node given V8's own options (which Node refuses in a worker thread's execArgv):
// the workers start all the same, without them, and take their share of a product. And without
// any: relaxed SIMD on all the same (Node 20's flag, set by purenn at run time).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./node-flags/threads.ts", import.meta.url));

function run(flags: string[]): { error?: string; threads: number; workerPieces: number; c: number; fused: boolean } {
  const out = spawnSync(process.execPath, [...flags, "--import", "tsx", script], { encoding: "utf8", timeout: 60_000 });
  if (out.status !== 0) throw new Error(`node ${flags.join(" ")} exited ${out.status}: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split("\n").pop()!);
}

describe("relaxed SIMD without any flag", () => {
  it("purenn's Node entry turns it on itself: fused products, the workers computing with the same module", () => {
    const r = run([]);
    expect(r.error).toBeUndefined();
    expect(r.fused).toBe(true);
    expect(r.workerPieces).toBeGreaterThan(0);
    expect(r.c).toBe(512);
  }, 60_000);
});

describe("worker threads under node with V8 options", () => {
  it("--max-old-space-size and --stack-trace-limit: the workers start and compute", () => {
    const r = run(["--max-old-space-size=4096", "--stack-trace-limit=20"]);
    expect(r.error).toBeUndefined();
    expect(r.threads).toBe(2);
    expect(r.workerPieces).toBeGreaterThan(0);
    expect(r.c).toBe(512);
  }, 60_000);

  it("--experimental-wasm-relaxed-simd, as Node 20 takes relaxed SIMD: fused products, on the workers too", () => {
    const r = run(["--experimental-wasm-relaxed-simd"]);
    expect(r.error).toBeUndefined();
    expect(r.fused).toBe(true);
    expect(r.workerPieces).toBeGreaterThan(0);
    expect(r.c).toBe(512);
  }, 60_000);
});
