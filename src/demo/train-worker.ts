/**
 * The page's training worker (a Web Worker, bundled as /worker.js): it trains
 * the chosen network — the tutorial's dense one, or Keras's mnist_convnet
 * (models.ts) — on MNIST off the page's thread, so drawing stays responsive,
 * and tells the page how it goes (messages.ts).
 *
 *   fetch MNIST from the demo server (bare bytes, once)    x = pixels / 255, t = one-hot labels
 *   model = tutorialModel() with SGD(learningRate), or convnetModel() with Adam(learningRate);
 *           categorical cross-entropy
 *   model.fit(x, t, { epochs, batchSize, callbacks: [BatchHistory, this file's Live] })
 *     after each batch:   its loss and accuracy (BatchHistory) → the page, every ~100 ms
 *                         every weight → the page, every ~250 ms (it draws the first
 *                         layer and reads the drawing with them)
 *     after each epoch:   model.evaluate on the 10000 test digits → the page
 *   pause: the batch callback waits until resume; stop: model.stopTraining = true
 *   at the end: the run's training report (src/report/), as `npm start -- --report` writes it
 *
 * It runs on the backend purenn picks by itself: "wasm" on a cross-origin
 * isolated page (the demo server sends the headers), else "js".
 */
import { Matrix, BatchHistory, toCategorical, getBackend, type Sequential } from "../core.js";
import { reportHtml } from "../report/html.js";
import { toImages } from "../data/pixels.js";
import { PAGE_MODELS, type PageModelName } from "./models.js";
import type { FromWorker, ToWorker, TrainSettings } from "./messages.js";

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: ArrayBuffer[]): void;
  addEventListener(type: "message", listener: (event: { data: ToWorker }) => void): void;
  crossOriginIsolated?: boolean;
  fetch: typeof fetch;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => scope.postMessage(m, transfer);

const BATCHES_EVERY_MS = 100;
const WEIGHTS_EVERY_MS = 250;

interface Data { xTrain: Matrix; yTrain: Matrix; xTest: Matrix; yTest: Matrix }
let data: Promise<Data> | undefined;
let model: Sequential | undefined;
let paused = false;
let stopped = false;
let resume: (() => void) | undefined;

/** One part of MNIST from the server, as bytes. */
async function part(name: string): Promise<Uint8Array> {
  const r = await scope.fetch(`mnist/${name}`);
  if (!r.ok) throw new Error(`mnist/${name}: HTTP ${r.status} ${(await r.text()).trim()}`);
  return new Uint8Array(await r.arrayBuffer());
}


async function loadData(): Promise<Data> {
  post({ type: "status", text: "fetching MNIST from the demo server…" });
  const [xTrain, yTrain, xTest, yTest] = await Promise.all(["train-images", "train-labels", "test-images", "test-labels"].map(part));
  return { xTrain: toImages(xTrain, true), yTrain: toCategorical(yTrain, 10), xTest: toImages(xTest, true), yTest: toCategorical(yTest, 10) };
}

/**
 * Every weight, in getWeights order, copied out of the model into plain arrays that are then
 * transferred to the page, not cloned (getWeights would first copy each one into the heap).
 */
function postWeights(m: Sequential, model: PageModelName, initialFirstKernel?: Float32Array): void {
  const weights = m.layers.flatMap((l) => l.weights()).map(({ value: w }): [number, number, Float32Array] => [w.rows, w.cols, w.data.slice()]);
  post({ type: "weights", model, weights, initialFirstKernel }, weights.map(([, , v]) => v.buffer as ArrayBuffer));
}

/** The callback that streams batches and weights to the page, waits while paused, and measures speed. */
class Live {
  private sent = 0;
  private lastBatches = performance.now();
  private lastWeights = performance.now();
  private trainingMs = 0;
  private since = performance.now();
  private samples = 0;

  constructor(private readonly m: Sequential, private readonly batches: BatchHistory, private readonly settings: TrainSettings, private readonly d: Data) {}

