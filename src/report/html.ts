/**
 * reportHtml: the training report as ONE self-contained HTML page (a string).
 * Browser-safe; src/report/write.node.ts writes it to a file.
 *
 * The run's settings (training.ts), then four figures, each a
 * <figure class="report-figure"> with inline SVG:
 *   1. #curves     loss and each metric per batch (given a BatchHistory) and per
 *                  epoch, training solid, validation dashed (training.ts)
 *   2. #confusion  the confusion matrix on the test set, as a heat map
 *   3. #mistakes   test digits the model gets wrong, with true → predicted labels
 *   4. #weights    the first layer: what training changed in each hidden unit's
 *                  weights (W itself when initialWeights is not given), one 28x28
 *                  image per unit (weights.ts); for a CNN,
 *                  each filter of the first Conv2D as a small kh x kw image,
 *                  now and its change since the start (filters.ts)
 *
 * No script, no stylesheet or font from elsewhere, no URL at all: the file
 * opens the same offline, from an e-mail or from disk. Every piece of text
 * that comes from outside (model and layer names, history keys) is escaped.
 */
import { el, label, escapeHtml, pixelImage, inkScale } from "./svg.js";
import { confusionHeatmap } from "./charts.js";
import { analyze, type Analysis, type ReportData } from "./analysis.js";
import { curvesFigure, figure, runSettings, settingsTable, SETTINGS_CSS, type RunSettings } from "./training.js";
import { weightsFigure, imageSide } from "./weights.js";
import { Matrix, describe, toMatrix, type MatrixLike } from "../tensor/matrix.js";
import { BatchHistory } from "../model/batch-history.js";
import { checkOptions, optionNames } from "../tensor/names.js";
import type { Sequential } from "../model/sequential.js";
import type { History } from "../model/history.js";

export interface ReportOptions {
  /** The page title; default "purenn training report: <model name>". */
  title?: string;
  /** At most this many misclassified digits are drawn; default 100. */
  maxMistakes?: number;
  /** The per-batch figures of the fit (a BatchHistory given to fit as a callback): per-batch curves. */
  batches?: BatchHistory;
  /** The weights before training (model.getWeights() before fit): the weights figure then shows what training changed. */
  initialWeights?: MatrixLike[];
  /** How the model was trained; what is left out is taken from the model and the histories where they know it. */
  settings?: RunSettings;
}

/** What the report shows in numbers; writeReport returns it too. */
export interface ReportSummary {
  /** Test samples. */
  n: number;
  /** Σ of the confusion matrix's diagonal / n. */
  accuracy: number;
  /** Misclassified test samples (all of them, not only those drawn). */
  mistakes: number;
  /** model.evaluate on the test set by name, when the model is compiled. */
  evaluation: Record<string, number> | undefined;
  /** Epochs in the history. */
  epochs: number;
}

const REPORT_OPTIONS = optionNames<ReportOptions>({ title: true, maxMistakes: true, batches: true, initialWeights: true, settings: true });

/** Builds the report; returns the HTML and the figures it states. */
export function reportHtml(history: History, model: Sequential, data: ReportData, options?: ReportOptions): { html: string; summary: ReportSummary } {
  const { title = `purenn training report: ${model?.name}`, maxMistakes = 100, batches, initialWeights, settings = {} } = checkOptions("writeReport", options, REPORT_OPTIONS);
  if (typeof title !== "string") throw new Error(`writeReport: title must be a string, got ${describe(title)}`);
  if (!Number.isInteger(maxMistakes) || maxMistakes < 0) throw new Error(`writeReport: maxMistakes must be an integer >= 0, got ${describe(maxMistakes)}`);
  if (batches !== undefined && !(batches instanceof BatchHistory)) throw new Error(`writeReport: batches must be the BatchHistory given to fit, got ${describe(batches)}`);
  if (typeof settings !== "object" || settings === null) throw new Error(`writeReport: settings must be an object like { optimizer, learningRate, batchSize }, got ${describe(settings)}`);
  const a = analyze(history, model, data);
  const initial = initialKernel(initialWeights, a.firstKernel);
  const summary: ReportSummary = { n: a.n, accuracy: a.accuracy, mistakes: a.mistakes.length, evaluation: a.evaluation, epochs: history.epoch.length };
  const html = [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    stats(a, summary, model),
    settingsTable(runSettings(settings, model, history, batches)),
    curvesFigure(history, batches),
    confusionFigure(a),
    mistakesFigure(a, maxMistakes),
    weightsFigure(a, initial),
    `<footer>Written by purenn's report (src/report/). One file: inline SVG, no script, nothing loaded from elsewhere.</footer>`,
    "</body></html>",
  ].join("\n");
  return { html, summary };
}

