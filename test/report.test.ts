// The training report (src/report/): one self-contained HTML file whose four
// figures hold the right numbers. A small network is trained on part of real
// MNIST (784-64-10, 4000 images, 2 epochs, under a second) and reported on the
// full 10000-image test set, so every count below is checked against
// model.predict / model.evaluate on real data.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtemp, readFile, readdir, stat } from "node:fs/promises";
import { readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import {
  Sequential, Dense, Activation, SGD, Adam, Conv2D, MaxPooling2D, Flatten, History, BatchHistory, Matrix, loadMnist, toCategorical, argmax, setRandomSeed, threadsReady, type Mnist,
} from "../src/index.js";
import { writeReport } from "../src/report/write.node.js";
import { reportHtml } from "../src/report/html.js";
import { filterTile } from "../src/report/filters.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let mnist: Mnist;
let model: Sequential;
let history: History;
let batches: BatchHistory;
let initialWeights: Matrix[];
let html: string;
let plain: string; // the report without the batches, the initial weights and the settings

function smallModel(name?: string): Sequential {
  const m = new Sequential([], { name });
  m.add(new Dense(64, { inputDim: 784 }));
  m.add(new Activation("sigmoid"));
  m.add(new Dense(10));
  m.add(new Activation("softmax"));
  m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  return m;
}

/** All values of `attr` on elements whose opening tag matches `tag`. */
function attrs(text: string, tag: RegExp, attr: string): string[] {
  return [...text.matchAll(new RegExp(`<[^>]*${tag.source}[^>]*>`, "g"))].map((m) => {
    const found = m[0].match(new RegExp(`${attr}="([^"]*)"`));
    return found ? found[1] : "";
  });
}

/** The text of one figure, by id. */
function figureText(id: string): string {
  return figureTextOf(html, id);
}
function figureTextOf(page: string, id: string): string {
  const start = page.indexOf(`<figure class="report-figure" id="${id}"`);
  return page.slice(start, page.indexOf("</figure>", start));
}

function stat_(key: string): number {
  const m = html.match(new RegExp(`data-stat="${key}">([^<]*)<`));
  if (!m) throw new Error(`no data-stat ${key}`);
  return Number(m[1]);
}

beforeAll(async () => {
  // Let the matmul workers finish starting before the first product: one dispatched at the moment a
  // worker starts can hang (a start-up race in src/tensor/gemm-worker.node.ts, reported separately).
  await threadsReady();
  mnist = await loadMnist();
  setRandomSeed(3);
  model = smallModel(`tiny <script>alert("x")</script> & 'co'`);
  const n = 4000;
  batches = new BatchHistory({ batchSize: 32, samples: 3000 });
  initialWeights = model.getWeights();
  history = await model.fit(new Matrix(n, 784, mnist.xTrain.data.subarray(0, n * 784)), toCategorical(mnist.yTrain.subarray(0, n), 10), {
    epochs: 2, verbose: 0, validationSplit: 0.25, callbacks: [batches],
  });
  html = reportHtml(history, model, mnist, { batches, initialWeights, settings: { optimizer: "sgd", learningRate: 0.1, validationSplit: 0.25, seed: 3 } }).html;
  plain = reportHtml(history, model, mnist).html;
});

describe("the report's four figures", () => {
  it("are there, in order, each drawn as inline SVG", () => {
    const ids = attrs(html, /class="report-figure"/, "id");
    expect(ids).toEqual(["curves", "confusion", "mistakes", "weights"]);
    for (const id of ids) expect(figureText(id)).toContain("<svg");
  });

  it("curves: loss and accuracy, training and validation, one point per epoch", () => {
    const curves = figureText("curves");
    expect(attrs(curves, /class="series"/, "data-series")).toEqual(["loss", "val_loss", "accuracy", "val_accuracy"]);
    for (const key of ["loss", "val_loss", "accuracy", "val_accuracy"]) {
      const group = curves.slice(curves.indexOf(`data-series="${key}"`), curves.indexOf("</g>", curves.indexOf(`data-series="${key}"`)));
      expect(group.match(/<circle/g)).toHaveLength(2);
      expect(group).toContain(`${key}, epoch 2: ${history.history[key][1].toFixed(4)}`);
    }
  });

  it("confusion matrix: 10x10 cells that sum to n, rows to the label counts, and agree with predict", () => {
    const cells = [...figureText("confusion").matchAll(/data-true="(\d)" data-pred="(\d)" data-count="(\d+)"/g)].map((m) => m.slice(1).map(Number));
    expect(cells).toHaveLength(100);
    expect(cells.reduce((s, c) => s + c[2], 0)).toBe(10000);
    const predicted = argmax(model.predict(mnist.xTest), 1);
    const expected = Array.from({ length: 10 }, () => new Array(10).fill(0));
    mnist.yTest.forEach((t, i) => expected[t][predicted[i]]++);
    for (const [t, p, count] of cells) expect(count, `cell ${t},${p}`).toBe(expected[t][p]);
  });

  it("numbers match model.evaluate: loss, accuracy, and the confusion matrix's accuracy", () => {
    const [loss, accuracy] = model.evaluate(mnist.xTest, toCategorical(mnist.yTest, 10), { verbose: 0 });
    expect(Math.abs(stat_("test-loss") - loss)).toBeLessThanOrEqual(5e-5);
    expect(Math.abs(stat_("test-accuracy") - accuracy)).toBeLessThanOrEqual(5e-5);
    expect(Math.abs(stat_("confusion-accuracy") - accuracy)).toBeLessThanOrEqual(5e-5);
    expect(stat_("mistakes")).toBe(Math.round((1 - accuracy) * 10000));
    expect(stat_("test-samples")).toBe(10000);
    expect(stat_("epochs")).toBe(2);
    const { summary } = reportHtml(history, model, mnist);
    expect(summary.evaluation?.loss).toBeCloseTo(loss, 6);
    expect(summary.accuracy).toBeCloseTo(accuracy, 12);
  });

  it("mistakes: the first 100 misclassified test digits, each with its true and predicted label", () => {
    const predicted = argmax(model.predict(mnist.xTest), 1);
    const wrong = [...mnist.yTest.keys()].filter((i) => predicted[i] !== mnist.yTest[i]);
    expect(wrong.length).toBeGreaterThan(100);
    const tiles = [...figureText("mistakes").matchAll(/data-index="(\d+)" data-true="(\d)" data-pred="(\d)"/g)].map((m) => m.slice(1).map(Number));
    expect(tiles.map((t) => t[0])).toEqual(wrong.slice(0, 100));
    for (const [i, t, p] of tiles) expect([t, p]).toEqual([mnist.yTest[i], predicted[i]]);
    expect(figureText("mistakes")).toContain(`The ${wrong.length} test digits the model gets wrong; the first 100 are shown`);
  });

  it("weights: one 28x28 image per first-layer unit", () => {
    const units = attrs(figureText("weights"), /class="unit"/, "data-unit");
    expect(units).toEqual(Array.from({ length: 64 }, (_, j) => String(j)));
    expect(figureText("weights")).toContain('viewBox="0 0 28 28"');
  });
});

describe("how it was trained: settings, per-batch curves, what the first layer learned", () => {
  it("states the run's settings, each with the npm start flag that sets it", () => {
    const rows = [...html.matchAll(/<tr data-setting="(\w+)"><th>([^<]*)<\/th><td>([^<]*)<\/td><td><code>([^<]*)<\/code>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([
      ["optimizer", "optimizer", "sgd", "--optimizer"],
      ["learningRate", "learning rate", "0.1", "--learning-rate"],
      ["batchSize", "batch size", "32", "--batch-size"], // from the BatchHistory
      ["validationSplit", "validation split", "0.25", "--validation-split"],
      ["epochs", "epochs", "2", "--epochs"], // from History
      ["seed", "seed", "3", "--seed"],
    ]);
    // Without settings: what the model and History know (the optimizer's class and rate, the epochs).
    expect([...plain.matchAll(/<tr data-setting="(\w+)"><th>[^<]*<\/th><td>([^<]*)</g)].map((m) => m.slice(1))).toEqual([
      ["optimizer", "SGD"], ["learningRate", "0.1"], ["epochs", "2"],
    ]);
  });

  it("curves: each batch's loss and accuracy under the epoch points, and captions that explain train vs test and name the flags", () => {
    const curves = figureText("curves");
    expect(attrs(curves, /class="batch-series"/, "data-series")).toEqual(["loss per batch", "accuracy per batch"]);
    expect(attrs(curves, /class="batch-series"/, "data-batches")).toEqual(["188", "188"]); // 2 epochs of ⌈3000 / 32⌉ = 94
    expect(batches.history.loss).toHaveLength(188);
    const caption = curves.slice(curves.indexOf("<figcaption>"));
    expect(caption).toContain("<code>--validation-split</code>");
    expect(caption).toContain("averages over all its batches, each measured while the network was still learning");
    // A single epoch: the curve is a line of batches, not one lonely dot.
    const one = new History();
    one.record(0, { loss: history.history.loss[0], accuracy: history.history.accuracy[0] });
    const firstEpoch = new BatchHistory({ batchSize: 32, samples: 3000 });
    firstEpoch.onEpochBegin(0);
    for (let b = 0; b < 94; b++) firstEpoch.onBatchEnd(b, { loss: 2 - b / 94, accuracy: 0.1 + (0.8 * b) / 94 });
    const page = reportHtml(one, model, mnist, { batches: firstEpoch }).html;
    const polylines = [...page.matchAll(/class="batch-series"[^>]*>[\s\S]*?<polyline points="([^"]*)"/g)].map((m) => m[1].split(" ").length);
    expect(polylines).toEqual([94, 94]);
    expect(plain).toContain("Per-batch curves are drawn when fit is given a <code>BatchHistory</code> callback");
  });

  it("weights: with the initial weights it draws only what training changed, on one scale (max |W₀|); no change draws nothing", () => {
    const weights = figureText("weights");
    let maxW0 = 0;
    for (const v of initialWeights[0].data) maxW0 = Math.max(maxW0, Math.abs(v));
    expect(weights).toContain(`full colour at a change of ±${maxW0.toPrecision(2)}`);
    expect(weights).toContain("ΔW = W − W₀");
    // Compared with the weights it has now, nothing changed: 64 blank tiles (background only, no path).
    const still = reportHtml(history, model, mnist, { initialWeights: model.getWeights() }).html;
    const tiles = [...still.matchAll(/<svg[^>]*class="unit"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(tiles).toHaveLength(64);
    for (const t of tiles) expect(t).not.toContain("<path");
    // After training, the tiles are drawn, and the border (never inked) is left white.
    const drawn = [...weights.matchAll(/<svg[^>]*class="unit"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(drawn.filter((t) => t.includes("<path")).length).toBe(64);
    for (const t of drawn) expect(t).not.toMatch(/M\d+ 0\.5h/); // no run in row 0
    expect(() => reportHtml(history, model, mnist, { initialWeights: [new Matrix(3, 3)] })).toThrow(/initialWeights\[0\] has shape \[3, 3\] but the first layer's kernel is \[784, 64\]/);
    expect(() => reportHtml(history, model, mnist, { batches: {} as never })).toThrow(/batches must be the BatchHistory given to fit, got/);
  });

  it("weights: without the initial weights, the pixels no test digit inks are grey and the caption says how to see the change", () => {
    expect(figureTextOf(plain, "weights")).toContain("Grey: pixels no test image inks");
    expect(figureTextOf(plain, "weights")).toContain('stroke="#d9d9d9"');
  });
});

// A CNN's first layer is drawn as its filters (src/report/filters.ts). A small CNN (8 filters
// of 3x3, then pooling and a Dense softmax: about a second) trained on 1500 digits, reported
// on 500 test digits.
describe("a CNN's first layer: its filters", () => {
  const test = () => ({ xTest: mnist.xTest.slice(0, 500), yTest: mnist.yTest.subarray(0, 500) });
  /** Each filter tile's two images' values ("now", "change"), from data-values, as numbers. */
  const tiles = (page: string) => [...figureTextOf(page, "weights").matchAll(/<div class="tile filter" data-filter="(\d+)">([\s\S]*?)<\/div>/g)].map((m) => ({
    filter: Number(m[1]),
    now: (m[2].match(/class="now" data-values="([^"]*)"/)?.[1] ?? "").split(" ").map(Number),
    change: (m[2].match(/class="change" data-values="([^"]*)"/)?.[1] ?? "").split(" ").map(Number),
    viewBoxes: [...m[2].matchAll(/viewBox="([^"]*)"/g)].map((v) => v[1]),
  }));

  it("one 3x3 tile per filter, now and its change; the change is zero before training and not after", async () => {
    setRandomSeed(11);
    const cnn = new Sequential([
      new Conv2D(8, { kernelSize: 3, activation: "relu", inputShape: [28, 28, 1] }),
      new MaxPooling2D({ poolSize: 2 }),
      new Flatten(),
      new Dense(10, { activation: "softmax" }),
    ]);
    cnn.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const initial = cnn.getWeights();
    const before = reportHtml(new History(), cnn, test(), { initialWeights: initial }).html;
    const n = 1500;
    const h = await cnn.fit(new Matrix(n, 784, mnist.xTrain.data.subarray(0, n * 784)), toCategorical(mnist.yTrain.subarray(0, n), 10), { epochs: 1, batchSize: 32, verbose: 0 });
    const after = reportHtml(h, cnn, test(), { initialWeights: initial }).html;

    expect(attrs(after, /class="report-figure"/, "id")).toEqual(["curves", "confusion", "mistakes", "weights"]);
    const [t0, t1] = [tiles(before), tiles(after)];
    expect(t1.map((t) => t.filter)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const t of t1) {
      expect(t.viewBoxes).toEqual(["0 0 3 3", "0 0 3 3"]);
      expect(t.now).toHaveLength(9);
      expect(t.change).toHaveLength(9);
    }
    // The tiles hold the kernel: filter o at window pixel (p, q) is K[p·3 + q, o] (one input channel).
    const K = cnn.getWeights()[0];
    t1.forEach((t, o) => t.now.forEach((v, r) => expect(v).toBeCloseTo(K.get(r, o), 3)));
    // Before training nothing changed (blank lower tiles); after, every filter moved and the picture differs.
    for (const t of t0) expect(t.change.every((v) => v === 0)).toBe(true);
    for (const t of t1) expect(t.change.some((v) => v !== 0), `filter ${t.filter}`).toBe(true);
    expect(figureTextOf(after, "weights")).not.toBe(figureTextOf(before, "weights"));
    expect([...figureTextOf(before, "weights").matchAll(/<svg[^>]*class="change"[\s\S]*?<\/svg>/g)].every((m) => !m[0].includes("<path"))).toBe(true);
    expect(figureTextOf(after, "weights")).toContain("each of its 8 filters, a 3x3 window of weights");
    // Without the initial weights: only the filters as they are, and how to see the change.
    const plainCnn = reportHtml(h, cnn, test()).html;
    expect(tiles(plainCnn).every((t) => t.viewBoxes.length === 1)).toBe(true);
    expect(figureTextOf(plainCnn, "weights")).toContain("initialWeights: model.getWeights()");
  });

  it("several input channels: a tile is the mean over them", () => {
    // kernel [1, 1, 2, 1]: rows are (p, q, c) = (0, 0, 0), (0, 0, 1)
    expect(Array.from(filterTile(new Matrix(2, 1, [1, 3]), 0, 1, 1))).toEqual([2]);
    // [kh, kw, cin, f] = [1, 2, 2, 2]: filter 1's pixel (0, 1) is the mean of rows 2 and 3, column 1
    const K = Matrix.fromArray([[0, 1], [0, 3], [0, 5], [0, 7]]);
    expect(Array.from(filterTile(K, 1, 1, 2))).toEqual([2, 6]);
  });
});

describe("the report is one self-contained, safe file", () => {
  it("loads nothing: no URL, no script, no stylesheet or font from elsewhere", () => {
    expect(html.toLowerCase()).not.toContain("http");
    expect(html.toLowerCase()).not.toContain("<script");
    expect(html).not.toMatch(/\b(src|href)=|@import|url\(|@font-face/i);
    expect(html.startsWith("<!doctype html>")).toBe(true);
  });

  it("escapes names from outside: the model's name shows as text", () => {
    expect(html).toContain("tiny &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;");
    expect(html).not.toContain("<script>alert");
  });

  it("writeReport writes it in one piece, creating folders, and returns what it states", async () => {
    const dir = await mkdtemp(join(tmpdir(), "purenn-report-"));
    const file = join(dir, "sub", "report.html");
    const result = await writeReport(history, model, mnist, file);
    expect(result.file).toBe(file);
    expect(result.bytes).toBe((await stat(file)).size);
    expect(await readFile(file, "utf8")).toBe(plain);
    expect(await readdir(join(dir, "sub"))).toEqual(["report.html"]);
    expect(result.n).toBe(10000);
    expect(result.mistakes).toBe(stat_("mistakes"));
    expect(result.bytes).toBeLessThan(2_000_000);
  });

  it("src/report/ imports nothing from Node outside write.node.ts, and bundles for a browser", async () => {
    const dir = join(root, "src", "report");
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".node.ts"))) {
      expect(readFileSync(join(dir, f), "utf8"), f).not.toMatch(/from "node:|from "(fs|path|os|crypto|worker_threads)"/);
    }
    const r = await build({ entryPoints: [join(dir, "html.ts")], bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent" });
    expect(Object.keys(r.metafile.inputs).filter((p) => p.includes("node:") || p.endsWith(".node.ts"))).toEqual([]);
  });
});

describe("reports of unusual runs", () => {
  it("no epochs and an uncompiled model: still four figures, the curves say why they are empty", () => {
    setRandomSeed(4);
    const fresh = new Sequential();
    fresh.add(new Dense(16, { inputDim: 784, activation: "relu" }));
    fresh.add(new Dense(10, { activation: "softmax" }));
    const { html: page, summary } = reportHtml(new History(), fresh, { xTest: mnist.xTest.slice(0, 300), yTest: mnist.yTest.subarray(0, 300) });
    expect(attrs(page, /class="report-figure"/, "id")).toEqual(["curves", "confusion", "mistakes", "weights"]);
    expect(page).toContain("No epochs were trained");
    expect(page).not.toContain('data-stat="test-loss"');
    expect(summary.evaluation).toBeUndefined();
    expect(summary.n).toBe(300);
    expect(attrs(page, /class="unit"/, "data-unit")).toHaveLength(16);
  });

  it("takes one-hot labels as well as integer labels", () => {
    const x = mnist.xTest.slice(0, 200);
    const a = reportHtml(history, model, { xTest: x, yTest: mnist.yTest.subarray(0, 200) }).summary;
    const b = reportHtml(history, model, { xTest: x, yTest: toCategorical(mnist.yTest.subarray(0, 200), 10) }).summary;
    expect(b).toEqual(a);
  });

  it.each([
    [{ xTest: new Matrix(3, 784), yTest: new Uint8Array(2) }, /data.xTest has 3 rows but data.yTest has 2 labels/],
    [{ xTest: new Matrix(2, 783), yTest: new Uint8Array(2) }, /data.xTest has shape \[2, 783\] but the model expects 784 columns/],
    [{ xTest: new Matrix(2, 784), yTest: [0, 10] }, /label at index 1 is 10, expected an integer in \[0, 10\)/],
    [{ xTest: new Matrix(2, 784), yTest: [0, 1.5] }, /label at index 1 is 1.5/],
    [{ xTrain: new Matrix(2, 784) }, /data must be \{ xTest, yTest \}/],
    [{ xTest: new Matrix(2, 784), yTest: new Matrix(2, 5) }, /one-hot rows of 10 columns \(the model's outputs\), got \[2, 5\]/],
  ])("bad data fails at once with what was wrong: %#", (data, message) => {
    expect(() => reportHtml(history, model, data as never)).toThrow(message);
  });

  it("maxMistakes limits the digits drawn, not the count stated", () => {
    const page = reportHtml(history, model, mnist, { maxMistakes: 7 }).html;
    expect(attrs(page, /class="tile mistake"/, "data-index")).toHaveLength(7);
    expect(page).toContain(`data-stat="mistakes">${stat_("mistakes")}<`);
    expect(() => reportHtml(history, model, mnist, { maxMistakes: -1 })).toThrow(/maxMistakes must be an integer >= 0, got -1/);
  });

  it("a bad file name fails before any work", async () => {
    await expect(writeReport(history, model, mnist, "")).rejects.toThrow(/writeReport expects a file path, got/);
  });
});
