// The learner's pages in a real browser: the training report (src/report/) and
// the draw-a-digit demo (src/demo/), which also trains the network in the page
// (the tutorial's, or Keras's mnist_convnet, and loads a saved CNN). The browser is Debian's Chromium driven by
// playwright-core; nothing downloads one. Without /usr/bin/chromium the browser
// half is SKIPPED with a message saying so; the first half (the demo's code
// without a browser: preprocessing, the bundle, the server, the loader) always runs.
//
// The demo's model: the tutorial's network (784-256-128-10, sigmoid/relu/softmax)
// trained 1 epoch on the first 20000 MNIST training digits (18000 to train, 2000
// to validate) with SGD at learning rate 0.1: 5-8 s here and 86% on the test
// set, as much as the tutorial's own epoch (60000 digits at 0.01: ~20 s, 86%).
// (10000 digits were too few: 52-65% depending on the seed.)
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, mkdir, writeFile, stat, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import type { BrowserContext, Page } from "playwright-core";
import {
  Sequential, SGD, Adam, Matrix, History, BatchHistory, tutorialModel, convnetModel, loadMnist, loadModel, toCategorical, setRandomSeed, threadsReady, getBackend,
  getThreads, setThreads, argmax, type Mnist,
} from "../src/index.js";
import { writeReport } from "../src/report/write.node.js";
import { toMnistInput } from "../src/demo/preprocess.js";
import { fetchModel, modelFromFiles } from "../src/demo/loader.js";
import { parseTrainSettings } from "../src/demo/messages.js";
import { trailingMean, changeScale } from "../src/demo/live-charts.js";
import { buildPageBundle, startDemoServer, type DemoServer } from "../src/demo/server.node.js";
import { copyWeights, useTfjsCpu, tfjsPredict } from "./helpers/tfjs.js";
import { hasChromium, launchChromium, watchErrors, SKIP_REASON } from "./helpers/browser.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let work: string; // this run's temporary folder: models, the report and its screenshot stay here
let mnist: Mnist;
let model: Sequential;
let history: History;
let batches: BatchHistory;
let initialWeights: Matrix[];
let purennDir: string;
let tfjsDir: string;

/** The tutorial's network, trained quickly (see the note at the top), with what its report shows. */
async function demoModel(): Promise<{ model: Sequential; history: History; batches: BatchHistory; initialWeights: Matrix[] }> {
  setRandomSeed(7);
  const m = tutorialModel();
  m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  const n = 20000;
  const batches = new BatchHistory({ batchSize: 32, samples: 18000 });
  const initialWeights = m.getWeights();
  const h = await m.fit(new Matrix(n, 784, mnist.xTrain.data.subarray(0, n * 784)), toCategorical(mnist.yTrain.subarray(0, n), 10), {
    epochs: 1, verbose: 0, validationSplit: 0.1, callbacks: [batches],
  });
  return { model: m, history: h, batches, initialWeights };
}

