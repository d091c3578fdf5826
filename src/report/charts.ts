/**
 * The report's two drawn charts, as SVG strings (see svg.ts for why by hand).
 *
 *   lineChart:        one value per epoch per series (loss, val_loss, ...), and
 *                     optionally one per batch (x = epoch + (batch + 1) / steps)
 *   confusionHeatmap: counts[t][p] = test samples of true class t predicted as p
 *
 * Both map data to pixels with one linear scale per axis:
 *   px(x) = left + (x − x₀) / (x₁ − x₀) · plotWidth       (y likewise, flipped)
 */
import { el, label, escapeHtml, niceTicks, mix, num, WHITE, BLUE } from "./svg.js";

export interface Series {
  /** The history key, e.g. "loss" or "val_loss"; shown in the legend. */
  name: string;
  /** One value per epoch, in order. */
  values: number[];
  color: string;
  /** Draw dashed (validation series are). */
  dashed?: boolean;
}

/** Values per batch: each single batch drawn faint, the mean of the last `window` batches drawn solid. */
export interface BatchSeries {
  name: string;
  /** Where each batch falls, in epochs (BatchHistory.at). */
  at: number[];
  values: number[];
  color: string;
  /** Batches in the trailing mean; default 50. */
  window?: number;
}

export interface LineChartOptions {
  title: string;
  /** The epoch number of each value (1-based, as Keras prints them). */
  epochs: number[];
  series: Series[];
  /** Per-batch curves under the epoch points; the x axis then starts at 0 (before the first batch). */
  batches?: BatchSeries[];
  width?: number;
  height?: number;
}

/** The trailing mean over the last `window` values, at each position. */
export function trailingMean(values: readonly number[], window = 50): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** At most `max` evenly spaced indices of a list of n, always keeping the last. */
function thin(n: number, max = 1200): number[] {
  const step = Math.max(1, Math.ceil(n / max));
  const kept: number[] = [];
  for (let i = 0; i < n; i += step) kept.push(i);
  if (n > 0 && kept[kept.length - 1] !== n - 1) kept.push(n - 1);
  return kept;
}

const MARGIN = { left: 52, right: 14, top: 30, bottom: 40 };

