// docs/TOUR.md stays true: every file path it mentions exists, and every
// function or class it names exists in the file it points to. Rename a function
// or move a file and this test names the line of the tour to fix.
//
// What counts as a mention:
//   - any path src/…, test/…, docs/…, bench/… anywhere in the text;
//   - a link whose text is one code span naming code — [`Dense.forward`](../src/layers/dense.ts),
//     [`loadMnist`](../src/data/mnist.ts) — must point at a file that declares it
//     (a class, function, const or interface of that name; for Class.member, the
//     class and a member of that name after it);
//   - a code span of the form `Class.member` anywhere, linked or not, must name a
//     class declared somewhere in src/ that has such a member;
//   - a sentence "`name` in `src/file.ts`" (either half may be a link) must name
//     something that file declares: "editing `tutorialModel` in `src/cli.ts`"
//     fails, because tutorialModel lives in src/model/tutorial.ts.
import { describe, it, expect } from "vitest";
import { readFileSync, existsSync, readdirSync, statSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tourPath = join(root, "docs", "TOUR.md");
const tour = readFileSync(tourPath, "utf8");

/** Every .ts file under src/, as [path relative to root, text]. */
function sources(dir = join(root, "src")): [string, string][] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith(".ts") ? [[relative(root, full), readFileSync(full, "utf8")] as [string, string]] : [];
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `text` declares `name` at top level: class, function, const/let, interface, type or enum. */
function declares(text: string, name: string): boolean {
  return new RegExp(`^\\s*(export\\s+)?(default\\s+)?(abstract\\s+)?(async\\s+)?(class|function\\*?|const|let|interface|type|enum)\\s+${escape(name)}\\b`, "m").test(text);
}

/** Whether `text` declares class `cls` with a member `member` (method, getter, field) after it. */
function hasMember(text: string, cls: string, member: string): boolean {
  const at = text.search(new RegExp(`^\\s*(export\\s+)?(abstract\\s+)?class\\s+${escape(cls)}\\b`, "m"));
  if (at < 0) return false;
  const modifiers = "((public|private|protected|static|readonly|override|abstract|async|get|set|declare)\\s+)*";
  return new RegExp(`^\\s+${modifiers}${escape(member)}\\s*[(<:=?!]`, "m").test(text.slice(at));
}

/** "`name` in `src/file.ts`", "[`name`](…), in `src/file.ts`", "`name` lives in [`src/file.ts`](…)": name, member, file. */
const IN_FILE = /`([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?(?:\(\))?`\]?(?:\([^)\s]*\))?,? (?:(?:is|are|lives|defined) )?in \[?`((?:src|test|bench|examples)\/[\w./-]+\.ts)`/g;

/** Problems with the tour's mentions, each naming its line; empty when all resolve. */
export function checkTour(text: string, file: string): string[] {
  const problems: string[] = [];
  const base = dirname(file);
  const src = sources();
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;

  for (const m of text.matchAll(/(?<![\w./-])((?:src|test|docs|bench)\/[\w./-]*[\w/])/g)) {
    if (!existsSync(join(root, m[1]))) problems.push(`line ${lineOf(m.index)}: ${m[1]} does not exist`);
  }
  for (const m of text.matchAll(/\[([^\]]*)\]\(([^)\s]+)\)/g)) {
    const [, label, target] = m;
    const line = lineOf(m.index);
    if (/^[a-z]+:/i.test(target)) continue; // an external link: not ours to check
    if (target.includes("#L")) problems.push(`line ${line}: ${target} points at a line number, which goes stale silently`);
    const path = resolve(base, target.split("#")[0]);
    if (!existsSync(path)) {
      problems.push(`line ${line}: link target ${target} does not exist`);
      continue;
    }
    const code = label.match(/^`([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?(?:\(\))?`$/);
    if (!code || statSync(path).isDirectory()) continue;
    const text = readFileSync(path, "utf8");
    const [, name, member] = code;
    const ok = member ? hasMember(text, name, member) : declares(text, name) || hasMember(text, "\\w+", name);
    if (!ok) problems.push(`line ${line}: ${relative(root, path)} has no ${member ? `${name}.${member}` : name}`);
  }
  for (const m of text.matchAll(IN_FILE)) {
    const [, name, member, file] = m;
    if (!existsSync(join(root, file))) continue; // reported above as a missing path
    const code = readFileSync(join(root, file), "utf8");
    const ok = member ? hasMember(code, name, member) : declares(code, name) || hasMember(code, "\\w+", name);
    if (!ok) problems.push(`line ${lineOf(m.index)}: \`${member ? `${name}.${member}` : name}\` in \`${file}\`: ${file} defines no ${member ? `${name}.${member}` : name}`);
  }
  for (const m of text.matchAll(/`([A-Z][\w$]*)\.([a-zA-Z_$][\w$]*)(?:\(\))?`/g)) {
    const [, cls, member] = m;
    if (!src.some(([, t]) => hasMember(t, cls, member))) {
      problems.push(`line ${lineOf(m.index)}: no class ${cls} with a member ${member} in src/`);
    }
  }
  return problems;
}

