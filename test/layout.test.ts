// The shape of src/ that the backend issue asks for, kept: above the backend, only math.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : name.endsWith(".ts") ? [full] : [];
  });
}

const above = ["src/layers", "src/losses", "src/optim", "src/model"].flatMap((d) => files(join(root, d)));

describe("layers, losses, optimizers and the model speak only math to the backend", () => {
  it("import no module whose path names wasm, heap, threads or kernel", () => {
    const leaks = above.flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(/from\s+["']([^"']+)["']/g)]
        .map((m) => m[1])
        .filter((path) => /wasm|heap|thread|kernel/.test(path))
        .map((path) => `${relative(root, f)} imports ${path}`),
    );
    expect(leaks).toEqual([]);
  });

  it("touch no byteOffset in layers, losses and optimizers", () => {
    const touching = above
      .filter((f) => !f.includes("/src/model/"))
      .filter((f) => readFileSync(f, "utf8").includes("byteOffset"))
      .map((f) => relative(root, f));
    expect(touching).toEqual([]);
  });

  it("keep Dense within 150 lines: forward and backward a few backend calls under their formulas", () => {
    const lines = readFileSync(join(root, "src/layers/dense.ts"), "utf8").split("\n").length - 1;
    expect(lines).toBeLessThanOrEqual(150);
  });
});