/** Lines with a dot per epoch (so a single epoch still shows), per-batch curves when given, axes with ticks, and a legend. */
export function lineChart(options: LineChartOptions): string {
  const { title, epochs, series, batches = [], width = 420, height = 260 } = options;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const first = epochs[0] ?? 1, last = Math.max(epochs[epochs.length - 1] ?? 1, ...batches.flatMap((b) => b.at.slice(-1)));
  const [x0, x1] = batches.length > 0 ? [0, last] : first === last ? [first - 1, last + 1] : [first, last];
  const all = [...series, ...batches].flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (title.toLowerCase().includes("loss")) lo = Math.min(0, lo); // losses read best from 0
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  const yTicks = niceTicks(lo - (lo === 0 ? 0 : pad), hi + pad);
  const [y0, y1] = [Math.min(yTicks[0], lo), Math.max(yTicks[yTicks.length - 1], hi + pad)]; // headroom: no point on the frame
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((y - y0) / (y1 - y0)) * plotH;

  const xStep = batches.length > 0 && x1 <= 2 ? 0.25 : Math.max(1, Math.ceil((x1 - x0) / 10));
  const xTicks = batches.length > 0
    ? Array.from({ length: Math.floor(x1 / xStep + 1e-9) + 1 }, (_, k) => Number((k * xStep).toFixed(2)))
    : epochs.filter((e) => (e - first) % xStep === 0);
  const parts: string[] = [
    el("title", {}, escapeHtml(title)),
    label(MARGIN.left, 18, title, { class: "chart-title" }),
    ...yTicks.map((t) => el("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: py(t), y2: py(t), class: "gridline" })),
    ...yTicks.map((t) => label(MARGIN.left - 6, py(t) + 4, formatTick(t), { "text-anchor": "end", class: "tick" })),
    ...xTicks.map((e) => label(px(e), height - MARGIN.bottom + 16, String(e), { "text-anchor": "middle", class: "tick" })),
    label(MARGIN.left + plotW / 2, height - 6, "epoch", { "text-anchor": "middle", class: "axis-title" }),
    el("rect", { x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH, class: "frame" }),
  ];
  for (const b of batches) {
    const mean = trailingMean(b.values, b.window ?? 50);
    const line = (values: number[]) => thin(values.length).map((i) => `${num(px(b.at[i]))},${num(py(values[i]))}`).join(" ");
    parts.push(el("g", { class: "batch-series", "data-series": b.name, "data-batches": b.values.length },
      el("title", {}, escapeHtml(`${b.name}: ${b.values.length} batches; faint: each batch, solid: the mean of the last ${b.window ?? 50}`)),
      el("polyline", { points: line(b.values), fill: "none", stroke: b.color, "stroke-width": 1, opacity: 0.25 }),
      el("polyline", { points: line(mean), fill: "none", stroke: b.color, "stroke-width": 1.5 }),
    ));
  }
  series.forEach((s, i) => {
    const points = s.values.map((v, j) => [px(epochs[j]), py(v)] as const).filter(([, y]) => Number.isFinite(y));
    const dash = s.dashed ? "6 4" : undefined;
    parts.push(el("g", { class: "series", "data-series": s.name },
      el("polyline", { points: points.map(([x, y]) => `${num(x)},${num(y)}`).join(" "), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": dash }),
      ...points.map(([x, y], j) => el("circle", { cx: x, cy: y, r: 3, fill: s.color, class: "point" },
        el("title", {}, escapeHtml(`${s.name}, epoch ${epochs[j]}: ${s.values[j].toFixed(4)}`)))),
    ));
    // Legend: one entry per series, in the title row, right-aligned (about 7 px per character).
    const ly = 18, lx = width - MARGIN.right - legendWidth(series.slice(i));
    parts.push(el("line", { x1: lx, x2: lx + 22, y1: ly - 4, y2: ly - 4, stroke: s.color, "stroke-width": 2, "stroke-dasharray": dash }));
    parts.push(label(lx + 28, ly, s.name, { class: "legend" }));
  });
  return el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart" }, ...parts);
}

function legendWidth(series: Series[]): number {
  return series.reduce((w, s) => w + 36 + 7 * s.name.length, 0);
}

function formatTick(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(4)));
}

/**
 * The confusion matrix as a heat map: rows are true classes, columns the
 * predicted ones, each cell shows its count. A cell's colour is its share of
 * its row (of the samples of that true class), through a square root so that a
 * 1% confusion is already visible next to a 98% diagonal:  shade = √(count / rowTotal).
 */
export function confusionHeatmap(counts: number[][], cell = 40): string {
  const k = counts.length;
  const left = 58, top = 40, side = k * cell;
  const width = left + side + 64, height = top + side + 20;
  const parts: string[] = [
    el("title", {}, "confusion matrix: rows are the true labels, columns the predicted ones"),
    label(left + side / 2, 14, "predicted label", { "text-anchor": "middle", class: "axis-title" }),
    label(14, top + side / 2, "true label", { "text-anchor": "middle", class: "axis-title", transform: `rotate(-90 14 ${top + side / 2})` }),
    label(left + side + 32, top - 8, "total", { "text-anchor": "middle", class: "tick" }),
  ];
  for (let j = 0; j < k; j++) parts.push(label(left + j * cell + cell / 2, top - 8, String(j), { "text-anchor": "middle", class: "tick" }));
  counts.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const y = top + t * cell;
    parts.push(label(left - 10, y + cell / 2 + 4, String(t), { "text-anchor": "end", class: "tick" }));
    parts.push(label(left + side + 32, y + cell / 2 + 4, String(total), { "text-anchor": "middle", class: "tick" }));
    row.forEach((count, p) => {
      const shade = total > 0 ? Math.sqrt(count / total) : 0;
      const x = left + p * cell;
      const share = total > 0 ? ((100 * count) / total).toFixed(1) : "0.0";
      parts.push(el("g", { class: "cell", "data-true": t, "data-pred": p, "data-count": count },
        el("title", {}, escapeHtml(`true ${t}, predicted ${p}: ${count} (${share}% of the ${total} ${t}s)`)),
        el("rect", { x, y, width: cell, height: cell, fill: mix(WHITE, BLUE, shade), stroke: p === t ? "#222" : "#ddd" }),
        count === 0 ? "" : label(x + cell / 2, y + cell / 2 + 4, String(count), {
          "text-anchor": "middle", class: "count", fill: shade > 0.55 ? "#fff" : "#222",
        }),
      ));
    });
  });
  return el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "heatmap" }, ...parts);
}