describe("docs/TOUR.md", () => {
  it("every path, link, function and class it mentions exists", () => {
    expect(checkTour(tour, tourPath)).toEqual([]);
  });

  it("mentions a good many things to check (the patterns above still match)", () => {
    const inFile = [...tour.matchAll(IN_FILE)].map((m) => `${m[1]} in ${m[3]}`);
    expect(inFile.length, inFile.join("; ")).toBeGreaterThanOrEqual(2);
    expect(inFile).toContain("tutorialModel in src/model/tutorial.ts");
    expect([...tour.matchAll(/\[`[^`]+`\]\(\.\.\/src\//g)].length).toBeGreaterThan(50);
    expect(new Set([...tour.matchAll(/\(\.\.\/(src\/[^)#]+)\)/g)].map((m) => m[1])).size).toBeGreaterThan(25);
  });

  it("fails when a link breaks: a renamed function, a moved file, a missing member, a line anchor", () => {
    const broken = [
      tour.replace("[`Dense.forward`](../src/layers/dense.ts)", "[`Dense.forwardPass`](../src/layers/dense.ts)"),
      tour.replace("[`loadMnist`](../src/data/mnist.ts)", "[`loadMnist`](../src/data/mnist-loader.ts)"),
      tour.replace("[`softmaxCrossEntropyBackward`](../src/losses/crossentropy.ts)", "[`softmaxCrossEntropyBackward`](../src/losses/mse.ts)"),
      tour + "\nSee `Sequential.train` and src/model/fitter.ts.\n",
      tour + "\n[`train`](../src/model/trainer.ts#L160)\n",
      tour.replace("editing `tutorialModel` in `src/model/tutorial.ts`", "editing `tutorialModel` in `src/cli.ts`"),
    ];
    const found = broken.map((t) => checkTour(t, tourPath));
    expect(found[0]).toEqual([
      expect.stringMatching(/src\/layers\/dense.ts has no Dense.forwardPass/),
      expect.stringMatching(/no class Dense with a member forwardPass in src\//),
    ]);
    expect(found[1]).toEqual([expect.stringMatching(/link target ..\/src\/data\/mnist-loader.ts does not exist/)]);
    expect(found[2]).toEqual([expect.stringMatching(/src\/losses\/mse.ts has no softmaxCrossEntropyBackward/)]);
    expect(found[3]).toEqual([
      expect.stringMatching(/src\/model\/fitter.ts does not exist/),
      expect.stringMatching(/no class Sequential with a member train in src\//),
    ]);
    expect(found[4]).toEqual([expect.stringMatching(/points at a line number/)]);
    expect(found[5]).toEqual([expect.stringMatching(/^line \d+: `tutorialModel` in `src\/cli.ts`: src\/cli.ts defines no tutorialModel$/)]);
  });

  it("keeps the reading path within 1,200 lines, and one batch's way from fit to the reference loop within 4 hops", () => {
    const section = tour.split("### The reading path")[1]?.split(/^## /m)[0] ?? "";
    const files = [...section.matchAll(/^\| \[`(src\/[^`]+)`\]/gm)].map((m) => m[1]);
    expect(files, "the reading path's files").toEqual(expect.arrayContaining([
      "src/model/sequential.ts", "src/layers/dense.ts", "src/layers/activation.ts", "src/losses/crossentropy.ts",
      "src/optim/sgd.ts", "src/tensor/reference.ts",
    ]));
    const lines = files.map((f) => readFileSync(join(root, f), "utf8").split("\n").length - 1);
    const total = lines.reduce((a, b) => a + b, 0);
    expect(total, files.map((f, i) => `${f}: ${lines[i]}`).join(", ")).toBeLessThanOrEqual(1200);
    const hops = [...section.matchAll(/^\d+\. \[`([\w.]+)`\]\(\.\.\/(src\/[^)]+)\)/gm)].map((m) => [m[1], m[2]]);
    expect(hops.length).toBeGreaterThanOrEqual(3);
    expect(hops.length).toBeLessThanOrEqual(4);
    expect(hops[0], "the way starts at the fit loop").toEqual(["train", "src/model/trainer.ts"]);
    expect(hops[hops.length - 1][1], "and ends in the reference backend").toBe("src/tensor/reference.ts");
    for (const [name, file] of hops) {
      const text = readFileSync(join(root, file), "utf8");
      const [cls, member] = name.split(".");
      expect(member ? hasMember(text, cls, member) : declares(text, name), `${name} is defined in ${file}`).toBe(true);
    }
  });

  it("its program type-checks against the current API", () => {
    const program = tour.match(/```ts\n([\s\S]*?)```/)?.[1];
    expect(program).toContain("model.fit(");
    const dir = mkdtempSync(join(tmpdir(), "purenn-tour-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        extends: join(root, "tsconfig.json"),
        compilerOptions: { noEmit: true, typeRoots: [join(root, "node_modules", "@types")] },
        include: ["*.ts"],
      }));
      writeFileSync(join(dir, "program.ts"), program!.replace(/from "purenn"/g, `from ${JSON.stringify(join(root, "src", "index.js"))}`) + "\nexport {};\n");
      const r = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("covers what the issue asks: the program, forward, backward and update math, shapes, and a Try this per part", () => {
    const parts = tour.split(/^## /m).slice(1);
    expect(parts.length).toBeGreaterThanOrEqual(10);
    for (const part of parts.slice(1)) expect(part, part.split("\n")[0]).toContain("**Try this.**");
    for (const formula of ["z₁ = x·W₁ + b₁", "dz₃ = (p − t) / n", "dW = aᵀ · dz", "w ← w − lr · dw", "(784, 256)", "(32, 10)"]) {
      expect(tour).toContain(formula);
    }
  });
});
