/**
 * The training panel's two pictures, drawn on canvases (browser-safe, no DOM
 * types beyond dom.ts's Context2D).
 *
 *   drawCurve:          loss and accuracy per batch against epochs. x = epoch +
 *                       (batch + 1) / steps; loss on the left axis [0, 2.5],
 *                       accuracy on the right [0, 1]; single batches as light
 *                       dots, the trailing mean of the last 50 batches as a line
 *                       (one batch of 32 is noisy: its accuracy moves in steps of 1/32)
 *   weightChangeImage:  ΔW = W − W₀ of the first layer, one 28x28 tile per unit,
 *                       16 tiles a row, on ONE colour scale for all units:
 *                       c = clamp(ΔW / s, −1, 1), red for c > 0, blue for c < 0,
 *                       white for 0, where s is the 99th percentile of |ΔW|
 *   filtersImage:       a CNN's first layer: each kh x kw filter W (above) and its
 *                       change W − W₀ (below), 8 filters a row, blown up to blocks of
 *                       pixels; one colour scale, s = the largest |w| now or before
 *                       (as the report's filters.ts draws them)
 */
import type { Context2D, ImageDataLike } from "./dom.js";
import { trailingMean } from "../report/charts.js";
import { filterTile } from "../report/filters.js";
import { Matrix } from "../tensor/matrix.js";
import { RED as RED_RGB, BLUE as BLUE_RGB } from "../report/svg.js";

export { trailingMean };

export interface CurveData {
  at: readonly number[];
  loss: readonly number[];
  accuracy: readonly number[];
  /** Epochs asked for: the x axis spans [0, epochs]. */
  epochs: number;
  /** Test accuracy after each epoch, as [x, accuracy]: x = epoch + 1, or where a stopped epoch ended. */
  tests: readonly (readonly [number, number])[];
}

const LOSS_MAX = 2.5;
const BLUE = "#1f77b4", RED = "#d62728";

export function drawCurve(ctx: Context2D, width: number, height: number, d: CurveData): void {
  const left = 40, right = 44, top = 10, bottom = 26;
  const w = width - left - right, h = height - top - bottom;
  const xMax = Math.max(d.epochs, d.at[d.at.length - 1] ?? 0, 1);
  const px = (x: number) => left + (x / xMax) * w;
  const pyLoss = (v: number) => top + h - (Math.min(v, LOSS_MAX) / LOSS_MAX) * h;
  const pyAcc = (v: number) => top + h - v * h;
  ctx.clearRect(0, 0, width, height);
  ctx.globalAlpha = 1;
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#ccc";
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, w, h);
  ctx.fillStyle = "#555";
  for (let i = 0; i <= 5; i++) {
    const f = i / 5;
    ctx.textAlign = "right";
    ctx.fillText((LOSS_MAX * f).toFixed(1), left - 4, top + h - f * h + 4);
    ctx.textAlign = "left";
    ctx.fillText(`${(100 * f).toFixed(0)}%`, left + w + 4, top + h - f * h + 4);
  }
  ctx.textAlign = "center";
  const step = xMax <= 2 ? 0.25 : Math.max(1, Math.ceil(xMax / 10));
  for (let k = 0; k * step <= xMax + 1e-9; k++) ctx.fillText(String(k * step), px(k * step), top + h + 14);
  ctx.fillText("epochs", left + w / 2, height - 1);

  const series: [readonly number[], (v: number) => number, string][] = [[d.loss, pyLoss, BLUE], [d.accuracy, pyAcc, RED]];
  for (const [values, py, color] of series) {
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.15;
    for (let i = 0; i < values.length; i++) ctx.fillRect(px(d.at[i]) - 1, py(values[i]) - 1, 2, 2);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    trailingMean(values).forEach((v, i) => (i === 0 ? ctx.moveTo(px(d.at[i]), py(v)) : ctx.lineTo(px(d.at[i]), py(v))));
    ctx.stroke();
  }
  ctx.fillStyle = "#000";
  d.tests.forEach(([x, v]) => {
    ctx.beginPath();
    ctx.arc(px(x), pyAcc(v), 4, 0, 2 * Math.PI);
    ctx.fill();
  });
}

