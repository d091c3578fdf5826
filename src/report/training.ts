/**
 * The report's account of how the model was trained (browser-safe):
 *
 *   settingsTable   the run's settings: optimizer, learning rate, batch size,
 *                   validation split, epochs, seed, each with its CLI flag
 *   curvesFigure    loss and each metric: per batch (when a BatchHistory was
 *                   recorded), the epoch means History keeps, validation dashed
 *
 * Why the training figures look worse than the test figures: an epoch's
 * training loss is the mean over all its batches, each measured with the
 * weights of that moment, and the weights at the start of the epoch were worse
 * than at its end; the test (and validation) figures are measured once, with
 * the final weights. In epoch 1 the gap is largest: it averages over a network
 * that began at chance.
 */
import { escapeHtml } from "./svg.js";
import { lineChart, type Series, type BatchSeries } from "./charts.js";
import type { History } from "../model/history.js";
import type { BatchHistory } from "../model/batch-history.js";
import type { Sequential } from "../model/sequential.js";

/** How the model was trained, as the report states it (any field may be left out). */
export interface RunSettings {
  optimizer?: string;
  learningRate?: number;
  batchSize?: number;
  validationSplit?: number;
  epochs?: number;
  /** The seed of the random generator, or a note such as "random". */
  seed?: number | string;
}

/** Each setting's words, and the `npm start` flag that sets it. */
const SETTINGS: [keyof RunSettings, string, string][] = [
  ["optimizer", "optimizer", "--optimizer"],
  ["learningRate", "learning rate", "--learning-rate"],
  ["batchSize", "batch size", "--batch-size"],
  ["validationSplit", "validation split", "--validation-split"],
  ["epochs", "epochs", "--epochs"],
  ["seed", "seed", "--seed"],
];

/**
 * The settings given, completed from what the model and the histories know:
 * the optimizer's class and learning rate, the epochs asked of fit, the batch size BatchHistory was told.
 */
export function runSettings(given: RunSettings, model: Sequential, history: History, batches: BatchHistory | undefined): RunSettings {
  const optimizer = model.optimizer as { constructor: { name: string }; learningRate?: unknown } | undefined;
  const known: RunSettings = {
    optimizer: optimizer?.constructor.name,
    learningRate: typeof optimizer?.learningRate === "number" ? optimizer.learningRate : undefined,
    batchSize: batches?.batchSize,
    epochs: history.params.epochs > 0 ? history.params.epochs : undefined,
  };
  const out: RunSettings = {};
  for (const [key] of SETTINGS) {
    const v = given[key] ?? known[key];
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

/** The settings as a small table: what, value, and the flag of `npm start` that sets it. */
export function settingsTable(s: RunSettings): string {
  const rows = SETTINGS.filter(([key]) => s[key] !== undefined).map(([key, words, flag]) =>
    `<tr data-setting="${key}"><th>${escapeHtml(words)}</th><td>${escapeHtml(String(s[key]))}</td><td><code>${flag}</code></td></tr>`);
  if (rows.length === 0) return "";
  return `<section class="settings"><h2>How it was trained</h2><table>${rows.join("")}</table></section>`;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"];

/** One chart per quantity in the history (loss, accuracy, ...), with its val_ twin when present, and its batches when recorded. */
export function curvesFigure(history: History, batches: BatchHistory | undefined): string {
  const epochs = history.epoch.map((e) => e + 1);
  const keys = Object.keys(history.history);
  const bases = [...new Set(keys.map((k) => k.replace(/^val_/, "")))].sort((p, q) => (p === "loss" ? -1 : q === "loss" ? 1 : p.localeCompare(q)));
  if (epochs.length === 0 || bases.length === 0) {
    return figure("curves", "Training curves", `<p class="empty">No epochs were trained (the history is empty), so there are no curves to draw.</p>`);
  }
  const perBatch = batches !== undefined && batches.at.length > 0;
  const charts = bases.map((base, i) => {
    const series: Series[] = [];
    const color = PALETTE[i % PALETTE.length];
    if (history.history[base]) series.push({ name: base, values: history.history[base], color });
    if (history.history[`val_${base}`]) series.push({ name: `val_${base}`, values: history.history[`val_${base}`], color: "#ff7f0e", dashed: true });
    const batch: BatchSeries[] = perBatch && batches.history[base] ? [{ name: `${base} per batch`, at: batches.at, values: batches.history[base], color }] : [];
    return lineChart({ title: base, epochs, series, batches: batch, width: perBatch ? 470 : 420 });
  });
  const val = keys.some((k) => k.startsWith("val_"));
  const caption = [
    perBatch
      ? `Training curves. The faint line is each batch's own figure (${batches.batchSize} training digits, so noisy); the solid thin line is the mean of the last 50 batches: how the network got better as it trained. ` +
        `The dots at 1, 2, … are the epoch's training figures as <code>fit</code> reports them (History).`
      : `Training curves: each quantity per epoch on the training data (solid). Per-batch curves are drawn when fit is given a <code>BatchHistory</code> callback (as <code>npm start -- --report</code> does).`,
    val
      ? `Dashed: the same figures on the validation data held out with <code>--validation-split</code> (fit's <code>validationSplit</code>), measured at the end of each epoch.`
      : `Hold out part of the training data with <code>--validation-split 0.1</code> (fit's <code>validationSplit</code>) to add validation curves.`,
    `Why the training figures look worse than the test figures above: an epoch's training loss and accuracy are averages over all its batches, each measured while the network was still learning ` +
      `(the early batches of the epoch with worse weights), while the test and validation figures are measured once, with the weights at the end of the epoch. The gap is largest for epoch 1, which averages over a network that started at chance.`,
  ].join(" ");
  return figure("curves", caption, `<div class="charts">${charts.join("")}</div>`);
}

export function figure(id: string, caption: string, body: string): string {
  return `<figure class="report-figure" id="${id}">${body}<figcaption>${caption}</figcaption></figure>`;
}

export const SETTINGS_CSS = `
.settings h2 { font-size: 16px; margin: 20px 0 6px; }
.settings table { border-collapse: collapse; } .settings th { text-align: left; font-weight: normal; color: #555; padding: 1px 14px 1px 0; }
.settings td { padding: 1px 14px 1px 0; font-variant-numeric: tabular-nums; font-weight: 600; } .settings code { font-weight: normal; color: #555; }
`;
