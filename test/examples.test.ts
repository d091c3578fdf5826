// examples/: every example runs as the README says (`npx tsx examples/<file>`),
// on a small part of MNIST so the suite stays fast (PURENN_EXAMPLE_SAMPLES),
// and prints what it promises.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(file: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", join("examples", file)], {
    cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env },
  });
}

describe("examples/", () => {
  it("holds the tutorial, and nothing that this test does not run", () => {
    expect(readdirSync(join(root, "examples"))).toEqual(["tutorial.ts"]);
  });

  it("tutorial.ts trains, evaluates and predicts (on 3000 digits here)", () => {
    const r = run("tutorial.ts", { PURENN_EXAMPLE_SAMPLES: "3000" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Total params: 235,146");
    expect(r.stdout).toMatch(/Epoch 5\/5/);
    const accuracy = Number(r.stdout.match(/test accuracy (\d\.\d+)/)?.[1]);
    expect(accuracy).toBeGreaterThan(0.3); // 3000 digits of SGD at 0.01: well above chance (0.1), far from trained
    expect(r.stdout).toContain("true:      7 2 1 0 4 1 4 9 5 9"); // MNIST's first ten test labels
    const predicted = r.stdout.match(/predicted: ([\d ]+)/)?.[1].trim().split(" ");
    expect(predicted).toHaveLength(10);
  });

  it("tutorial.ts refuses a bad sample count, naming it", () => {
    const r = run("tutorial.ts", { PURENN_EXAMPLE_SAMPLES: "lots" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`PURENN_EXAMPLE_SAMPLES must be a whole number from 1 to 60000, got "lots"`);
  });
});