/** The colour scale s: the 99th percentile of |ΔW| (of a sample of at most ~20000 values). */
export function changeScale(W: Float32Array, W0: Float32Array): number {
  const stride = Math.max(1, Math.floor(W.length / 20000));
  const sample: number[] = [];
  for (let i = 0; i < W.length; i += stride) sample.push(Math.abs(W[i] - W0[i]));
  sample.sort((a, b) => a - b);
  return sample[Math.floor(0.99 * (sample.length - 1))] ?? 0;
}

/**
 * Pixel `at` of `data` (RGBA bytes) coloured for c in [−1, 1]: white → red for c > 0,
 * white → blue for c < 0 (the report's RED and BLUE, report/svg.ts), opaque.
 * Written in place: ~200,000 pixels a picture, four pictures a second.
 */
function diverging(data: Uint8ClampedArray, at: number, c: number): void {
  const to = c > 0 ? RED_RGB : BLUE_RGB;
  const a = Math.min(1, Math.abs(c));
  data[at] = 255 + (to[0] - 255) * a;
  data[at + 1] = 255 + (to[1] - 255) * a;
  data[at + 2] = 255 + (to[2] - 255) * a;
  data[at + 3] = 255;
}

/**
 * Writes ΔW of a (784, units) kernel into `image` (16 tiles of 28x28 a row);
 * returns the scale s used. Unit j's tile holds column j of ΔW.
 */
export function weightChangeImage(image: ImageDataLike, W: Float32Array, W0: Float32Array, units: number): number {
  const s = changeScale(W, W0);
  const perRow = Math.floor(image.width / 28);
  for (let j = 0; j < units; j++) {
    const ox = (j % perRow) * 28, oy = Math.floor(j / perRow) * 28;
    for (let r = 0; r < 784; r++) {
      const k = r * units + j;
      const c = s > 0 ? (W[k] - W0[k]) / s : 0;
      const at = 4 * ((oy + Math.floor(r / 28)) * image.width + ox + (r % 28));
      diverging(image.data, at, c);
    }
  }
  return s;
}

/**
 * Writes a Conv2D's filters into `image`: the (kh·kw·cin, filters) kernel W and its start W0,
 * each filter as a kh x kw tile (the mean over input channels), W above and W − W0 below,
 * framed in grey, 8 filters a row. Returns the scale s: full colour at ±s.
 */
export function filtersImage(image: ImageDataLike, W: Float32Array, W0: Float32Array, filters: number, kh: number, kw: number): number {
  const K = new Matrix(W.length / filters, filters, W), K0 = new Matrix(W0.length / filters, filters, W0);
  const now = Array.from({ length: filters }, (_, o) => filterTile(K, o, kh, kw));
  const before = Array.from({ length: filters }, (_, o) => filterTile(K0, o, kh, kw));
  let s = 0;
  for (let o = 0; o < filters; o++) for (let r = 0; r < kh * kw; r++) s = Math.max(s, Math.abs(now[o][r]), Math.abs(before[o][r]));
  const perRow = 8, rows = Math.ceil(filters / perRow);
  const cellW = Math.floor(image.width / perRow), cellH = Math.floor(image.height / rows);
  // Block: canvas pixels per weight, so that a cell holds two framed tiles with gaps.
  const block = Math.max(1, Math.min(Math.floor((cellW - 10) / kw), Math.floor((cellH - 16) / (2 * kh))));
  image.data.fill(255);
  const tile = (values: Float32Array, x0: number, y0: number) => {
    for (let y = -1; y <= kh * block; y++) {
      for (let x = -1; x <= kw * block; x++) {
        const inside = y >= 0 && x >= 0 && y < kh * block && x < kw * block;
        const at = 4 * ((y0 + y) * image.width + x0 + x);
        if (inside) diverging(image.data, at, s > 0 ? values[Math.floor(y / block) * kw + Math.floor(x / block)] / s : 0);
        else image.data.fill(170, at, at + 3); // the grey frame (alpha stays 255 from the fill above)
      }
    }
  };
  for (let o = 0; o < filters; o++) {
    const x0 = (o % perRow) * cellW + 5, y0 = Math.floor(o / perRow) * cellH + 4;
    tile(now[o], x0, y0);
    tile(now[o].map((v, r) => v - before[o][r]), x0, y0 + kh * block + 4);
  }
  return s;
}