/** The first kernel's starting values from initialWeights (getWeights order: the first matrix), checked against its shape. */
function initialKernel(initialWeights: MatrixLike[] | undefined, kernel: Matrix | undefined): Matrix | undefined {
  if (initialWeights === undefined) return undefined;
  if (!Array.isArray(initialWeights) || initialWeights.length === 0) {
    throw new Error(`writeReport: initialWeights must be the list model.getWeights() returned before fit, got ${describe(initialWeights)}`);
  }
  const first = toMatrix(initialWeights[0], "writeReport initialWeights[0]");
  if (!kernel || first.rows !== kernel.rows || first.cols !== kernel.cols) {
    throw new Error(`writeReport: initialWeights[0] has shape ${first.shapeString} but the first layer's kernel is ${kernel ? kernel.shapeString : "missing"}; pass model.getWeights() from before fit`);
  }
  return first;
}

/** The figures in numbers, and the model's summary table. */
function stats(a: Analysis, s: ReportSummary, model: Sequential): string {
  const rows: [string, string, string][] = [["test-samples", "test samples", String(a.n)]];
  for (const [name, v] of Object.entries(a.evaluation ?? {})) rows.push([`test-${name}`, `test ${name} (model.evaluate)`, v.toFixed(4)]);
  rows.push(["confusion-accuracy", "accuracy from the confusion matrix", a.accuracy.toFixed(4)]);
  rows.push(["mistakes", "misclassified test samples", String(s.mistakes)]);
  rows.push(["epochs", "epochs trained", String(s.epochs)]);
  const dl = rows.map(([key, name, v]) => `<dt>${escapeHtml(name)}</dt><dd data-stat="${escapeHtml(key)}">${escapeHtml(v)}</dd>`).join("");
  return `<section class="stats"><dl>${dl}</dl><pre class="summary">${escapeHtml(model.summary(() => {}))}</pre></section>`;
}

function confusionFigure(a: Analysis): string {
  return figure("confusion", `Confusion matrix on the ${a.n} test samples: row = true label, column = prediction; the colour is the cell's share of its row (square-root scale), the diagonal holds the correct answers.`,
    confusionHeatmap(a.confusion));
}

/** The misclassified digits, first `max` in test-set order, each with "true → predicted". */
function mistakesFigure(a: Analysis, max: number): string {
  const side = imageSide(a.x.cols);
  if (a.mistakes.length === 0) return figure("mistakes", "Misclassified test digits", `<p class="empty">The model gets every test sample right.</p>`);
  const shown = a.mistakes.slice(0, max);
  const ink = inkScale(a.inputMax);
  const tiles = shown.map((i) => {
    const t = a.labels[i], p = a.predicted[i];
    const picture = side
      ? pixelImage(a.x.data, i * a.x.cols, side, side, ink, 56, {}, `test sample ${i}: true ${t}, predicted ${p} (p = ${a.confidence[i].toFixed(2)})`)
      : el("svg", { viewBox: "0 0 56 56", width: 56, height: 56 }, label(4, 30, "no image"));
    return `<div class="tile mistake" data-index="${i}" data-true="${t}" data-pred="${p}">${picture}` +
      `<span class="tag">${t} → <b>${p}</b></span></div>`;
  });
  const more = a.mistakes.length > shown.length ? `; the first ${shown.length} are shown` : "";
  return figure("mistakes", `The ${a.mistakes.length} test digits the model gets wrong${more}, in test-set order: true label → <b>predicted label</b>. Hover a digit for its index and the model's confidence.`,
    `<div class="grid">${tiles.join("")}</div>`);
}

const CSS = SETTINGS_CSS + `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; }
.stats { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
dl { display: grid; grid-template-columns: auto auto; gap: 2px 12px; margin: 0; }
dt { color: #555; } dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
pre.summary { font-size: 12px; background: #f6f6f6; padding: 8px; margin: 0; overflow-x: auto; }
figure.report-figure { margin: 28px 0; padding: 12px; border: 1px solid #ddd; border-radius: 6px; }
figcaption { margin-top: 8px; color: #444; font-size: 14px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg text { font-family: system-ui, sans-serif; }
.chart-title { font-size: 14px; font-weight: 600; } .tick { font-size: 11px; fill: #555; } .axis-title { font-size: 12px; fill: #333; }
.legend { font-size: 12px; } .count { font-size: 12px; } line.gridline { stroke: #eee; } .frame { fill: none; stroke: #999; }
.grid { display: flex; flex-wrap: wrap; gap: 6px; } .grid.weights { gap: 3px; } .grid.filters { gap: 6px; } .filter svg { border: 1px solid #ccc; margin: 1px; display: block; } .filter-rows svg { display: block; }
.key-row { display: flex; gap: 8px; align-items: center; margin-top: 6px; } code { background: #f3f3f3; padding: 0 3px; }
.tile { display: flex; flex-direction: column; align-items: center; font-size: 12px; border: 1px solid #eee; }
.empty { color: #777; font-style: italic; }
footer { color: #777; font-size: 12px; margin-top: 24px; }
`;
