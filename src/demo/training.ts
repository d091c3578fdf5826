/**
 * The page's training panel: the model choice (the tutorial's dense network or
 * Keras's mnist_convnet, models.ts), the Train, Pause and Stop buttons, the
 * epochs and learning-rate fields, the live figures, the per-batch curve and
 * the first layer's changing weights. The training itself runs in a Web Worker
 * (train-worker.ts); this side only draws what it reports.
 *
 *   Train:  settings checked (parseTrainSettings) → worker.postMessage({ type: "train" })
 *   worker → "batches"  append to the curve, update the figures (mean of the last 50 batches)
 *   worker → "weights"  a copy of the network gets them (setWeights): the page reads the
 *                       drawing with it; the first layer's change W − W₀ is drawn (for the
 *                       CNN: each filter of its first Conv2D, and its change)
 *   worker → "epoch"    the test accuracy, a black dot on the curve
 *
 * For tests and the curious, the DOM states it: body[data-training] is
 * "idle", "running", "paused", "done" or "error"; #accuracy, #loss,
 * #test-accuracy and #speed carry their number in data-value.
 */
import { Matrix, type Sequential } from "../core.js";
import { browser, byId, type CanvasLike, type Context2D, type ElementLike } from "./dom.js";
import { parseTrainSettings, type FromWorker, type TrainSettings } from "./messages.js";
import { PAGE_MODELS, isPageModel, type PageModelName } from "./models.js";
import { drawCurve, trailingMean, weightChangeImage, filtersImage } from "./live-charts.js";

export interface TrainingPanel {
  /** Called whenever the network in training has new weights: `model` holds them. */
  onModel?: (model: Sequential, description: string) => void;
}

type State = "idle" | "running" | "paused" | "done" | "error";

/** How the page names the network in training: "the network" (the tutorial's) or "the CNN". */
function networkName(kind: PageModelName): string {
  return kind === "cnn" ? "the CNN" : "the network";
}

