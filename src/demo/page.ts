/**
 * The "draw a digit" page (bundled for the browser by server.node.ts with esbuild).
 *
 *   draw on a 280x280 canvas  →  ink = alpha channel / 255       (280·280 values in [0, 1])
 *   toMnistInput(ink)         →  x: 784 values, cropped, scaled to 20x20, centred by mass
 *   model.predict(x)          →  p: 10 probabilities (softmax)   → ten bars, argmax in big
 *
 * It imports purenn's core (src/core.ts) and nothing from Node. The model is
 * fetched from ./model/model.json (+ its weight files), read from files the
 * user picks — a model saved by purenn or by TensorFlow.js — or, once Train
 * is pressed, the network training in this page (training.ts), whose new
 * weights arrive a few times a second. #in-use always says which one reads
 * the drawing.
 *
 * For tests and the curious, the page states what it shows in the DOM:
 * body[data-model] is "loading", "ready" or "error" (the last load failed);
 * each bar's row carries data-p, its probability; #prediction holds the argmax
 * digit (or "–"); #in-use names the model in use.
 */
import { Matrix, argmax, type Sequential } from "../core.js";
import { toMnistInput } from "./preprocess.js";
import { fetchModel, modelFromFiles } from "./loader.js";
import { startTrainingPanel } from "./training.js";
import { browser, byId, type CanvasLike, type Context2D, type ElementLike, type FileInputLike, type PointerEventLike } from "./dom.js";

const STROKE = 22; // pen width in canvas pixels: about 2 px once a tall digit is scaled into MNIST's 20x20 box, as MNIST's strokes

const pad = byId<CanvasLike>("pad");
const preview = byId<CanvasLike>("preview");
const status = byId<ElementLike>("status");
const prediction = byId<ElementLike>("prediction");
const inUse = byId<ElementLike>("in-use");
const ctx = pad.getContext("2d", { willReadFrequently: true }) as Context2D;
const previewCtx = preview.getContext("2d") as Context2D;
const rows = makeBars(byId<ElementLike>("bars"));

let model: Sequential | undefined;
let modelDescription = "no model yet";
let last: [number, number] | undefined;
let pending = false;

/** Ten rows: the digit, a bar as wide as its probability, the percentage. */
function makeBars(container: ElementLike): { row: ElementLike; bar: ElementLike; value: ElementLike }[] {
  return Array.from({ length: 10 }, (_, d) => {
    const row = container.appendChild(browser.document.createElement("div"));
    row.className = "row";
    row.dataset.digit = String(d);
    const name = row.appendChild(browser.document.createElement("span"));
    name.textContent = String(d);
    const track = row.appendChild(browser.document.createElement("div"));
    track.className = "track";
    const bar = track.appendChild(browser.document.createElement("div"));
    bar.className = "bar";
    const value = row.appendChild(browser.document.createElement("span"));
    return { row, bar, value };
  });
}

/** Shows probabilities p (or all zeros when p is undefined). */
function showBars(p: Float32Array | undefined): void {
  const best = p ? argmax(new Matrix(1, p.length, p), 1)[0] : -1;
  rows.forEach(({ row, bar, value }, d) => {
    const v = p ? p[d] : 0;
    row.dataset.p = String(v);
    row.classList.toggle("top", d === best);
    bar.style.width = `${(100 * v).toFixed(1)}%`;
    value.textContent = `${(100 * v).toFixed(1)}%`;
  });
  prediction.textContent = best < 0 ? "–" : String(best);
}

/** The canvas's alpha channel as ink in [0, 1]. */
function readInk(): Float32Array {
  const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
  const ink = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i + 3] / 255;
  return ink;
}

/** The 28x28 input, drawn as MNIST shows it: white ink on black. */
function showPreview(x: Float32Array | null): void {
  const image = previewCtx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (x ? x[i] : 0));
    image.data.set([v, v, v, 255], 4 * i);
  }
  previewCtx.putImageData(image, 0, 0);
}

/** Reads the drawing, classifies it, updates preview, bars and prediction. */
function classify(): void {
  pending = false;
  const x = toMnistInput(readInk(), pad.width, pad.height);
  showPreview(x);
  if (!x || !model) return showBars(undefined);
  showBars(model.predict(new Matrix(1, 784, x)).data);
}

/** At most one classification per animation frame while the pen moves. */
function scheduleClassify(): void {
  if (pending) return;
  pending = true;
  browser.requestAnimationFrame(classify);
}

/** Pointer position in canvas pixels (the canvas may be drawn at another CSS size). */
function point(e: PointerEventLike): [number, number] {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
}

function penDown(e: PointerEventLike): void {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  last = point(e);
  ctx.fillStyle = "#000";
  ctx.beginPath();
  ctx.arc(last[0], last[1], STROKE / 2, 0, 2 * Math.PI);
  ctx.fill();
  scheduleClassify();
}

