/**
 * A very small SVG (and HTML) writer: strings in, strings out, no DOM.
 *
 * Why our own and not a charting package: the report is one static file that
 * must open anywhere with no network and no script, and purenn's core has no
 * runtime dependency. Charting packages (D3, Vega, Chart.js, Plotly) draw in
 * the browser with JavaScript, or need a headless DOM to pre-render; four
 * simple figures — lines, a 10x10 grid, small grayscale images — are a few
 * dozen lines of string building each. The output is plain inline SVG that a
 * learner can read with "view source", and this file is browser-safe too.
 *
 * Inline SVG in HTML5 needs no xmlns attribute, so the report contains no
 * URL at all (not even the SVG namespace).
 */

/** Escapes text for HTML or SVG element content and attribute values: & < > " '. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Attribute values; undefined leaves the attribute out. Names are written as given (camelCase is not converted). */
export type Attrs = Record<string, string | number | undefined>;

/**
 * One element: `el("rect", { x: 1, width: 2 })` → `<rect x="1" width="2"/>`.
 * Attribute values are escaped here; `children` are markup already built by
 * el() (or text passed through escapeHtml), joined in order.
 */
export function el(tag: string, attrs: Attrs = {}, ...children: string[]): string {
  let open = `<${tag}`;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    open += ` ${name}="${escapeHtml(typeof value === "number" ? num(value) : value)}"`;
  }
  return children.length === 0 ? `${open}/>` : `${open}>${children.join("")}</${tag}>`;
}

/** An SVG <text> element with escaped content. */
export function label(x: number, y: number, text: string, attrs: Attrs = {}): string {
  return el("text", { x, y, ...attrs }, escapeHtml(text));
}

/** A coordinate or size, short: at most 2 decimals, no trailing zeros. */
export function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

/** A colour between two RGB colours, t in [0, 1], as "#rrggbb". */
export function mix(from: [number, number, number], to: [number, number, number], t: number): string {
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * Math.min(1, Math.max(0, t))));
  return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** A colour key of 13 swatches, color(−6) … color(6), the middle one white: beside a diverging picture. */
export function colourKey(color: (step: number) => string): string {
  return el("svg", { viewBox: "0 0 240 16", width: 240, height: 16, class: "key" },
    ...Array.from({ length: 13 }, (_, k) => el("rect", { x: k * 18, y: 0, width: 18, height: 12, fill: k === 6 ? "#ffffff" : color(k - 6) })));
}

export const WHITE: [number, number, number] = [255, 255, 255];
export const BLACK: [number, number, number] = [0, 0, 0];
export const RED: [number, number, number] = [178, 24, 43];
export const BLUE: [number, number, number] = [33, 102, 172];

/**
 * "Nice" axis ticks covering [lo, hi]: about `count` values at a step of
 * 1, 2 or 5 times a power of ten (Heckbert, "Nice numbers for graph labels").
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** How a pixel value becomes one of a few levels, and each level's colour. */
export interface PixelScale {
  /** The level of a value; level 0 is the background and is not drawn. */
  level(v: number): number;
  /** The fill colour of a (non-zero) level. */
  color(level: number): string;
  /** The background colour. */
  background: string;
}

/** Ink in [0, max]: 0 is white paper, max is black ink, in `steps` gray levels. */
export function inkScale(max: number, steps = 8): PixelScale {
  return {
    level: (v) => Math.round((Math.min(Math.max(v / max, 0), 1)) * steps),
    color: (l) => mix(WHITE, BLACK, l / steps),
    background: "#ffffff",
  };
}

/** Signed values in [−max, max]: negative blue, positive red, 0 white, `steps` levels each side. */
export function divergingScale(max: number, steps = 6): PixelScale {
  return {
    level: (v) => (max > 0 ? Math.round(Math.min(Math.max(v / max, -1), 1) * steps) : 0),
    color: (l) => (l > 0 ? mix(WHITE, RED, l / steps) : mix(WHITE, BLUE, -l / steps)),
    background: "#ffffff",
  };
}

/**
 * A rows x cols image (row-major `values`) as an SVG drawn `size` pixels wide.
 *
 * Pixels are quantized to the scale's levels; each level is ONE <path> made
 * of horizontal runs, each run a stroke one pixel wide along the middle of its
 * row ("M x y+½ h len" per run of equal pixels), so a 28x28 image is a
 * handful of elements rather than 784 rectangles. The viewBox is the pixel
 * grid, so the browser scales it crisply (shape-rendering: crispEdges keeps
 * neighbouring runs from showing seams).
 */
export function pixelImage(values: ArrayLike<number>, offset: number, rows: number, cols: number, scale: PixelScale, size: number, attrs: Attrs = {}, title?: string): string {
  const runs = new Map<number, string[]>();
  for (let y = 0; y < rows; y++) {
    let x = 0;
    while (x < cols) {
      const l = scale.level(values[offset + y * cols + x]);
      let end = x + 1;
      while (end < cols && scale.level(values[offset + y * cols + end]) === l) end++;
      if (l !== 0) {
        const list = runs.get(l) ?? [];
        list.push(`M${x} ${y}.5h${end - x}`);
        runs.set(l, list);
      }
      x = end;
    }
  }
  const paths = [...runs.entries()].sort((a, b) => a[0] - b[0]).map(([l, d]) => el("path", { d: d.join(""), stroke: scale.color(l) }));
  return el(
    "svg",
    { viewBox: `0 0 ${cols} ${rows}`, width: size, height: Math.round((size * rows) / cols), "shape-rendering": "crispEdges", "stroke-width": 1, fill: "none", role: "img", ...attrs },
    ...(title === undefined ? [] : [el("title", {}, escapeHtml(title))]),
    el("rect", { width: cols, height: rows, fill: scale.background }),
    ...paths,
  );
}
