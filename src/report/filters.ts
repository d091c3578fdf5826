/**
 * The report's picture of a convolutional first layer (browser-safe): its
 * filters, each drawn as a small kh x kw image.
 *
 * A Conv2D kernel K is a (kh·kw·cin, filters) Matrix holding Keras's
 * [kh, kw, cin, filters] array, so filter o's weight at window pixel (p, q)
 * and input channel c is K[((p·kw + q)·cin + c), o]. A filter is a pattern
 * slid over the image: its output is large where the image under the window
 * looks like the red part and unlike the blue part (an edge, a stroke end).
 * With several input channels the tile shows the mean over the channels:
 *
 *   tile_o(p, q) = (1 / cin) · Σ_c K[(p·kw + q)·cin + c, o]
 *
 * Each filter is drawn twice when the initial weights W₀ are known:
 *   now:     W, the filter as it is;
 *   change:  ΔW = W − W₀, what training did to it (white: unchanged).
 * ONE colour scale for every tile of both rows, full colour at ±s with
 * s = max |W| over all filters now and before: a filter's change is then
 * read against the size of the filter itself, and grows stronger the longer
 * the network trains. (Unlike the dense figure's 784-pixel columns, a 3x3
 * filter has no border pixels that never move: every weight sees ink.)
 */
import { colourKey, el, label, pixelImage, divergingScale } from "./svg.js";
import { figure } from "./training.js";
import type { Matrix } from "../tensor/matrix.js";

/** The size of a Conv2D's window, as the layer states it. */
export interface FilterShape {
  /** [kh, kw] */
  kernelSize: readonly [number, number] | readonly number[];
}

/** Filter o of kernel K as a kh x kw image: the mean over the input channels. */
export function filterTile(K: Matrix, o: number, kh: number, kw: number): Float32Array {
  const cin = K.rows / (kh * kw);
  const tile = new Float32Array(kh * kw);
  for (let r = 0; r < kh * kw; r++) {
    let sum = 0;
    for (let c = 0; c < cin; c++) sum += K.data[(r * cin + c) * K.cols + o];
    tile[r] = sum / cin;
  }
  return tile;
}

/** The first Conv2D's filters (and, given W₀, what training changed in each), one tile per filter. */
export function filtersFigure(K: Matrix, layer: FilterShape, initial: Matrix | undefined): string {
  const [kh, kw] = layer.kernelSize;
  const filters = K.cols, cin = K.rows / (kh * kw);
  if (!Number.isInteger(cin) || cin < 1) {
    return figure("weights", "First-layer filters", `<p class="empty">Not drawn: the kernel's ${K.rows} rows are not ${kh}·${kw}·channels.</p>`);
  }
  const now = Array.from({ length: filters }, (_, o) => filterTile(K, o, kh, kw));
  const before = initial ? Array.from({ length: filters }, (_, o) => filterTile(initial, o, kh, kw)) : undefined;
  let s = 0, largestChange = 0;
  for (let o = 0; o < filters; o++) {
    for (let r = 0; r < kh * kw; r++) {
      s = Math.max(s, Math.abs(now[o][r]), before ? Math.abs(before[o][r]) : 0);
      if (before) largestChange = Math.max(largestChange, Math.abs(now[o][r] - before[o][r]));
    }
  }
  const scale = divergingScale(s, 12);
  const size = Math.max(36, Math.min(72, 14 * Math.max(kh, kw))); // 42 px for 3x3: 32 filters in two rows of 16
  const values = (t: Float32Array) => Array.from(t, (v) => v.toFixed(3)).join(" ");
  const tiles = now.map((W, o) => {
    const change = before && W.map((v, r) => v - before[o][r]);
    const images = [pixelImage(W, 0, kh, kw, scale, size, { class: "now", "data-values": values(W) }, `filter ${o} now: ${values(W)}`)];
    if (change) images.push(pixelImage(change, 0, kh, kw, scale, size, { class: "change", "data-values": values(change) }, `filter ${o}, change since the start: ${values(change)}`));
    return `<div class="tile filter" data-filter="${o}">${images.join("")}<span class="tag">${o}</span></div>`;
  });
  // A first column that names the rows.
  const rowName = (text: string) => el("svg", { width: 46, height: size + 4 }, label(44, size / 2 + 6, text, { "text-anchor": "end", class: "tick" }));
  tiles.unshift(`<div class="filter-rows">${rowName("now")}${before ? rowName("change") : ""}</div>`);
  const key = colourKey((step) => scale.color(2 * step));
  const channels = cin === 1 ? "" : ` (the mean of its ${cin} input channels)`;
  const caption = (before
    ? `What the first layer learned: each of its ${filters} filters, a ${kh}x${kw} window of weights slid over the image${channels}, drawn twice: on top as it is now, below how training changed it (ΔW = W − W₀, the weights now minus the weights before the first batch; white: unchanged). `
    : `What the first layer learned: each of its ${filters} filters, a ${kh}x${kw} window of weights slid over the image${channels}. `) +
    `A filter answers strongly where the image under the window looks like its red part and unlike its blue part: an edge, a stroke, a corner in some direction. ` +
    `Red: positive weight${before ? " (or a weight that grew)" : ""}; blue: negative${before ? " (or shrank)" : ""}. One colour scale for every tile, full colour at ±${s.toPrecision(2)}, the largest weight${before ? " before or after training" : ""}` +
    (before ? ` (the largest change is ${largestChange.toPrecision(2)}), so the lower row grows stronger the longer the network trains.` :
      `. Pass the weights from before training (<code>initialWeights: model.getWeights()</code>, as <code>npm start -- --report</code> does) to see what training changed.`);
  return figure("weights", caption,
    `<div class="grid weights filters">${tiles.join("")}</div><div class="key-row">${key} <small>−${s.toPrecision(2)} … 0 … +${s.toPrecision(2)}</small></div>`);
}