  onEpochBegin(): void {
    this.since = performance.now();
  }

  async onBatchEnd(batch: number): Promise<void> {
    this.samples += Math.min(this.settings.batchSize, this.d.xTrain.rows - batch * this.settings.batchSize);
    const now = performance.now();
    if (now - this.lastBatches >= BATCHES_EVERY_MS) this.flush(now);
    if (now - this.lastWeights >= WEIGHTS_EVERY_MS) {
      postWeights(this.m, this.settings.model);
      this.lastWeights = performance.now();
    }
    if (paused) {
      this.flush(performance.now());
      this.trainingMs += performance.now() - this.since;
      await new Promise<void>((r) => (resume = r));
      this.since = performance.now();
    }
  }

  async onEpochEnd(epoch: number, logs: Record<string, number>): Promise<void> {
    this.flush(performance.now());
    this.trainingMs += performance.now() - this.since; // the test evaluation below is not training
    postWeights(this.m, this.settings.model);
    const [testLoss, testAccuracy] = this.m.evaluate(this.d.xTest, this.d.yTest, { verbose: 0, batchSize: 256 });
    post({ type: "epoch", epoch, testLoss, testAccuracy, loss: logs.loss, accuracy: logs.accuracy });
  }

  /** Sends the batches not sent yet. */
  flush(now: number): void {
    const { at, history } = this.batches;
    if (this.sent === at.length) return;
    const ms = this.trainingMs + (now - this.since);
    post({
      type: "batches", at: at.slice(this.sent), loss: history.loss.slice(this.sent), accuracy: history.accuracy.slice(this.sent),
      samplesPerSecond: ms > 0 ? (1000 * this.samples) / ms : 0, samples: this.samples,
    });
    this.sent = at.length;
    this.lastBatches = now;
  }
}

async function train(settings: TrainSettings): Promise<void> {
  data ??= loadData();
  data.catch(() => (data = undefined)); // try again on the next Train
  const d = await data;
  const spec = PAGE_MODELS[settings.model];
  const m = (model = spec.build());
  m.compile({ optimizer: spec.optimizer(settings.learningRate), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  const kernel = m.layers[0].weights()[0].value; // the first Dense's (784, 256) or the first Conv2D's (3·3·1, 32)
  const initial = kernel.data.slice(); // W₀: the first kernel before training
  postWeights(m, settings.model, initial);
  post({ type: "status", text: `training on ${d.xTrain.rows} digits…` });
  const batches = new BatchHistory({ batchSize: settings.batchSize, samples: d.xTrain.rows });
  const live = new Live(m, batches, settings, d);
  const history = await m.fit(d.xTrain, d.yTrain, { epochs: settings.epochs, batchSize: settings.batchSize, verbose: 0, callbacks: [batches, live] });
  live.flush(performance.now());
  postWeights(m, settings.model);
  post({ type: "done", stopped, epochs: history.epoch.length });
  const { html } = reportHtml(history, m, { xTest: d.xTest, yTest: d.yTest }, {
    title: "purenn training report: the network trained in the page",
    batches, initialWeights: [new Matrix(kernel.rows, kernel.cols, initial)],
    settings: { optimizer: spec.optimizerName, learningRate: settings.learningRate, batchSize: settings.batchSize, validationSplit: 0, epochs: settings.epochs, seed: "random" },
  });
  post({ type: "report", html });
}

scope.addEventListener("message", ({ data: message }) => {
  if (message.type === "train") {
    paused = false;
    stopped = false;
    train(message.settings).catch((e: Error) => post({ type: "error", message: e.message }));
  } else if (message.type === "pause") {
    paused = true;
  } else if (message.type === "resume" || message.type === "stop") {
    if (message.type === "stop" && model) {
      model.stopTraining = true; // fit ends after the current batch (and still evaluates that epoch)
      stopped = true;
    }
    paused = false;
    resume?.();
    resume = undefined;
  }
});

post({ type: "ready", backend: getBackend(), isolated: scope.crossOriginIsolated === true });