/** The same network in TensorFlow.js with the same weights, saved as tfjs's browserDownloads saves it. */
async function saveAsTfjs(ours: Sequential, dir: string): Promise<tf.Sequential> {
  await useTfjsCpu();
  const theirs = tf.sequential();
  theirs.add(tf.layers.dense({ units: 256, inputShape: [784] }));
  theirs.add(tf.layers.activation({ activation: "sigmoid" }));
  theirs.add(tf.layers.dense({ units: 128 }));
  theirs.add(tf.layers.activation({ activation: "relu" }));
  theirs.add(tf.layers.dense({ units: 10 }));
  theirs.add(tf.layers.activation({ activation: "softmax" }));
  copyWeights(ours, theirs);
  await mkdir(dir, { recursive: true });
  await theirs.save(tf.io.withSaveHandler(async (a) => {
    const { weightData, weightSpecs, ...rest } = a;
    await writeFile(join(dir, "model.json"), JSON.stringify({ ...rest, weightsManifest: [{ paths: ["./model.weights.bin"], weights: weightSpecs }] }));
    await writeFile(join(dir, "model.weights.bin"), new Uint8Array(weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return theirs;
}

beforeAll(async () => {
  // Let the matmul workers finish starting before the first product (see report.test.ts).
  await threadsReady();
  work = await mkdtemp(join(tmpdir(), "purenn-browser-"));
  mnist = await loadMnist();
  ({ model, history, batches, initialWeights } = await demoModel());
  purennDir = join(work, "purenn-model");
  tfjsDir = join(work, "tfjs-model");
  await model.save(purennDir);
  await saveAsTfjs(model, tfjsDir);
  const [, accuracy] = model.evaluate(mnist.xTest, toCategorical(mnist.yTest, 10), { verbose: 0 });
  console.log(`demo model: test accuracy ${accuracy.toFixed(4)}`);
}, 120_000);

/** A filled disc of ink, for preprocessing fixtures. */
function disc(width: number, height: number, cx: number, cy: number, rx: number, ry: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1) ink[y * width + x] = 1;
  }
  return ink;
}

/** Bounding box and centre of mass (in pixel indices) of a 28x28 image. */
function measure(x: Float32Array): { w: number; h: number; cx: number; cy: number } {
  let x0 = 28, x1 = -1, y0 = 28, y1 = -1, m = 0, mx = 0, my = 0;
  for (let y = 0; y < 28; y++) {
    for (let i = 0; i < 28; i++) {
      const v = x[y * 28 + i];
      if (v > 0) [x0, x1, y0, y1] = [Math.min(x0, i), Math.max(x1, i), Math.min(y0, y), Math.max(y1, y)];
      m += v;
      mx += v * i;
      my += v * y;
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, cx: mx / m, cy: my / m };
}

describe("the demo's code, without a browser", () => {
  it("toMnistInput: a tall blob off in a corner becomes 20 pixels tall, keeps its aspect ratio, centred by mass", () => {
    const x = toMnistInput(disc(280, 280, 60, 200, 20, 60), 280, 280);
    expect(x).not.toBeNull();
    const { w, h, cx, cy } = measure(x!);
    expect(h).toBe(20);
    expect(w).toBeGreaterThanOrEqual(6); // 40 x 120 → 6.7 x 20
    expect(w).toBeLessThanOrEqual(8);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...x!)).toBeLessThanOrEqual(1);
  });

  it("toMnistInput: MNIST test digits blown up 10x to 280x280 come back as themselves", () => {
    let squared = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const digit = mnist.xTest.data.subarray(i * 784, (i + 1) * 784);
      const big = new Float32Array(280 * 280);
      for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) big[y * 280 + x] = digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
      const back = toMnistInput(big, 280, 280)!;
      for (let p = 0; p < 784; p++) squared += (back[p] - digit[p]) ** 2;
    }
    expect(squared / (n * 784)).toBeLessThan(1e-5); // ~2e-7: a few digits move by one pixel
  });

  it("toMnistInput: a wide blob becomes 20 pixels wide; nothing drawn gives null", () => {
    const { w, h } = measure(toMnistInput(disc(280, 280, 140, 100, 100, 25), 280, 280)!);
    expect([w, h]).toEqual([20, 5]);
    expect(toMnistInput(new Float32Array(280 * 280), 280, 280)).toBeNull();
    expect(() => toMnistInput(new Float32Array(10), 280, 280)).toThrow(/280x280 needs 78400 values, got 10/);
  });

  it("the page bundle holds purenn's core and the page, and imports nothing from Node", async () => {
    const bundle = await buildPageBundle();
    expect(bundle.external).toEqual([]);
    expect(bundle.inputs).toContain("src/core.ts");
    expect(bundle.inputs).toContain("src/demo/page.ts");
    expect(bundle.inputs).toContain("src/demo/train-worker.ts");
    expect(bundle.inputs).toContain("src/demo/models.ts"); // the page's two networks
    expect(bundle.inputs).toContain("src/report/filters.ts"); // a CNN's first layer, in the report and the page
    expect(bundle.workerCode).toContain("stopTraining");
    for (const input of bundle.inputs) {
      expect(input, input).toMatch(/^src\/[\w./-]+\.ts$/); // purenn's own source, no package
      expect(input, input).not.toMatch(/\.node\.ts$/);
      expect(readFileSync(join(root, input), "utf8"), input).not.toMatch(/from "(node:|fs|path|os|worker_threads)/);
    }
    for (const code of [bundle.code, bundle.workerCode]) expect(code).not.toMatch(/node:|worker_threads|["']fs["']|["']fs\/promises["']|\brequire\(/);
  });

  it("the server serves the page, its script and the model's files, and nothing else", async () => {
    const server = await startDemoServer({ modelDir: tfjsDir });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const get = async (path: string) => {
        const r = await fetch(server.url + path);
        return {
          status: r.status, type: r.headers.get("content-type"), csp: r.headers.get("content-security-policy"),
          coop: r.headers.get("cross-origin-opener-policy"), coep: r.headers.get("cross-origin-embedder-policy"),
        };
      };
      const isolated = { coop: "same-origin", coep: "require-corp" };
      expect(await get("")).toMatchObject({ status: 200, type: "text/html; charset=utf-8", csp: expect.stringContaining("default-src 'self'"), ...isolated });
      expect(await get("page.js")).toMatchObject({ status: 200, type: "text/javascript; charset=utf-8", ...isolated });
      expect(await get("worker.js")).toMatchObject({ status: 200, type: "text/javascript; charset=utf-8", ...isolated });
      expect(await get("model/info.json")).toMatchObject({ status: 200, type: "application/json" });
      expect(await get("TOUR.md")).toMatchObject({ status: 200, type: "text/plain; charset=utf-8" });
      // MNIST as bare bytes, the same digits loadMnist reads
      const labels = new Uint8Array(await (await fetch(`${server.url}mnist/train-labels`)).arrayBuffer());
      expect(Array.from(labels)).toEqual(Array.from(mnist.yTrain));
      const images = new Uint8Array(await (await fetch(`${server.url}mnist/test-images`)).arrayBuffer());
      expect(images.length).toBe(10000 * 784);
      for (const i of [0, 12345, 7839999]) expect(images[i] / 255).toBeCloseTo(mnist.xTest.data[i], 6);
      expect(await get("model/model.json")).toMatchObject({ status: 200 });
      expect(await get("model/model.weights.bin")).toMatchObject({ status: 200 });
      for (const path of ["model/weights.bin", "model/..%2fpurenn-model%2fweights.bin", "package.json", "src/core.ts", "model/%E0%A4%A", "mnist/train-images-idx3-ubyte", "mnist/../package.json"]) {
        expect((await get(path)).status, path).toBeGreaterThanOrEqual(400);
      }
    } finally {
      await server.close();
    }
    const empty = await mkdtemp(join(work, "no-model-"));
    await expect(startDemoServer({ modelDir: empty })).rejects.toThrow(/model.json: cannot read/);
    await writeFile(join(empty, "model.json"), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["w.bin"], weights: [] }] }));
    await expect(startDemoServer({ modelDir: empty })).rejects.toThrow(/cannot read the weight file w.bin/);
  });

  it("the Train button's fields: a bad network, epochs or learning rate is refused, naming the value", () => {
    expect(parseTrainSettings("3", "0.05")).toEqual({ model: "dense", epochs: 3, learningRate: 0.05, batchSize: 32 });
    expect(parseTrainSettings(" 1 ", "1e-2", "dense")).toEqual({ model: "dense", epochs: 1, learningRate: 0.01, batchSize: 32 });
    expect(parseTrainSettings("2", "0.001", "cnn")).toEqual({ model: "cnn", epochs: 2, learningRate: 0.001, batchSize: 128 }); // Keras's mnist_convnet: Adam, batches of 128
    expect(parseTrainSettings("1", "0.1", "rnn")).toBe(`the network must be one of dense, cnn, got "rnn"`);
    expect(parseTrainSettings("1", "0", "cnn")).toBe(`learning rate must be a number > 0 (Keras's mnist_convnet uses 0.001 with Adam), got "0"`);
    for (const bad of ["0", "-1", "1.5", "abc", "", "101"]) expect(parseTrainSettings(bad, "0.1")).toBe(`epochs must be a whole number from 1 to 100, got "${bad}"`);
    for (const bad of ["0", "-0.1", "fast", "", "Infinity"]) expect(parseTrainSettings("1", bad)).toMatch(new RegExp(`^learning rate must be a number > 0 .*got "${bad}"$`));
  });

  it("the live chart's mean of the last 50 batches, and the weights' colour scale (99th percentile of |ΔW|)", () => {
    expect(trailingMean([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
    const w0 = new Float32Array(1000), w = new Float32Array(1000);
    for (let i = 0; i < 1000; i++) w[i] = i % 2 === 0 ? i / 1000 : -i / 1000; // |ΔW| = i / 1000
    expect(changeScale(w, w0)).toBeCloseTo(0.989, 6);
  });

  it("fetchModel and modelFromFiles load purenn's and TensorFlow.js's files into the same model", async () => {
    const x = mnist.xTest.slice(0, 50);
    const expected = model.predict(x).data;
    const server = await startDemoServer({ modelDir: tfjsDir });
    try {
      const fetched = await fetchModel(`${server.url}model/model.json`);
      expect(Array.from(fetched.predict(x).data)).toEqual(Array.from(expected));
    } finally {
      await server.close();
    }
    const theirs = await saveAsTfjs(model, join(work, "tfjs-again"));
    const tfjsOut = tfjsPredict(theirs, x);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(tfjsOut[i] - expected[i])).toBeLessThan(1e-5);
    const loaded = await loadModel(purennDir);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(expected));
    expect(() => modelFromFiles({ modelTopology: {}, weightsManifest: [{ paths: ["../x.bin"], weights: [] }] }, {})).toThrow(/weight path "..\/x.bin" must be a file name next to model.json/);
    expect(() => modelFromFiles({ modelTopology: {}, weightsManifest: [{ paths: ["w.bin"], weights: [] }] }, {})).toThrow(/the weight file w.bin is missing/);
  });
});