export function startTrainingPanel(panel: TrainingPanel): void {
  const [trainButton, pauseButton, stopButton] = ["train", "pause", "stop"].map((id) => byId<ElementLike>(id));
  const [epochsField, rateField, modelChoice] = ["epochs", "learning-rate", "model-choice"].map((id) => byId<ElementLike>(id));
  const status = byId<ElementLike>("train-status");
  const figures = Object.fromEntries(["accuracy", "loss", "test-accuracy", "speed"].map((id) => [id, byId<ElementLike>(id)]));
  const curve = byId<CanvasLike>("curve");
  const curveCtx = curve.getContext("2d") as Context2D;
  const layer = byId<CanvasLike>("first-layer");
  const layerCtx = layer.getContext("2d") as Context2D;
  const layerScale = byId<ElementLike>("first-layer-scale");
  const layerCaption = byId<ElementLike>("first-layer-caption");
  const reportLink = byId<ElementLike>("report-link");

  let backend = "?";
  let settings: TrainSettings | undefined;
  let at: number[] = [], loss: number[] = [], accuracy: number[] = [], tests: [number, number][] = [];
  let initial: Float32Array | undefined;
  let live: Sequential | undefined;
  let liveKind: PageModelName | undefined;
  let drawPending = false;

  const setState = (s: State) => {
    browser.document.body.dataset.training = s;
    trainButton.disabled = s === "running" || s === "paused";
    modelChoice.disabled = s === "running" || s === "paused";
    pauseButton.disabled = s !== "running" && s !== "paused";
    stopButton.disabled = s !== "running" && s !== "paused";
    pauseButton.textContent = s === "paused" ? "Resume" : "Pause";
  };
  const say = (text: string, error = false) => {
    status.textContent = text;
    status.classList.toggle("error", error);
  };
  const show = (id: string, value: number | undefined, text: string) => {
    figures[id].dataset.value = value === undefined ? "" : String(value);
    figures[id].textContent = text;
  };
  const redraw = () => {
    drawPending = false;
    drawCurve(curveCtx, curve.width, curve.height, { at, loss, accuracy, epochs: settings?.epochs ?? 1, tests });
  };
  // At most five redraws a second: the curve is thousands of points, and every millisecond the
  // page spends drawing is one the worker may not get on a machine with few cores.
  let lastDraw = 0;
  const scheduleRedraw = () => {
    if (drawPending) return;
    drawPending = true;
    setTimeout(() => browser.requestAnimationFrame(() => {
      lastDraw = performance.now();
      redraw();
    }), Math.max(0, 200 - (performance.now() - lastDraw)));
  };

  const worker = new browser.Worker("worker.js", { type: "module" });
  worker.addEventListener("error", (e: { message: string }) => {
    say(`The training worker failed: ${e.message}`, true);
    setState("error");
  });
  worker.addEventListener("message", ({ data }: { data: unknown }) => {
    const m = data as FromWorker;
    if (m.type === "ready") {
      backend = m.backend;
      say(`Ready. Training runs in a Web Worker on purenn's "${backend}" backend` +
        (m.isolated ? " (the page is cross-origin isolated, so WebAssembly SIMD on shared memory)." : " (the page is not cross-origin isolated, so no shared WebAssembly memory)."));
      browser.document.body.dataset.backend = backend;
      byId<ElementLike>("backend").textContent = `purenn's "${backend}" backend` + (m.isolated
        ? " (WebAssembly SIMD; the page is cross-origin isolated)" : " (plain TypeScript; the page is not cross-origin isolated)");
    } else if (m.type === "status") {
      say(m.text);
    } else if (m.type === "batches") {
      // Appended in place: a copy of the whole history per message grows with its square.
      for (let i = 0; i < m.at.length; i++) {
        at.push(m.at[i]);
        loss.push(m.loss[i]);
        accuracy.push(m.accuracy[i]);
      }
      const meanAcc = trailingMean(accuracy.slice(-50)).pop()!, meanLoss = trailingMean(loss.slice(-50)).pop()!;
      show("accuracy", meanAcc, `${(100 * meanAcc).toFixed(1)}%`);
      show("loss", meanLoss, meanLoss.toFixed(3));
      show("speed", m.samplesPerSecond, `${Math.round(m.samplesPerSecond).toLocaleString("en")} samples/s on "${backend}"`);
      const last = at[at.length - 1];
      if (browser.document.body.dataset.training === "running") say(`Training: epoch ${Math.min(Math.floor(last - 1e-9) + 1, settings?.epochs ?? 1)} of ${settings?.epochs}, ${m.samples.toLocaleString("en")} digits so far.`);
      scheduleRedraw();
    } else if (m.type === "weights") {
      if (m.initialFirstKernel) initial = m.initialFirstKernel;
      if (!live || liveKind !== m.model) [live, liveKind] = [PAGE_MODELS[m.model].build(), m.model];
      live.setWeights(m.weights.map(([rows, cols, values]) => new Matrix(rows, cols, values)));
      const [, units, W] = m.weights[0];
      if (initial) drawWeights(W, initial, units, live);
      const where = at.length === 0 ? "not trained yet" : `after ${at.length.toLocaleString("en")} batches`;
      panel.onModel?.(live, `${networkName(m.model)} training in this page (${where}, learning rate ${settings?.learningRate})`);
    } else if (m.type === "epoch") {
      tests.push([Math.min(m.epoch + 1, at[at.length - 1] ?? m.epoch + 1), m.testAccuracy]);
      show("test-accuracy", m.testAccuracy, tests.map(([, t], e) => `${(100 * t).toFixed(1)}% (epoch ${e + 1})`).join(", "));
      scheduleRedraw();
    } else if (m.type === "done") {
      const test = tests.length > 0 ? `, ${(100 * tests[tests.length - 1][1]).toFixed(1)}% on the test set` : "";
      const what = `${m.stopped ? `stopped during epoch ${m.epochs}` : `trained ${m.epochs} epoch${m.epochs === 1 ? "" : "s"}`}${test}`;
      say(`Done: ${what}. Your drawing is read by this network now; Train again to start over.`);
      if (live && liveKind) panel.onModel?.(live, `${networkName(liveKind)} trained in this page (${what}, learning rate ${settings?.learningRate})`);
      setState("done");
    } else if (m.type === "report") {
      if (reportLink.href) browser.URL.revokeObjectURL(reportLink.href);
      reportLink.href = browser.URL.createObjectURL(new browser.Blob([m.html], { type: "text/html" }));
      reportLink.hidden = false;
    } else if (m.type === "error") {
      say(`Training failed: ${m.message}`, true);
      setState("error");
    }
  });

  function drawWeights(W: Float32Array, W0: Float32Array, units: number, m: Sequential): void {
    const image = layerCtx.createImageData(layer.width, layer.height);
    const first = m.layers[0] as { className: string; kernelSize?: [number, number] };
    if (first.className === "Conv2D" && first.kernelSize) {
      const [kh, kw] = first.kernelSize;
      const s = filtersImage(image, W, W0, units, kh, kw);
      layerCtx.putImageData(image, 0, 0);
      layerScale.textContent = `Full colour = a weight (or a change) of ±${s.toPrecision(2)}, the largest weight now or at the start.`;
      return;
    }
    const s = weightChangeImage(image, W, W0, units);
    layerCtx.putImageData(image, 0, 0);
    layerScale.textContent = s > 0
      ? `Full colour = a change of ±${s.toPrecision(2)} (the 99th percentile of all changes). The border stays white: no MNIST digit inks it, so its weights get no gradient.`
      : "No change yet: every weight is still where it started.";
  }

  /** What the first-layer panel shows, in words, for each network. */
  function describeFirstLayer(kind: PageModelName): void {
    layerCaption.textContent = kind === "cnn"
      ? "the first layer's 32 filters, each a 3x3 window slid over the image: the filter now (above) and how it changed since training began (below); red positive, blue negative, one colour scale for all"
      : "the first layer's 256 units: how each one's 784 weights changed since training began (red up, blue down, one colour scale for all)";
  }
  modelChoice.addEventListener("change", () => {
    const kind = modelChoice.value ?? "";
    if (!isPageModel(kind)) return;
    rateField.value = String(PAGE_MODELS[kind].learningRate);
    describeFirstLayer(kind);
    say(`${PAGE_MODELS[kind].label}: ${PAGE_MODELS[kind].optimizerName === "adam" ? "Adam" : "SGD"}, batches of ${PAGE_MODELS[kind].batchSize}, learning rate ${PAGE_MODELS[kind].learningRate}. Press Train.`);
  });

  trainButton.addEventListener("click", () => {
    const parsed = parseTrainSettings(epochsField.value ?? "", rateField.value ?? "", modelChoice.value ?? "");
    if (typeof parsed === "string") return say(`Not started: ${parsed}.`, true);
    settings = parsed;
    at = [], loss = [], accuracy = [], tests = [];
    initial = undefined;
    layerCtx.clearRect(0, 0, layer.width, layer.height);
    describeFirstLayer(parsed.model);
    reportLink.hidden = true;
    for (const id of Object.keys(figures)) show(id, undefined, "–");
    redraw();
    setState("running");
    const spec = PAGE_MODELS[parsed.model];
    say(`Starting: ${spec.label}, ${parsed.epochs} epoch${parsed.epochs === 1 ? "" : "s"} of ${spec.optimizerName === "adam" ? "Adam" : "SGD"} at learning rate ${parsed.learningRate}, batches of ${parsed.batchSize}…`);
    worker.postMessage({ type: "train", settings: parsed });
  });
  pauseButton.addEventListener("click", () => {
    const paused = browser.document.body.dataset.training === "paused";
    worker.postMessage({ type: paused ? "resume" : "pause" });
    setState(paused ? "running" : "paused");
    if (!paused) say("Paused: draw and see how the network reads it at this point; Resume goes on.");
  });
  stopButton.addEventListener("click", () => {
    worker.postMessage({ type: "stop" });
    say("Stopping after the current batch…");
  });
  setState("idle");
  if (isPageModel(modelChoice.value ?? "")) describeFirstLayer(modelChoice.value as PageModelName); // a reload may keep the choice
  redraw();
}
