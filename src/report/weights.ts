/**
 * The report's picture of what the first layer learned (browser-safe).
 *
 * The first kernel W is (din, units); column j, drawn as a 28x28 image, is
 * the pattern of ink that excites (red, w > 0) or inhibits (blue, w < 0) unit j.
 * Drawn as they are, the weights mostly show their random start: Glorot's
 * uniform draws in ±√(6 / (din + units)) ≈ ±0.076 for 784 → 256, while one
 * epoch of SGD at 0.01 moves a weight by a few hundredths at most, and the
 * border pixels (blank in every MNIST digit) never move at all. So:
 *
 *   with the initial weights W₀ (ReportOptions.initialWeights):
 *     draw the change ΔW = W − W₀: zero where nothing was learned (white),
 *     so only what training did is visible;
 *   without them:
 *     draw W, but only on pixels some test image inks; the rest grey.
 *   Either way ONE colour scale for all units, full colour at ±s:
 *     with W₀:  s = max |W₀|, the size of the starting weights, so the
 *               tiles grow stronger as training goes on (1 epoch vs 5 differ);
 *     without:  s = the 99th percentile of |W| on the inked pixels.
 */
import { colourKey, pixelImage, divergingScale, type PixelScale } from "./svg.js";
import { figure } from "./training.js";
import type { Analysis } from "./analysis.js";
import { filtersFigure } from "./filters.js";
import type { Matrix } from "../tensor/matrix.js";
import type { Conv2D } from "../layers/conv2d.js";

const UNUSED = "#d9d9d9"; // pixels no test image inks

/**
 * The first layer's units as images (ΔW when W₀ is given, else W on the pixels MNIST uses);
 * a convolutional first layer's filters are drawn by filters.ts instead.
 */
export function weightsFigure(a: Analysis, initial: Matrix | undefined): string {
  const W = a.firstKernel;
  if (W && a.firstKernelLayer?.className === "Conv2D") return filtersFigure(W, a.firstKernelLayer as Conv2D, initial);
  const side = W && imageSide(W.rows);
  if (!W || !side) {
    const why = W ? `its ${W.rows} inputs are not a square image` : "the model has no Dense layer";
    return figure("weights", "First-layer weights", `<p class="empty">Not drawn: ${why}.</p>`);
  }
  const units = W.cols;
  const inked = inkedPixels(a.x);
  const value = (r: number, j: number) => W.data[r * units + j] - (initial ? initial.data[r * units + j] : 0);
  let s: number;
  if (initial) {
    s = 0;
    for (let i = 0; i < initial.data.length; i++) s = Math.max(s, Math.abs(initial.data[i]));
  } else {
    const used: number[] = [];
    for (let r = 0; r < W.rows; r++) if (inked[r]) for (let j = 0; j < units; j++) used.push(Math.abs(value(r, j)));
    used.sort((p, q) => p - q);
    s = used[Math.floor(0.99 * (used.length - 1))] ?? 0;
  }
  const base = divergingScale(s);
  // Level 100 marks a pixel no test image inks (drawn grey when W itself is shown).
  const scale: PixelScale = initial ? base : { level: (v) => (Number.isNaN(v) ? 100 : base.level(v)), color: (l) => (l === 100 ? UNUSED : base.color(l)), background: base.background };
  let largest = 0;
  const column = new Float32Array(W.rows);
  const tiles: string[] = [];
  for (let j = 0; j < units; j++) {
    let max = 0;
    for (let r = 0; r < W.rows; r++) {
      const v = value(r, j);
      max = Math.max(max, Math.abs(v));
      column[r] = initial || inked[r] ? v : NaN;
    }
    largest = Math.max(largest, max);
    const what = initial ? "largest change |ΔW|" : "largest |w|";
    tiles.push(pixelImage(column, 0, side, side, scale, 48, { class: "unit", "data-unit": j }, `unit ${j}: ${what} = ${max.toPrecision(3)}`));
  }
  const key = colourKey((step) => base.color(step));
  const caption = initial
    ? `What the first layer learned: for each of its ${units} units, how its ${W.rows} weights changed during training (ΔW = W − W₀, the weights now minus the weights before the first batch), drawn as a ${side}x${side} image. ` +
      `Red: the weight grew (ink there now excites the unit more); blue: it shrank; white: unchanged. One colour scale for every unit, full colour at a change of ±${s.toPrecision(2)}, ` +
      `the largest starting weight (the largest change is ${largest.toPrecision(2)}), so the picture grows stronger the longer the network trains. The border stays white: no digit inks it, so its weights get no gradient.`
    : `What the first layer learned: the ${W.rows} weights of each of its ${units} units drawn as a ${side}x${side} image (red positive, blue negative, white near 0, one colour scale for every unit, full colour at ±${s.toPrecision(2)}). ` +
      `Grey: pixels no test image inks; their weights get no gradient and keep their random starting values. Most of what shows is still that random start; ` +
      `pass the weights from before training (<code>initialWeights: model.getWeights()</code>, as <code>npm start -- --report</code> does) to see only what training changed.`;
  return figure("weights", caption, `<div class="grid weights">${tiles.join("")}</div><div class="key-row">${key} <small>−${s.toPrecision(2)} … 0 … +${s.toPrecision(2)}</small></div>`);
}

/** For each input column, whether any row is non-zero (a pixel some image inks). */
function inkedPixels(x: Matrix): Uint8Array {
  const used = new Uint8Array(x.cols);
  for (let i = 0; i < x.data.length; i++) if (x.data[i] !== 0) used[i % x.cols] = 1;
  return used;
}

/** √width when the inputs are a square image (784 → 28), else undefined. */
export function imageSide(width: number): number | undefined {
  const side = Math.round(Math.sqrt(width));
  return side * side === width ? side : undefined;
}