function penMove(e: PointerEventLike): void {
  if (!last || (e.buttons & 1) === 0) return;
  const next = point(e);
  ctx.lineWidth = STROKE;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#000";
  ctx.beginPath();
  ctx.moveTo(last[0], last[1]);
  ctx.lineTo(next[0], next[1]);
  ctx.stroke();
  last = next;
  scheduleClassify();
}

function penUp(): void {
  if (!last) return;
  last = undefined;
  classify();
}

function clear(): void {
  ctx.clearRect(0, 0, pad.width, pad.height);
  last = undefined;
  showPreview(null);
  showBars(undefined);
}

/** Makes `m` the model that reads the drawing, says so, and classifies what is already drawn with it. */
function setModel(m: Sequential, description: string): void {
  model = m;
  modelDescription = description;
  inUse.textContent = `Reading your drawing with: ${description}.`;
  scheduleClassify();
}

/**
 * The layers of a 784 → 10 model, as "784 → 256 → 128 → 10 (235,146 weights)" for a dense
 * network, or layer by layer for an image one: "28x28x1 → Conv2D(32, 3x3) → MaxPooling2D([2, 2]) → …".
 */
function shape(m: Sequential): string {
  const params = m.layers.flatMap((l) => l.params()).reduce((s, p) => s + p.value.data.length, 0);
  const dense = m.layers.every((l) => l.className === "Dense" || l.className === "Activation" || l.className === "Dropout");
  const layers = dense
    ? [m.inputDim, ...m.layers.filter((l) => l.className === "Dense").map((l) => l.outputDim)]
    : [(m.inputShape ?? [m.inputDim]).join("x"), ...m.layers.map((l) => {
      const conv = l as { className: string; filters?: number; kernelSize?: [number, number] };
      return conv.className === "Conv2D" && conv.kernelSize ? `Conv2D(${conv.filters}, ${conv.kernelSize.join("x")})` : String(l);
    })];
  return `${layers.join(" → ")} (${params.toLocaleString("en")} weights)`;
}

/** A loaded model: checked to read 784 pixels into 10 classes, then put in use. */
function useModel(m: Sequential, from: string, about = ""): void {
  if (m.inputDim !== 784 || m.outputDim !== 10) {
    throw new Error(`${from}: this page needs a model from 784 pixels to 10 classes, got ${m.inputDim} → ${m.outputDim}`);
  }
  status.textContent = `Loaded the model ${shape(m)} from ${from}.`;
  status.classList.toggle("error", false);
  browser.document.body.dataset.model = "ready";
  setModel(m, `the model ${shape(m)} from ${from}${about}`);
}

/** A failed load: says why, and which model (if any) still reads the drawing. */
function fail(e: unknown): void {
  status.textContent = `Could not load the model: ${(e as Error).message}. ` +
    (model ? `The drawing is still read by the model in use before: ${modelDescription}.` : "No model is in use.");
  status.classList.toggle("error", true);
  inUse.textContent = `Reading your drawing with: ${modelDescription}${model ? " (the load failed; this is the model from before)" : ""}.`;
  browser.document.body.dataset.model = "error";
}

/** What the server says about how its model was trained (model/info.json), as " — 1 epoch of SGD …", or "". */
async function aboutServedModel(): Promise<string> {
  const r = await fetch("model/info.json");
  const info = (r.ok ? await r.json() : {}) as { text?: unknown };
  return typeof info.text === "string" && info.text !== "" ? `: ${info.text}` : "";
}

/** model.json and its weight files, picked together in the file dialog. */
async function loadPicked(input: FileInputLike): Promise<void> {
  const picked = Array.from(input.files ?? []);
  const json = picked.find((f) => f.name.endsWith(".json"));
  if (!json) throw new Error("pick the model.json file together with its weight file(s)");
  const files: Record<string, ArrayBuffer> = {};
  for (const f of picked) if (f !== json) files[f.name] = await f.arrayBuffer();
  useModel(modelFromFiles(JSON.parse(await json.text()), files, json.name), `${picked.map((f) => f.name).join(" + ")} (picked files)`);
}

pad.addEventListener("pointerdown", penDown);
pad.addEventListener("pointermove", penMove);
pad.addEventListener("pointerup", penUp);
pad.addEventListener("pointercancel", penUp);
byId<ElementLike>("clear").addEventListener("click", clear);
const input = byId<FileInputLike>("files");
input.addEventListener("change", () => {
  browser.document.body.dataset.model = "loading";
  loadPicked(input).catch(fail);
});

clear();
browser.document.body.dataset.model = "loading";
Promise.all([fetchModel("model/model.json"), aboutServedModel()])
  .then(([m, about]) => useModel(m, "the server (model/model.json)", about)).catch(fail);
startTrainingPanel({ onModel: setModel });
