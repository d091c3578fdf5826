// The README's examples stay true: every ```ts block type-checks against the
// current API (imports of "purenn" point at src/index.ts), and the blocks marked
// `// runs in npm test` also run.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, "test", ".readme-snippets");
const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

beforeAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify({
    extends: "../../tsconfig.json",
    compilerOptions: { noEmit: true, noUnusedLocals: false, paths: { purenn: ["../../src/index.ts"] }, baseUrl: "." },
    include: ["*.ts"],
  }));
  for (const [i, code] of blocks.entries()) {
    await writeFile(join(dir, `block${i}.ts`), code.replace(/from "purenn"/g, 'from "../../src/index.js"') + "\nexport {};\n");
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("README examples", () => {
  it("has examples", () => {
    expect(blocks.length).toBeGreaterThan(3);
  });

  it("every ts block type-checks", () => {
    const r = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("the blocks marked to run, run", () => {
    const marked = blocks.map((b, i) => [b, i] as const).filter(([b]) => b.includes("// runs in npm test"));
    expect(marked.length).toBeGreaterThan(0);
    for (const [, i] of marked) {
      const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, `block${i}.ts`)], { cwd: root, encoding: "utf8", timeout: 120_000 });
      expect(r.stderr, `README block ${i}`).not.toMatch(/Error/);
      expect(r.status, `README block ${i}: ${r.stderr}`).toBe(0);
    }
  });
});
