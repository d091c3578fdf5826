// The seeded IDX fuzzer (test/fuzz/idx-fuzzer.ts), a few thousand cases per run.
import { describe, it, expect } from "vitest";
import { fuzzIdx } from "./fuzz/idx-fuzzer.js";

describe("fuzzed IDX files", () => {
  it("4000 mutated raw and gzip files: each parses consistently or throws a descriptive Error naming the file", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const report = await fuzzIdx(4000, 20261128);
    expect(report.failures, report.failures.slice(0, 5).join("\n")).toEqual([]);
    expect(report.rejected).toBeGreaterThan(1000); // the mutations do break files…
    expect(report.parsed).toBeGreaterThan(200); // …and some still parse (e.g. flipped payload bits)
    // A parsed array is never larger than a modest multiple of its (possibly gzipped) file.
    expect(report.largestResultRatio).toBeLessThan(64);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});