// ---------------------------------------------------------------------------------------------

if (!hasChromium) console.warn(`browser tests ${SKIP_REASON}`);

/** A "1" as a pen would draw it: top to bottom, leaning slightly, in canvas pixels (280x280). */
const ONE: [number, number][] = [[150, 40], [146, 100], [140, 170], [136, 240]];

describe.skipIf(!hasChromium)(hasChromium ? "in Chromium" : `in Chromium — ${SKIP_REASON}`, () => {
  let browser: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    browser = await launchChromium(join(work, "chromium-profile"));
    page = browser.pages()[0] ?? (await browser.newPage());
    errors = watchErrors(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await rm(join(work, "chromium-profile"), { recursive: true, force: true }); // tens of MB; the report and its screenshot stay
  });

  it("the report renders with no console errors and shows its four figures (screenshot kept)", async () => {
    const file = join(work, "report.html");
    await writeReport(history, model, mnist, file, { batches, initialWeights, settings: { optimizer: "sgd", learningRate: 0.1, validationSplit: 0.1, epochs: 1, seed: 7 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    const figures = page.locator("figure.report-figure");
    expect(await figures.count()).toBe(4);
    for (const id of ["curves", "confusion", "mistakes", "weights"]) {
      const svg = page.locator(`#${id} svg`).first();
      const box = await svg.boundingBox();
      expect(box?.width, id).toBeGreaterThan(40);
      expect(box?.height, id).toBeGreaterThan(40);
    }
    expect(await page.locator("#curves .series").count()).toBe(4); // loss, val_loss, accuracy, val_accuracy
    expect(await page.locator("#curves .batch-series").count()).toBe(2); // loss and accuracy per batch: a line, not one dot
    expect(await page.locator(".settings tr").count()).toBe(6);
    expect(await page.locator("#confusion .cell").count()).toBe(100);
    expect(await page.locator("#mistakes .mistake").count()).toBe(100);
    expect(await page.locator("#weights svg.unit").count()).toBe(256);
    const shot = join(work, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(50_000);
    console.log(`report screenshot: ${shot}`);
    page.removeAllListeners("request");
    expect(requests).toEqual([pathToFileURL(file).href]); // the page loaded nothing else
    expect(errors).toEqual([]);
  });

  /** Draws `points` with the mouse; `during` runs before the button is released. */
  async function draw(points: [number, number][], during?: () => Promise<void>): Promise<void> {
    const box = await page.locator("#pad").boundingBox();
    if (!box) throw new Error("no #pad on the page");
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await during?.();
    await page.mouse.up();
  }

  const bars = () => page.$$eval("#bars .row", (rows) => rows.map((r) => Number((r as unknown as { dataset: { p: string } }).dataset.p)));

  it("the demo page classifies a drawn 1 as 1, updating the bars while drawing, and clear resets them", async () => {
    const server: DemoServer = await startDemoServer({ modelDir: purennDir });
    try {
      await page.goto(server.url);
      await page.waitForSelector("body[data-model=ready]");
      expect(await bars()).toEqual(new Array(10).fill(0));
      await draw(ONE, async () => {
        await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } } })
          .document.querySelector("#prediction").textContent !== "–");
      });
      await page.waitForTimeout(50);
      const p = await bars();
      console.log(`demo: the scripted "1" → ${p.map((v, d) => `${d}: ${v.toFixed(3)}`).join(", ")}`);
      expect(await page.textContent("#prediction")).toBe("1");
      expect(p.indexOf(Math.max(...p))).toBe(1);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

      await page.click("#clear");
      expect(await bars()).toEqual(new Array(10).fill(0));
      expect(await page.textContent("#prediction")).toBe("–");
      const ink = await page.evaluate(() => {
        const pad = (globalThis as unknown as { document: { getElementById(id: string): { getContext(k: string): { getImageData(...a: number[]): { data: Uint8ClampedArray } } } } })
          .document.getElementById("pad");
        return pad.getContext("2d").getImageData(0, 0, 280, 280).data.reduce((s, v) => s + v, 0);
      });
      expect(ink).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("the demo page also loads a model saved by TensorFlow.js (picked files) and reads the same 1", async () => {
    const server = await startDemoServer({ modelDir: purennDir });
    try {
      await page.goto(server.url);
      await page.waitForSelector("body[data-model=ready]");
      await draw(ONE);
      const fromPurenn = await bars();
      await page.click("#clear");
      await page.setInputFiles("#files", [join(tfjsDir, "model.json"), join(tfjsDir, "model.weights.bin")]);
      await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: { model: string } }; getElementById(id: string): { textContent: string } } })
        .document.getElementById("status").textContent.includes("picked files"));
      expect(await page.getAttribute("body", "data-model")).toBe("ready");
      await draw(ONE);
      const fromTfjs = await bars();
      expect(await page.textContent("#prediction")).toBe("1");
      fromTfjs.forEach((v, d) => expect(Math.abs(v - fromPurenn[d]), `class ${d}`).toBeLessThan(1e-6));

      // A failed upload (model.json without its weights) says so, and which model still reads the drawing.
      await page.setInputFiles("#files", [join(tfjsDir, "model.json")]);
      await page.waitForSelector("body[data-model=error]");
      expect(await page.textContent("#status")).toMatch(/Could not load the model: .*the weight file model.weights.bin is missing.*The drawing is still read by the model in use before: the model 784 → 256 → 128 → 10 \(235,146 weights\) from model.json \+ model.weights.bin \(picked files\)/);
      expect(await page.textContent("#in-use")).toMatch(/picked files.*the load failed; this is the model from before/);
      expect(await page.textContent("#prediction")).toBe("1");
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  // The Train button: the tutorial's network trains in a Web Worker on the wasm backend (the
  // server makes the page cross-origin isolated), the shown accuracy rises, and the drawing is
  // read by the network while it trains. Node's speed on the same backend, network and batch
  // size is measured here too, to print beside the page's.
  it("trains in the page: cross-origin isolated, wasm, accuracy rises within 30 s, a stroke is read while training runs", async () => {
    const server = await startDemoServer({ modelDir: purennDir, about: "the browser test's model" });
    const text = (id: string) => page.textContent(`#${id}`).then((t) => t ?? "");
    const value = (id: string) => page.getAttribute(`#${id}`, "data-value").then((v) => (v ? Number(v) : undefined));
    try {
      await page.goto(server.url);
      await page.waitForSelector("body[data-model=ready]");
      await page.waitForSelector("body[data-backend]");
      expect(await page.evaluate(() => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated)).toBe(true);
      expect(await page.getAttribute("body", "data-backend")).toBe("wasm");
      expect(await text("train-status")).toContain(`on purenn's "wasm" backend (the page is cross-origin isolated`);
      expect(await text("backend")).toBe(`purenn's "wasm" backend (WebAssembly SIMD; the page is cross-origin isolated)`);
      expect(await text("in-use")).toContain("from the server (model/model.json): the browser test's model");

      // Bad settings: the page says which value is wrong, and nothing starts.
      for (const [field, bad, message] of [
        ["#epochs", "two", `Not started: epochs must be a whole number from 1 to 100, got "two".`],
        ["#learning-rate", "-0.1", `Not started: learning rate must be a number > 0`],
      ]) {
        await page.fill("#epochs", "3");
        await page.fill("#learning-rate", "0.1");
        await page.fill(field, bad);
        await page.click("#train");
        expect(await text("train-status")).toContain(message);
        expect(await page.getAttribute("body", "data-training")).toBe("idle");
      }
      await page.fill("#learning-rate", "0.1");

      // Every accuracy the page shows, as it shows it.
      await page.evaluate(() => {
        const g = globalThis as unknown as { shown: number[]; MutationObserver: new (f: () => void) => { observe(n: unknown, o: object): void }; document: { getElementById(id: string): { dataset: { value: string } } } };
        g.shown = [];
        const el = g.document.getElementById("accuracy");
        new g.MutationObserver(() => el.dataset.value && g.shown.push(Number(el.dataset.value))).observe(el, { attributes: true });
      });
      const clicked = Date.now();
      await page.click("#train");
      await page.waitForFunction(() => Number((globalThis as unknown as { document: { getElementById(id: string): { dataset: { value: string } } } })
        .document.getElementById("accuracy").dataset.value) >= 0.8, undefined, { timeout: 30_000, polling: 100 });
      const seconds = (Date.now() - clicked) / 1000;
      const shown = await page.evaluate(() => (globalThis as unknown as { shown: number[] }).shown);
      console.log(`in-page training: shown accuracy ${shown.slice(0, 3).map((v) => v.toFixed(3)).join(", ")} … ${shown[shown.length - 1].toFixed(3)}, 80% after ${seconds.toFixed(1)} s`);
      expect(shown[0]).toBeLessThan(0.6); // it rose: from near chance (10%) to 80%
      expect(await page.getAttribute("body", "data-training")).toBe("running");

      // A stroke drawn now is read by the network in training, and read again as its weights move on.
      await draw(ONE);
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } })
        .document.getElementById("prediction").textContent !== "–");
      const first = await bars();
      expect(await text("in-use")).toMatch(/^Reading your drawing with: the network training in this page \(after [\d,]+ batches, learning rate 0.1\)/);
      expect(first.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      await page.waitForFunction((p) => {
        const rows = (globalThis as unknown as { document: { querySelectorAll(s: string): { dataset: { p: string } }[] } }).document.querySelectorAll("#bars .row");
        return Array.from(rows).some((r, d) => Number(r.dataset.p) !== p[d]);
      }, first, { timeout: 10_000 });
      expect(await page.getAttribute("body", "data-training")).toBe("running");

      // Pause holds the training still; Stop ends it after the current batch.
      await page.click("#pause");
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } })
        .document.getElementById("train-status").textContent.startsWith("Paused"));
      await page.waitForTimeout(300);
      const pausedAt = await text("speed");
      await page.waitForTimeout(500);
      expect(await text("speed")).toBe(pausedAt);
      const speed = (await value("speed"))!;
      await page.click("#stop");
      await page.waitForSelector("body[data-training=done]", { timeout: 30_000 });
      // (epoch 1 or 2: on an idle machine the page can finish an epoch of 60000 digits before Stop)
      expect(await text("train-status")).toMatch(/^Done: stopped during epoch [12], \d+\.\d% on the test set/);
      expect(await value("test-accuracy")).toBeGreaterThan(0.8);
      expect(await text("in-use")).toMatch(/the network trained in this page \(stopped during epoch [12]/);
      // The run's report, made in the worker, behind a link.
      await page.waitForSelector("#report-link:not([hidden])");
      expect(await page.getAttribute("#report-link", "href")).toMatch(/^blob:/);
      const [tab] = await Promise.all([browser.waitForEvent("page"), page.click("#report-link")]);
      await tab.waitForLoadState();
      expect(await tab.title()).toBe("purenn training report: the network trained in the page");
      expect(await tab.locator('.settings tr[data-setting="learningRate"] td').first().textContent()).toBe("0.1");
      expect(await tab.locator("#curves .batch-series").count()).toBe(2);
      await tab.close();
      const shot = join(work, "demo-training.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(errors).toEqual([]);

      // Node, same backend, network and batch size: one thread (as the page's worker) and the default.
      const node = async (threads: number) => {
        const before = getThreads();
        setThreads(threads);
        await threadsReady();
        try {
          setRandomSeed(1);
          const m = tutorialModel();
          m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
          const n = 9600;
          const x = new Matrix(n, 784, mnist.xTrain.data.subarray(0, n * 784)), y = toCategorical(mnist.yTrain.subarray(0, n), 10);
          await m.fit(x.slice(0, 640), y.slice(0, 640), { epochs: 1, verbose: 0 }); // warm-up
          const t0 = performance.now();
          await m.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
          return (1000 * n) / (performance.now() - t0);
        } finally {
          setThreads(before);
        }
      };
      const [one, all] = [await node(1), await node(getThreads())];
      console.log(`training speed, tutorial network, batch 32, "${getBackend()}" backend: in the page (Web Worker) ${Math.round(speed)} samples/s; ` +
        `Node ${Math.round(one)} samples/s on 1 thread, ${Math.round(all)} on ${getThreads()} (page / Node 1 thread = ${(speed / one).toFixed(2)})`);
      expect(getBackend()).toBe("wasm");
    } finally {
      await server.close();
    }
  });

  // The CNN (Keras's mnist_convnet) in the page: chosen and trained in the worker (slow: each digit
  // costs ~60 times the dense network's arithmetic, so only the start of an epoch is watched), its
  // filters drawn; then a CNN saved by purenn, uploaded, reads the drawing as Node's copy does.
  it("the CNN: chosen and trained in the page (accuracy rises within 60 s, the loss falls, its filters drawn); a saved CNN uploaded reads a drawn 1", async () => {
    const server = await startDemoServer({ modelDir: purennDir });
    const value = (id: string) => page.getAttribute(`#${id}`, "data-value").then((v) => (v ? Number(v) : undefined));
    try {
      await page.goto(server.url);
      await page.waitForSelector("body[data-backend]");
      await page.selectOption("#model-choice", "cnn");
      expect(await page.inputValue("#learning-rate")).toBe("0.001"); // Adam's, as Keras trains mnist_convnet
      await page.fill("#epochs", "1");
      await page.evaluate(() => {
        const g = globalThis as unknown as { shown: [number, number][]; MutationObserver: new (f: () => void) => { observe(n: unknown, o: object): void }; document: { getElementById(id: string): { dataset: { value: string } } } };
        g.shown = [];
        const acc = g.document.getElementById("accuracy"), loss = g.document.getElementById("loss");
        new g.MutationObserver(() => acc.dataset.value && g.shown.push([Number(acc.dataset.value), Number(loss.dataset.value)])).observe(acc, { attributes: true });
      });
      const clicked = Date.now();
      await page.click("#train");
      await page.waitForFunction(() => Number((globalThis as unknown as { document: { getElementById(id: string): { dataset: { value: string } } } })
        .document.getElementById("accuracy").dataset.value) >= 0.5, undefined, { timeout: 60_000, polling: 200 });
      const seconds = (Date.now() - clicked) / 1000;
      const shown = await page.evaluate(() => (globalThis as unknown as { shown: [number, number][] }).shown);
      const speed = (await value("speed"))!;
      console.log(`in-page CNN training (mnist_convnet, Adam, batch 128, "wasm" in a Web Worker): ${Math.round(speed)} samples/s; ` +
        `shown accuracy ${shown[0][0].toFixed(3)} → ${shown[shown.length - 1][0].toFixed(3)} (50% after ${seconds.toFixed(1)} s), loss ${shown[0][1].toFixed(3)} → ${shown[shown.length - 1][1].toFixed(3)}`);
      expect(shown[0][0]).toBeLessThan(0.3); // it rose from near chance
      expect(shown[shown.length - 1][1]).toBeLessThan(shown[0][1]); // and the loss fell
      expect(await page.getAttribute("body", "data-training")).toBe("running");
      expect(await page.textContent("#train-status")).toMatch(/^Training: epoch 1 of 1, [\d,]+ digits so far\.$/);
      expect(await page.textContent("#in-use")).toMatch(/^Reading your drawing with: the CNN training in this page \(after [\d,]+ batches, learning rate 0.001\)/);
      expect(await page.textContent("#first-layer-caption")).toContain("the first layer's 32 filters, each a 3x3 window");
      expect(await page.textContent("#first-layer-scale")).toMatch(/^Full colour = a weight \(or a change\) of ±0\.\d+/);
      const colours = await page.evaluate(() => {
        const canvas = (globalThis as unknown as { document: { getElementById(id: string): { getContext(k: string): { getImageData(...a: number[]): { data: Uint8ClampedArray } } } } })
          .document.getElementById("first-layer");
        const d = canvas.getContext("2d").getImageData(0, 0, 448, 448).data;
        let red = 0, blue = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > d[i + 2] + 40) red++; else if (d[i + 2] > d[i] + 40) blue++;
        return { red, blue };
      });
      expect(colours.red).toBeGreaterThan(1000); // the filters are drawn, in both colours
      expect(colours.blue).toBeGreaterThan(1000);
      await page.screenshot({ path: join(work, "demo-cnn-training.png"), fullPage: true });
      expect(errors).toEqual([]);

      // A CNN saved by purenn (mnist_convnet, 2000 digits with Adam: ~90%), picked in the page (which
      // also ends the page's training: a new page, a new worker), reads the drawn 1 as Node's copy does.
      setRandomSeed(5);
      const cnn = convnetModel();
      cnn.compile({ optimizer: new Adam({ learningRate: 0.005 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
      await cnn.fit(new Matrix(2000, 784, mnist.xTrain.data.subarray(0, 2000 * 784)), toCategorical(mnist.yTrain.subarray(0, 2000), 10), { epochs: 1, verbose: 0 });
      const cnnDir = join(work, "purenn-cnn");
      await cnn.save(cnnDir);
      await page.goto(server.url);
      await page.waitForSelector("body[data-model=ready]");
      await page.setInputFiles("#files", [join(cnnDir, "model.json"), join(cnnDir, "weights.bin")]);
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } })
        .document.getElementById("status").textContent.includes("picked files"));
      expect(await page.textContent("#status")).toBe("Loaded the model 28x28x1 → Conv2D(32, 3x3) → MaxPooling2D([2, 2]) → Conv2D(64, 3x3) → " +
        "MaxPooling2D([2, 2]) → Flatten → Dropout(0.5) → Dense(10) (34,826 weights) from model.json + weights.bin (picked files).");
      await draw(ONE);
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } })
        .document.getElementById("prediction").textContent !== "–");
      const p = await bars();
      // What the page fed the network, from its 28x28 preview (pixels rounded to 1/255), read by Node's copy.
      const seen = await page.evaluate(() => {
        const canvas = (globalThis as unknown as { document: { getElementById(id: string): { getContext(k: string): { getImageData(...a: number[]): { data: Uint8ClampedArray } } } } })
          .document.getElementById("preview");
        return Array.from(canvas.getContext("2d").getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
      });
      const expected = cnn.predict(new Matrix(1, 784, Float32Array.from(seen, (v) => v / 255))).data;
      console.log(`demo: the scripted "1" read by an uploaded CNN → ${p.map((v, d) => `${d}: ${v.toFixed(3)}`).join(", ")}`);
      p.forEach((v, d) => expect(Math.abs(v - expected[d]), `class ${d}`).toBeLessThan(0.02));
      expect(await page.textContent("#prediction")).toBe(String(argmax(new Matrix(1, 10, expected), 1)[0]));
      expect(await page.textContent("#prediction")).toBe("1");
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

// Where this run's files are, for a look at the screenshot afterwards.
afterAll(() => {
  if (work) console.log(`browser test files (kept): ${relative(root, work).startsWith("..") ? work : join(root, relative(root, work))}`);
});
